// File: repo/pull/parallel_fetch.cc
//
// Fetcher::FetchAll: many downloads over libcurl's multi interface, into
// the DownloadCache, surviving a flaky link:
//   - up to `parallel` transfers at once (multiplexed on one HTTP/2
//     connection where the server offers it, else kept-alive HTTP/1.1);
//   - a transfer that breaks resumes from the bytes already in its .part
//     file with a Range request, so nothing received is received twice;
//     a server that ignores Range (200 instead of 206) restarts the file;
//   - back-off: a retry that made progress goes again at once; attempts in
//     a row without a new byte wait 250 ms, 500 ms, 1 s … (at most 30 s)
//     and give up after `retries`;
//   - every byte counts against the download's limit; past it the
//     transfer is cut and the partial file discarded.
#include <curl/curl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <thread>

#include "repo/pull/download_cache.h"
#include "repo/pull/fetcher.h"

namespace larch::pull {

namespace {

using Clock = std::chrono::steady_clock;

// --max-rate over the whole pull: after each chunk, sleep until the bytes
// received so far fit the rate. (libcurl's per-transfer limit lets the first
// bursts through and applies to one handle only.)
struct Throttle {
  uint64_t max_rate = 0;
  uint64_t bytes = 0;
  Clock::time_point start = Clock::now();
  void Account(size_t n) {
    if (max_rate == 0) return;
    bytes += n;
    const auto due = start + std::chrono::microseconds(bytes * 1000000 / max_rate);
    const auto now = Clock::now();
    if (due > now) std::this_thread::sleep_for(due - now);
  }
};

struct Transfer {
  const Download* download = nullptr;
  std::string name;
  UniqueFd fd;
  uint64_t offset = 0;        // bytes in the .part file
  uint64_t attempt_start = 0; // offset when this attempt began
  CURL* easy = nullptr;
  bool overflow = false;
  bool write_error = false;
  bool checked_status = false;
  unsigned failures = 0;      // attempts in a row without progress
  uint64_t parked = 0;        // its progress credit while it waits to resume
  Clock::time_point not_before{};
  uint64_t* received = nullptr;
  Throttle* throttle = nullptr;
  char error[CURL_ERROR_SIZE] = {0};
};

size_t WriteToFile(char* ptr, size_t size, size_t nmemb, void* userdata) {
  Transfer* t = static_cast<Transfer*>(userdata);
  const size_t n = size * nmemb;
  *t->received += n;
  if (!t->checked_status) {
    t->checked_status = true;
    long code = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
    if (code == 200 && t->offset > 0) {  // the server ignored our Range: start over
      if (::ftruncate(t->fd.get(), 0) != 0) return 0;
      t->offset = 0;
    }
  }
  if (t->offset + n > t->download->limit) {
    t->overflow = true;
    return 0;
  }
  for (size_t done = 0; done < n;) {
    ssize_t w = ::write(t->fd.get(), ptr + done, n - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      t->write_error = true;
      return 0;
    }
    done += static_cast<size_t>(w);
  }
  t->offset += n;
  t->throttle->Account(n);
  return n;
}

// Under --max-rate the socket keeps a small receive buffer: what the kernel
// has accepted but the process has not yet written to the cache is lost if
// the process is killed, and the server counts it as sent.
int SmallReceiveBuffer(void* clientp, curl_socket_t fd, curlsocktype) {
  int size = *static_cast<int*>(clientp);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  return CURL_SOCKOPT_OK;
}

bool IsPermanentHttp(long code) { return code >= 400 && code < 500 && code != 408 && code != 429; }

Clock::duration Backoff(unsigned failures, unsigned first_ms) {
  if (failures == 0) return std::chrono::milliseconds(0);
  uint64_t ms = static_cast<uint64_t>(first_ms) << std::min(failures - 1, 16u);
  return std::chrono::milliseconds(std::min<uint64_t>(ms, 30000));
}

// Bytes done and to do over one FetchAll. A file counts for its exact or
// progress size (signed data), its bytes received so far up to that; a
// partial file waiting for a retry keeps its credit, so progress does not
// go backwards while the link drops.
struct ByteProgress {
  uint64_t total = 0;    // 0: some file's size is unknown
  uint64_t settled = 0;  // complete files
  uint64_t parked = 0;   // partial files waiting to resume

