// File: repo/pull/curl_handle.cc
#include "repo/pull/curl_handle.h"

#include <mutex>
#include <string>

namespace larch::pull {

namespace {

Status GlobalInit() {
  static std::once_flag once;
  static CURLcode rc = CURLE_OK;
  std::call_once(once, [] { rc = curl_global_init(CURL_GLOBAL_DEFAULT); });
  return CurlStatus(rc, "curl_global_init");
}

}  // namespace

Status CurlStatus(CURLcode rc, std::string_view what) {
  if (rc == CURLE_OK) return Status::Ok();
  return Status::IoError("libcurl: " + std::string(what) + ": " + curl_easy_strerror(rc));
}

Status CurlStatus(CURLMcode rc, std::string_view what) {
  if (rc == CURLM_OK) return Status::Ok();
  return Status::IoError("libcurl: " + std::string(what) + ": " + curl_multi_strerror(rc));
}

Result<EasyHandle> NewEasy() {
  LARCH_RETURN_IF_ERROR(GlobalInit());
  EasyHandle h(curl_easy_init());
  if (h == nullptr) return Status::IoError("libcurl: curl_easy_init failed");
  return h;
}

Result<MultiHandle> NewMulti() {
  LARCH_RETURN_IF_ERROR(GlobalInit());
  MultiHandle h(curl_multi_init());
  if (h == nullptr) return Status::IoError("libcurl: curl_multi_init failed");
  return h;
}

long InfoLong(CURL* curl, CURLINFO info, long fallback) {
  long value = 0;
  return curl_easy_getinfo(curl, info, &value) == CURLE_OK ? value : fallback;
}

curl_off_t InfoOff(CURL* curl, CURLINFO info, curl_off_t fallback) {
  curl_off_t value = 0;
  return curl_easy_getinfo(curl, info, &value) == CURLE_OK ? value : fallback;
}

}  // namespace larch::pull
