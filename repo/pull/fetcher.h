// File: repo/pull/fetcher.h
//
// Fetcher: GETs files of a remote repository (http, https, file) with
// libcurl, each with a hard size limit taken from signed data: a server that
// sends more than the limit is cut off at the limit ("endless data"), never
// buffered. One handle is reused, so HTTP keep-alive (and HTTP/2 where the
// server offers it) serves every request of a pull over one connection.
// TLS uses the system CAs or the remote's pinned CA file, and the remote's
// client certificate when one is configured.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "repo/trust/remote_config.h"
#include "src/base/bytes.h"
#include "src/base/result.h"

namespace larch::pull {

struct FetchOptions {
  // A transfer slower than stall_bytes_per_second for stall_seconds fails
  // (slow retrieval attacks, dead links) instead of hanging forever.
  long stall_bytes_per_second = 1024;
  long stall_seconds = 60;
  long connect_timeout_seconds = 30;
};

class Fetcher {
 public:
  static Result<std::unique_ptr<Fetcher>> Create(const trust::RemoteConfig& remote,
                                                 const FetchOptions& options = {});
  ~Fetcher();
  Fetcher(const Fetcher&) = delete;
  Fetcher& operator=(const Fetcher&) = delete;

  // The file at <url>/<path>. kNotFound for 404 or a missing file;
  // kVerifyFailed when more than max_bytes arrive ("<what>: download
  // exceeded its limit of N bytes"); kIoError for network failures.
  Result<Bytes> Get(const std::string& path, uint64_t max_bytes, std::string_view what);

  uint64_t bytes_received() const { return bytes_received_; }
  uint64_t requests() const { return requests_; }

 private:
  Fetcher() = default;
  struct Handle;
  std::unique_ptr<Handle> handle_;
  std::string base_url_;
  uint64_t bytes_received_ = 0;
  uint64_t requests_ = 0;
};

}  // namespace larch::pull
