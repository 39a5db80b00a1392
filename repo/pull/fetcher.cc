// File: repo/pull/fetcher.cc
#include "repo/pull/fetcher.h"

#include <curl/curl.h>

#include <mutex>

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

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

struct Fetcher::Handle {
  CURL* curl = nullptr;
  ~Handle() {
    if (curl) curl_easy_cleanup(curl);
  }
};

Fetcher::~Fetcher() = default;

void Fetcher::SetCommonOptions(void* handle) const {
  CURL* c = static_cast<CURL*>(handle);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,file");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, options_.connect_timeout_seconds);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, options_.stall_bytes_per_second);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, options_.stall_seconds);
  curl_easy_setopt(c, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
  curl_easy_setopt(c, CURLOPT_PIPEWAIT, 1L);  // wait to multiplex rather than open more connections
  curl_easy_setopt(c, CURLOPT_USERAGENT, "larch/0.1");
  if (!remote_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, remote_.ca_file.c_str());
  if (!remote_.client_cert.empty()) {
    curl_easy_setopt(c, CURLOPT_SSLCERT, remote_.client_cert.c_str());
    curl_easy_setopt(c, CURLOPT_SSLKEY, remote_.client_key.c_str());
  }
}

Result<std::unique_ptr<Fetcher>> Fetcher::Create(const trust::RemoteConfig& remote, const FetchOptions& options) {
  GlobalInit();
  std::unique_ptr<Fetcher> f(new Fetcher());
  f->handle_ = std::make_unique<Handle>();
  f->remote_ = remote;
  f->options_ = options;
  CURL* c = f->handle_->curl = curl_easy_init();
  if (c == nullptr) return Status::IoError("libcurl: curl_easy_init failed");
  f->base_url_ = remote.url;
  f->SetCommonOptions(c);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, WriteCallback);
  if (options.max_rate > 0) {
    curl_easy_setopt(c, CURLOPT_MAX_RECV_SPEED_LARGE, static_cast<curl_off_t>(options.max_rate));
  }
  return f;
}

Result<Bytes> Fetcher::Get(const std::string& path, uint64_t max_bytes, std::string_view what) {
  CURL* c = handle_->curl;
  const std::string url = base_url_ + "/" + path;
  Sink sink;
  sink.limit = max_bytes;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  // Refused up front when the server declares a larger size.
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(max_bytes));
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  CURLcode rc = curl_easy_perform(c);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, nullptr);
  ++requests_;
  curl_off_t received = 0;
  curl_easy_getinfo(c, CURLINFO_SIZE_DOWNLOAD_T, &received);
  bytes_received_ += static_cast<uint64_t>(received);
  long http = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &http);
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