  static std::optional<uint64_t> Weight(const Download& d) { return d.progress_size ? d.progress_size : d.exact_size; }
  static uint64_t Credit(const Transfer& t) {
    std::optional<uint64_t> w = Weight(*t.download);
    return w ? std::min(t.offset, *w) : t.offset;
  }
  void Complete(const Transfer& t) {
    std::optional<uint64_t> w = Weight(*t.download);
    settled += w ? *w : t.offset;
  }
  void Park(Transfer& t) {
    t.parked = Credit(t);
    parked += t.parked;
  }
  void Unpark(Transfer& t) {
    parked -= t.parked;
    t.parked = 0;
  }
};

}  // namespace

Status Fetcher::FetchAll(const DownloadCache& cache, const std::vector<Download>& downloads,
                         const ProgressFn& progress, std::string_view phase) {
  std::deque<std::unique_ptr<Transfer>> pending;
  Throttle throttle;
  throttle.max_rate = options_.max_rate;
  int receive_buffer = static_cast<int>(std::clamp<uint64_t>(options_.max_rate / 4, 4096, 256 << 10));
  ByteProgress report;
  bool sizes_known = true;
  for (const Download& d : downloads) {
    std::optional<uint64_t> w = ByteProgress::Weight(d);
    sizes_known = sizes_known && w;
    report.total += w.value_or(0);
  }
  if (!sizes_known) report.total = 0;
  for (const Download& d : downloads) {
    auto t = std::make_unique<Transfer>();
    t->download = &d;
    t->name = DownloadCache::NameFor(d.path);
    t->received = &bytes_received_;
    t->throttle = &throttle;
    if (cache.IsComplete(t->name)) {
      report.settled += ByteProgress::Weight(d).value_or(0);
      continue;
    }
    pending.push_back(std::move(t));
  }
  CURLM* multi = curl_multi_init();
  if (multi == nullptr) return Status::IoError("libcurl: curl_multi_init failed");
  curl_multi_setopt(multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  const unsigned parallel = options_.max_rate > 0 ? 1 : std::max(1u, options_.parallel);
  std::map<CURL*, std::unique_ptr<Transfer>> active;
  Status result = Status::Ok();

  auto start = [&](std::unique_ptr<Transfer> t) -> Status {
    report.Unpark(*t);
    LARCH_ASSIGN_OR_RETURN(t->fd, cache.OpenPartial(t->name, &t->offset));
    if (t->offset > t->download->limit) {
      LARCH_RETURN_IF_ERROR(cache.Truncate(t->fd.get()));
      t->offset = 0;
    }
    t->attempt_start = t->offset;
    t->checked_status = false;
    t->easy = curl_easy_init();
    if (t->easy == nullptr) return Status::IoError("libcurl: curl_easy_init failed");
    SetCommonOptions(t->easy);
    const std::string url = base_url_ + "/" + t->download->path;
    curl_easy_setopt(t->easy, CURLOPT_URL, url.c_str());
    curl_easy_setopt(t->easy, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, WriteToFile);
    curl_easy_setopt(t->easy, CURLOPT_WRITEDATA, t.get());
    curl_easy_setopt(t->easy, CURLOPT_ERRORBUFFER, t->error);
    if (t->offset > 0) curl_easy_setopt(t->easy, CURLOPT_RESUME_FROM_LARGE, static_cast<curl_off_t>(t->offset));
    if (options_.max_rate > 0) {
      curl_easy_setopt(t->easy, CURLOPT_SOCKOPTFUNCTION, SmallReceiveBuffer);
      curl_easy_setopt(t->easy, CURLOPT_SOCKOPTDATA, &receive_buffer);
      curl_easy_setopt(t->easy, CURLOPT_BUFFERSIZE, static_cast<long>(std::min(receive_buffer, CURL_MAX_WRITE_SIZE)));
    }
    curl_multi_add_handle(multi, t->easy);
    active[t->easy] = std::move(t);
    return Status::Ok();
  };

  // Decides what a finished attempt means: done, retry later, or failure.
  auto finish = [&](std::unique_ptr<Transfer> t, CURLcode rc) -> Status {
    long http = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &http);
    curl_multi_remove_handle(multi, t->easy);
    curl_easy_cleanup(t->easy);
    t->easy = nullptr;
    const Download& d = *t->download;
    const std::string what = d.path;
    if (t->overflow) {
      cache.Discard(t->name);
      return Status::VerifyFailed(what + ": download exceeded its limit of " + std::to_string(d.limit) +
                                  " bytes; stopped there");
    }
    if (t->write_error) return Status::IoError(what + ": writing the download cache failed");
    if (rc == CURLE_FILE_COULDNT_READ_FILE || http == 404 || http == 410) {
      return Status::NotFound(what + " not found on remote " + remote_.name);
    }
    const bool range_done = http == 416 && t->offset > 0;  // we already had every byte
    if ((rc == CURLE_OK || range_done) && (!d.exact_size || t->offset == *d.exact_size)) {
      LARCH_RETURN_IF_ERROR(cache.Complete(t->name, t->fd.get()));
      report.Complete(*t);
      return Status::Ok();
    }
    if (rc == CURLE_OK && d.exact_size && t->offset > *d.exact_size) {
      cache.Discard(t->name);
      return Status::Corruption(what + ": longer than its signed size");
    }
    if (rc == CURLE_HTTP_RETURNED_ERROR && IsPermanentHttp(http)) {
      return Status::IoError(what + ": HTTP " + std::to_string(http) + " from remote " + remote_.name);
    }
    // A broken, stalled or short transfer: resume it later.
    t->failures = t->offset > t->attempt_start ? 0 : t->failures + 1;
    if (t->failures > options_.retries) {
      std::string why = rc == CURLE_OK ? "the server sent " + std::to_string(t->offset) + " of " +
                                             std::to_string(*d.exact_size) + " bytes"
                                       : (t->error[0] ? t->error : curl_easy_strerror(rc));
      return Status::IoError(what + ": giving up after " + std::to_string(options_.retries + 1) +
                             " attempts without progress: " + why);
    }
    t->not_before = Clock::now() + Backoff(t->failures, options_.backoff_ms);
    t->fd.Reset();
    report.Park(*t);
    pending.push_back(std::move(t));
    return Status::Ok();
  };

  while (result.ok() && (!pending.empty() || !active.empty())) {
    const auto now = Clock::now();
    for (size_t i = pending.size(); i > 0 && active.size() < parallel && result.ok(); --i) {
      std::unique_ptr<Transfer> t = std::move(pending.front());
      pending.pop_front();
      if (t->not_before > now) {
        pending.push_back(std::move(t));
        continue;
      }
      result = start(std::move(t));
    }
    if (!result.ok()) break;
    int running = 0;
    curl_multi_perform(multi, &running);
    int queued = 0;
    bool finished = false;
    while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
      if (msg->msg != CURLMSG_DONE) continue;
      finished = true;
      auto it = active.find(msg->easy_handle);
      std::unique_ptr<Transfer> t = std::move(it->second);
      active.erase(it);
      Status s = finish(std::move(t), msg->data.result);
      if (!s.ok() && result.ok()) result = s;
    }
    if (progress) {
      uint64_t done = report.settled + report.parked;
      for (const auto& [easy, t] : active) done += ByteProgress::Credit(*t);
      progress({phase, done, report.total});
    }
    // Never sleep when there is nothing to wait for: the poll below lasts
    // its whole timeout when no transfer is active, which cost every batch
    // (each tree level of a pull) 100 ms.
    if (pending.empty() && active.empty()) break;
    if (finished && !pending.empty()) continue;  // a freed slot: start what waits for it first
    int wait_ms = 100;  // curl wakes the poll as soon as a socket has news
    if (active.empty()) {  // only retries wait: until the first is due
      auto next = Clock::time_point::max();
      for (const auto& t : pending) next = std::min(next, t->not_before);
      wait_ms = static_cast<int>(std::clamp<int64_t>(
          std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now()).count(), 0, 30000));
    }
    curl_multi_poll(multi, nullptr, 0, wait_ms, nullptr);
  }
  for (auto& [easy, t] : active) {
    curl_multi_remove_handle(multi, easy);
    curl_easy_cleanup(easy);
  }
  curl_multi_cleanup(multi);
  return result;
}

}  // namespace larch::pull
