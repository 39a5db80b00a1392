// File: repo/pull/fetcher.cc
#include "repo/pull/fetcher.h"

#include "repo/pull/curl_handle.h"

namespace larch::pull {

namespace {

struct Sink {
  Bytes data;
  uint64_t limit = 0;
  bool overflow = false;
};

size_t WriteCallback(char* ptr, size_t size, size_t nmemb, void* userdata) {
  Sink* sink = static_cast<Sink*>(userdata);
  const size_t n = size * nmemb;
  if (sink->data.size() + n > sink->limit) {
    // Keep exactly the limit: what arrived beyond it is dropped, and
    // returning a short count makes curl abort the transfer.
    sink->overflow = true;
    return 0;
  }
  sink->data.insert(sink->data.end(), reinterpret_cast<uint8_t*>(ptr), reinterpret_cast<uint8_t*>(ptr) + n);
  return n;
}

}  // namespace

struct Fetcher::Handle {
  EasyHandle curl;
};

Fetcher::~Fetcher() = default;

Status Fetcher::SetCommonOptions(void* handle) const {
  EasyOptions o(static_cast<CURL*>(handle));
  o.Set(CURLOPT_PROTOCOLS_STR, "http,https,file")
      .Set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
      .Set(CURLOPT_FOLLOWLOCATION, 1L)
      .Set(CURLOPT_MAXREDIRS, 5L)
      .Set(CURLOPT_NOSIGNAL, 1L)
      .Set(CURLOPT_CONNECTTIMEOUT, options_.connect_timeout_seconds)
      .Set(CURLOPT_LOW_SPEED_LIMIT, options_.stall_bytes_per_second)
      .Set(CURLOPT_LOW_SPEED_TIME, options_.stall_seconds)
      .Set(CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS))
      .Set(CURLOPT_PIPEWAIT, 1L)  // wait to multiplex rather than open more connections
      .Set(CURLOPT_USERAGENT, "larch/0.1");
  if (!remote_.ca_file.empty()) o.Set(CURLOPT_CAINFO, remote_.ca_file.c_str());
  if (!remote_.client_cert.empty()) {
    o.Set(CURLOPT_SSLCERT, remote_.client_cert.c_str()).Set(CURLOPT_SSLKEY, remote_.client_key.c_str());
  }
  return o.status();
}

Result<std::unique_ptr<Fetcher>> Fetcher::Create(const trust::RemoteConfig& remote, const FetchOptions& options) {
  std::unique_ptr<Fetcher> f(new Fetcher());
  f->handle_ = std::make_unique<Handle>();
  f->remote_ = remote;
  f->options_ = options;
  LARCH_ASSIGN_OR_RETURN(f->handle_->curl, NewEasy());
  f->base_url_ = remote.url;
  LARCH_RETURN_IF_ERROR(f->SetCommonOptions(f->handle_->curl.get()));
  EasyOptions o(f->handle_->curl.get());
  o.Set(CURLOPT_WRITEFUNCTION, WriteCallback);
  if (options.max_rate > 0) o.Set(CURLOPT_MAX_RECV_SPEED_LARGE, static_cast<curl_off_t>(options.max_rate));
  LARCH_RETURN_IF_ERROR(o.status());
  return f;
}

Result<Bytes> Fetcher::Get(const std::string& path, uint64_t max_bytes, std::string_view what) {
  CURL* c = handle_->curl.get();
  const std::string url = base_url_ + "/" + path;
  Sink sink;
  sink.limit = max_bytes;
  char error[CURL_ERROR_SIZE] = {0};
  // Refused up front when the server declares a larger size.
  LARCH_RETURN_IF_ERROR(EasyOptions(c)
                            .Set(CURLOPT_URL, url.c_str())
                            .Set(CURLOPT_WRITEDATA, &sink)
                            .Set(CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(max_bytes))
                            .Set(CURLOPT_ERRORBUFFER, error)
                            .status());
  CURLcode rc = curl_easy_perform(c);
  // The buffer and the sink die with this call: libcurl must not keep them.
  LARCH_RETURN_IF_ERROR(
      EasyOptions(c).Set(CURLOPT_ERRORBUFFER, nullptr).Set(CURLOPT_WRITEDATA, nullptr).status());
  ++requests_;
  bytes_received_ += static_cast<uint64_t>(InfoOff(c, CURLINFO_SIZE_DOWNLOAD_T));
  const long http = InfoLong(c, CURLINFO_RESPONSE_CODE);
  if (sink.overflow || rc == CURLE_FILESIZE_EXCEEDED) {
    return Status::VerifyFailed(std::string(what) + " (" + url + "): download exceeded its limit of " +
                                std::to_string(max_bytes) + " bytes; stopped there");
  }
  if (rc == CURLE_FILE_COULDNT_READ_FILE || http == 404 || http == 410) {
    return Status::NotFound(std::string(what) + ": " + url + " not found on the remote");
  }
  if (rc != CURLE_OK) {
    return Status::IoError(std::string(what) + ": fetching " + url + " failed: " +
                           (error[0] ? error : curl_easy_strerror(rc)));
  }
  if (http >= 400) {
    return Status::IoError(std::string(what) + ": fetching " + url + " failed: HTTP " + std::to_string(http));
  }
  return std::move(sink.data);
}

}  // namespace larch::pull
