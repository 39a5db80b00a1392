// File: deploy/hawkbit/ddi_http.h
//
// The hawkBit client's HTTP side (libcurl): JSON requests to the DDI
// server with the device's credentials (target or gateway token in the
// Authorization header, or an mTLS client certificate; the server's CA),
// and resumable artifact downloads. Credentials go only to URLs on the
// configured server: an artifact link to another host (a CDN) is fetched
// without them, and the artifact is checked against the action's SHA-256
// whatever host served it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "deploy/hawkbit/ddi_config.h"
#include "src/base/result.h"

namespace larch::hawkbit {

struct HttpReply {
  long code = 0;
  std::string body;
};

class DdiHttp {
 public:
  // Reads the token file, if any (ReadTokenFile's mode check).
  static Result<std::unique_ptr<DdiHttp>> Create(const DdiConfig& config);

  // GET (empty body) or PUT/POST of a JSON body; the reply of any HTTP
  // status (callers decide what 404 means); kIoError when no reply came,
  // naming the URL and libcurl's reason.
  Result<HttpReply> Request(const std::string& method, const std::string& url, const std::string& body = {});
  // Request, and an error naming the URL and the server's answer unless
  // the status is 2xx.
  Result<std::string> Expect2xx(const std::string& method, const std::string& url, const std::string& body = {});

  // Brings `path` to `size` bytes of `url`: what the file already holds is
  // kept and the rest asked for with a Range request (a server that ignores
  // it starts the file again). A transfer cut short is retried a few times;
  // the partial file stays for the next poll either way. The file is
  // fsync'ed when complete. kInvalidArgument when the server sends more
  // than `size` bytes.
  Status Download(const std::string& url, const std::string& path, uint64_t size);
  uint64_t bytes_downloaded() const { return bytes_downloaded_; }

 private:
  explicit DdiHttp(DdiConfig config) : config_(std::move(config)) {}
  // Authorization header and TLS settings on a fresh handle for `url`.
  std::string auth_header_;
  DdiConfig config_;
  uint64_t bytes_downloaded_ = 0;

  friend struct CurlSetup;
};

}  // namespace larch::hawkbit
