// File: repo/pull/curl_handle.h
//
// libcurl handles owned by RAII, and every libcurl call's result turned
// into a Status: an option libcurl refuses (a protocol the build lacks, a
// client certificate it cannot load) must fail the pull with libcurl's
// reason, not leave a handle configured differently from what the code
// says. Internal to repo/pull.
#pragma once

#include <curl/curl.h>

#include <memory>
#include <string_view>

#include "src/base/result.h"

namespace larch::pull {

struct EasyCleanup {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct MultiCleanup {
  void operator()(CURLM* m) const { curl_multi_cleanup(m); }
};
using EasyHandle = std::unique_ptr<CURL, EasyCleanup>;
using MultiHandle = std::unique_ptr<CURLM, MultiCleanup>;

Result<EasyHandle> NewEasy();
Result<MultiHandle> NewMulti();

Status CurlStatus(CURLcode rc, std::string_view what);
Status CurlStatus(CURLMcode rc, std::string_view what);

// curl_easy_setopt, checked. The first failure of a sequence of options is
// kept (`status`), later ones are not attempted.
class EasyOptions {
 public:
  explicit EasyOptions(CURL* curl) : curl_(curl) {}
  template <typename T>
  EasyOptions& Set(CURLoption option, T value) {
    if (status_.ok()) status_ = CurlStatus(curl_easy_setopt(curl_, option, value), "setting an option");
    return *this;
  }
  Status status() const { return status_; }

 private:
  CURL* curl_;
  Status status_;
};

// curl_easy_getinfo of a long or curl_off_t, checked; `fallback` when
// libcurl cannot say.
long InfoLong(CURL* curl, CURLINFO info, long fallback = 0);
curl_off_t InfoOff(CURL* curl, CURLINFO info, curl_off_t fallback = 0);

}  // namespace larch::pull
