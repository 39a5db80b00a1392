// File: deploy/hawkbit/ddi_http.cc
#include "deploy/hawkbit/ddi_http.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deploy/hawkbit/ddi_messages.h"
#include "repo/pull/curl_handle.h"
#include "src/base/unique_fd.h"

namespace larch::hawkbit {

namespace {

using pull::EasyHandle;
using pull::EasyOptions;

struct SList {
  curl_slist* list = nullptr;
  ~SList() { curl_slist_free_all(list); }
  void Add(const std::string& s) { list = curl_slist_append(list, s.c_str()); }
};

size_t AppendToString(char* data, size_t size, size_t n, void* user) {
  auto* out = static_cast<std::string*>(user);
  if (out->size() + size * n > kMaxDocumentSize) return 0;  // libcurl fails the transfer
  out->append(data, size * n);
  return size * n;
}

// A download's sink: appends to the file, restarting it when the server
// answered 200 to a Range request, and never past `limit` bytes.
struct FileSink {
  int fd = -1;
  uint64_t have = 0;   // bytes in the file
  uint64_t limit = 0;  // the artifact's size
  CURL* curl = nullptr;
  bool checked_status = false;
  bool too_long = false;
  uint64_t received = 0;
  Status error;
};

size_t WriteToFile(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<FileSink*>(user);
  const size_t bytes = size * n;
  if (!sink->checked_status) {
    sink->checked_status = true;
    if (pull::InfoLong(sink->curl, CURLINFO_RESPONSE_CODE) == 200 && sink->have > 0) {
      if (::ftruncate(sink->fd, 0) != 0 || ::lseek(sink->fd, 0, SEEK_SET) != 0) {
        sink->error = Status::FromErrno(errno, "restarting the download");
        return 0;
      }
      sink->have = 0;
    }
  }
  if (sink->have + bytes > sink->limit) {
    sink->too_long = true;
    return 0;
  }
  size_t done = 0;
  while (done < bytes) {
    ssize_t w = ::write(sink->fd, data + done, bytes - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      sink->error = Status::FromErrno(errno, "writing the download");
      return 0;
    }
    done += static_cast<size_t>(w);
  }
  sink->have += bytes;
  sink->received += bytes;
  return bytes;
}

}  // namespace

// Common options of every request: timeouts, TLS, credentials.
struct CurlSetup {
  static Status Apply(const DdiHttp& http, CURL* curl, const std::string& url, SList& headers) {
    EasyOptions o(curl);
    o.Set(CURLOPT_URL, url.c_str())
        .Set(CURLOPT_NOSIGNAL, 1L)
        .Set(CURLOPT_CONNECTTIMEOUT, 30L)
        .Set(CURLOPT_LOW_SPEED_LIMIT, 1L)
        .Set(CURLOPT_LOW_SPEED_TIME, 60L)
        .Set(CURLOPT_FOLLOWLOCATION, 0L)
        .Set(CURLOPT_USERAGENT, "larch-hawkbit/1");
    const bool on_server = url.rfind(http.config_.server + "/", 0) == 0;
    if (on_server) {
      if (!http.auth_header_.empty()) headers.Add(http.auth_header_);
      if (!http.config_.client_cert.empty()) {
        o.Set(CURLOPT_SSLCERT, http.config_.client_cert.c_str()).Set(CURLOPT_SSLKEY, http.config_.client_key.c_str());
      }
    }
    if (!http.config_.ca_file.empty()) o.Set(CURLOPT_CAINFO, http.config_.ca_file.c_str());
    return o.status();
  }
};

Result<std::unique_ptr<DdiHttp>> DdiHttp::Create(const DdiConfig& config) {
  std::unique_ptr<DdiHttp> http(new DdiHttp(config));
  if (!config.target_token_file.empty()) {
    LARCH_ASSIGN_OR_RETURN(std::string token, ReadTokenFile(config.target_token_file));
    http->auth_header_ = "Authorization: TargetToken " + token;
  } else if (!config.gateway_token_file.empty()) {
    LARCH_ASSIGN_OR_RETURN(std::string token, ReadTokenFile(config.gateway_token_file));
    http->auth_header_ = "Authorization: GatewayToken " + token;
  }
  return http;
}

Result<HttpReply> DdiHttp::Request(const std::string& method, const std::string& url, const std::string& body) {
  LARCH_ASSIGN_OR_RETURN(EasyHandle curl, pull::NewEasy());
  SList headers;
  LARCH_RETURN_IF_ERROR(CurlSetup::Apply(*this, curl.get(), url, headers));
  headers.Add("Accept: application/hal+json, application/json");
  HttpReply reply;
  EasyOptions o(curl.get());
  o.Set(CURLOPT_TIMEOUT, 120L).Set(CURLOPT_WRITEFUNCTION, AppendToString).Set(CURLOPT_WRITEDATA, &reply.body);
  if (method != "GET") {
    headers.Add("Content-Type: application/json");
    o.Set(CURLOPT_CUSTOMREQUEST, method.c_str())
        .Set(CURLOPT_POSTFIELDS, body.c_str())
        .Set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  o.Set(CURLOPT_HTTPHEADER, headers.list);
  LARCH_RETURN_IF_ERROR(o.status());
  const CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK) return Status::IoError(method + " " + url + ": " + curl_easy_strerror(rc));
  reply.code = pull::InfoLong(curl.get(), CURLINFO_RESPONSE_CODE);
  return reply;
}

Result<std::string> DdiHttp::Expect2xx(const std::string& method, const std::string& url, const std::string& body) {
  LARCH_ASSIGN_OR_RETURN(HttpReply reply, Request(method, url, body));
  if (reply.code < 200 || reply.code > 299) {
    std::string said = reply.body.substr(0, 200);
    for (char& c : said)
      if (c == '\n' || c == '\r') c = ' ';
    const std::string message =
        method + " " + url + ": the server answered HTTP " + std::to_string(reply.code) + (said.empty() ? "" : ": " + said);
    if (reply.code == 404) return Status::NotFound(message);
    if (reply.code == 401 || reply.code == 403) return Status::VerifyFailed(message);
    return Status::IoError(message);
  }
  return std::move(reply.body);
}

Status DdiHttp::Download(const std::string& url, const std::string& path, uint64_t size) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  if (!fd.valid()) return Status::FromErrno(errno, "opening " + path);
  Status last;
  for (int attempt = 0; attempt < 4; ++attempt) {
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return Status::FromErrno(errno, "reading " + path);
    FileSink sink;
    sink.fd = fd.get();
    sink.have = static_cast<uint64_t>(st.st_size);
    sink.limit = size;
    if (sink.have > size) {  // not this artifact's beginning: start again
      if (::ftruncate(fd.get(), 0) != 0) return Status::FromErrno(errno, "truncating " + path);
      sink.have = 0;
    }
    if (sink.have == size) break;
    if (::lseek(fd.get(), static_cast<off_t>(sink.have), SEEK_SET) < 0) return Status::FromErrno(errno, "seeking " + path);
    LARCH_ASSIGN_OR_RETURN(EasyHandle curl, pull::NewEasy());
    sink.curl = curl.get();
    SList headers;
    LARCH_RETURN_IF_ERROR(CurlSetup::Apply(*this, curl.get(), url, headers));
    EasyOptions o(curl.get());
    o.Set(CURLOPT_WRITEFUNCTION, WriteToFile)
        .Set(CURLOPT_WRITEDATA, &sink)
        .Set(CURLOPT_FAILONERROR, 1L)
        .Set(CURLOPT_RESUME_FROM_LARGE, static_cast<curl_off_t>(sink.have))
        .Set(CURLOPT_HTTPHEADER, headers.list);
    LARCH_RETURN_IF_ERROR(o.status());
    const CURLcode rc = curl_easy_perform(curl.get());
    bytes_downloaded_ += sink.received;
    if (!sink.error.ok()) return sink.error;
    if (sink.too_long)
      return Status::InvalidArgument("artifact " + url + " is longer than the " + std::to_string(size) +
                                     " bytes the action announced");
    if (rc == CURLE_OK) {
      if (sink.have == size) break;
      last = Status::IoError("GET " + url + ": the transfer ended after " + std::to_string(sink.have) + " of " +
                             std::to_string(size) + " bytes");
      if (sink.have < size && sink.received == 0) return last;  // the server has no more to give
      continue;
    }
    last = Status::IoError("GET " + url + ": " + curl_easy_strerror(rc) + " (" + std::to_string(sink.have) + " of " +
                           std::to_string(size) + " bytes kept; the next attempt resumes there)");
    if (rc == CURLE_HTTP_RETURNED_ERROR) return last;
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return Status::FromErrno(errno, "reading " + path);
  if (static_cast<uint64_t>(st.st_size) != size) return last.ok() ? Status::IoError("download of " + url + " is incomplete") : last;
  if (::fsync(fd.get()) != 0) return Status::FromErrno(errno, "syncing " + path);
  return Status::Ok();
}

}  // namespace larch::hawkbit
