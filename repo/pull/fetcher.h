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
#include <functional>
#include <optional>
#include <vector>
#include <memory>
#include <string>
#include <string_view>

#include "repo/trust/remote_config.h"
#include "src/base/bytes.h"
#include "src/base/progress.h"
#include "src/base/result.h"

namespace larch::pull {

struct FetchOptions {
  // A transfer slower than stall_bytes_per_second for stall_seconds is
  // aborted and retried (dead links) instead of hanging forever; a download
  // (and a batch) that averages less than that rate over all its attempts,
  // once two stall_seconds' worth of deficit is used up, fails (slow
  // retrieval: a server that drips a few bytes per request; attempt.h).
  long stall_bytes_per_second = 1024;
  long stall_seconds = 60;
  long connect_timeout_seconds = 30;
  unsigned parallel = 8;      // concurrent transfers (one connection with HTTP/2)
  unsigned retries = 5;       // attempts in a row without a new byte before giving up
                              // (and, with 1 per 64 KiB of size, the cap on attempts)
  uint64_t max_rate = 0;      // bytes per second over all transfers; 0: unlimited
  unsigned backoff_ms = 250;  // first retry delay; doubles per failed attempt, at most 30 s
};

// One file to download into the cache.
struct Download {
  std::string path;                    // relative to the remote's URL
  uint64_t limit = 0;                  // never more than this many bytes
  std::optional<uint64_t> exact_size;  // when signed data gives the size exactly
  // What the file counts for in progress when its wire size is not known
  // exactly: a signed size (a file object's content size from its dirtree).
  std::optional<uint64_t> progress_size = std::nullopt;
};

class DownloadCache;

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

  // Downloads every file not yet complete in `cache`, several at a time,
  // resuming partial files with Range requests and retrying with
  // exponential back-off while the link drops. kNotFound for a file the
  // remote does not have; kVerifyFailed when one exceeds its limit (its
  // partial download is discarded); kNoSpace when the cache's disk is full;
  // kIoError after `retries` attempts in a row without progress, after the
  // cap on attempts, or below the minimum rate (slow retrieval, attempt.h).
  //
  // Progress (phase `phase`) counts bytes: each file's bytes received so
  // far, up to its exact or progress size, of the sum of those sizes; the
  // total is 0 (unknown) when a file has neither.
  Status FetchAll(const DownloadCache& cache, const std::vector<Download>& downloads,
                  const ProgressFn& progress = nullptr, std::string_view phase = "download");

  uint64_t bytes_received() const { return bytes_received_; }
  uint64_t requests() const { return requests_; }

 private:
  friend class Batch;  // FetchAll's state (parallel_fetch.cc)
  Fetcher() = default;
  Status SetCommonOptions(void* curl) const;
  struct Handle;
  std::unique_ptr<Handle> handle_;  // Get's, reused for keep-alive
  trust::RemoteConfig remote_;
  FetchOptions options_;
  std::string base_url_;
  uint64_t bytes_received_ = 0;
  uint64_t requests_ = 0;
};

}  // namespace larch::pull
