// File: repo/pull/parallel_fetch.cc
//
// Fetcher::FetchAll: many downloads over libcurl's multi interface, into
// the DownloadCache, surviving a flaky link:
//   - up to `parallel` transfers at once (multiplexed on one HTTP/2
//     connection where the server offers it, else kept-alive HTTP/1.1);
//   - a transfer that breaks resumes from the bytes already in its .part
//     file with a Range request, so nothing received is received twice;
//     a server that ignores Range (200 instead of 206) restarts the file;
//   - what follows each attempt (complete, retry after a back-off, fail) is
//     Decide's (attempt.h): back-off, --retries, the cap on attempts and
//     the minimum rate over all of a download's attempts;
//   - the batch as a whole is held to the same minimum rate;
//   - every byte counts against the download's limit; past it the
//     transfer is cut and the partial file discarded.
#include <curl/curl.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <thread>

#include "repo/pull/attempt.h"
#include "repo/pull/curl_handle.h"
#include "repo/pull/download_cache.h"
#include "repo/pull/fetcher.h"

namespace larch::pull {

namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

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

// What every transfer of a batch writes to.
struct Sinks {
  const DownloadCache* cache = nullptr;
  Throttle throttle;
  uint64_t batch_bytes = 0;        // received in this batch
  uint64_t* fetcher_bytes = nullptr;  // Fetcher::bytes_received_
};

struct Transfer {
  const Download* download = nullptr;
  std::string name;
  std::string url;
  UniqueFd fd;
  uint64_t offset = 0;         // bytes in the .part file
  uint64_t attempt_start = 0;  // offset when this attempt began
  uint64_t received = 0;       // bytes received in this attempt
  EasyHandle easy;
  CURLM* multi = nullptr;  // while added to it
  bool overflow = false;
  Status write;  // a failed write to the cache (its cause: a full disk is kNoSpace)
  bool checked_status = false;
  AttemptBook book;
  uint64_t parked = 0;  // its progress credit while it waits to resume
  Clock::time_point started{};
  Clock::time_point not_before{};
  Sinks* sinks = nullptr;
  char error[CURL_ERROR_SIZE] = {0};

  ~Transfer() { (void)Detach(); }  // a failed batch: its error is already on its way
  // libcurl requires a handle to leave its multi before it is cleaned up.
  Status Detach() {
    CURLMcode rc = CURLM_OK;
    if (multi != nullptr && easy != nullptr) rc = curl_multi_remove_handle(multi, easy.get());
    multi = nullptr;
    return CurlStatus(rc, "removing a finished transfer");
  }
};

size_t WriteToFile(char* ptr, size_t size, size_t nmemb, void* userdata) {
  Transfer* t = static_cast<Transfer*>(userdata);
  const size_t n = size * nmemb;
  *t->sinks->fetcher_bytes += n;
  t->sinks->batch_bytes += n;
  t->received += n;
  if (!t->checked_status) {
    t->checked_status = true;
    if (InfoLong(t->easy.get(), CURLINFO_RESPONSE_CODE) == 200 && t->offset > 0) {
      // The server ignored our Range: start over.
      t->write = t->sinks->cache->Truncate(t->fd.get());
      if (!t->write.ok()) return 0;
      t->offset = 0;
    }
  }
  if (t->offset + n > t->download->limit) {
    t->overflow = true;
    return 0;
  }
  t->write = t->sinks->cache->Append(t->fd.get(), ByteSpan(reinterpret_cast<const uint8_t*>(ptr), n));
  if (!t->write.ok()) return 0;
  t->offset += n;
  t->sinks->throttle.Account(n);
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

// The state of one FetchAll. Members are destroyed in reverse order: the
// transfers (which leave the multi handle) before the multi handle.
class Batch {
 public:
  Batch(Fetcher& fetcher, const DownloadCache& cache, const ProgressFn& progress, std::string_view phase)
      : fetcher_(fetcher), options_(fetcher.options_), progress_(progress), phase_(phase) {
    sinks_.cache = &cache;
    sinks_.throttle.max_rate = options_.max_rate;
    sinks_.fetcher_bytes = &fetcher.bytes_received_;
    receive_buffer_ = static_cast<int>(std::clamp<uint64_t>(options_.max_rate / 4, 4096, 256 << 10));
    parallel_ = options_.max_rate > 0 ? 1 : std::max(1u, options_.parallel);
  }

  Status Run(const std::vector<Download>& downloads);

 private:
  void Enqueue(const std::vector<Download>& downloads);
  Status StartDue();
  Status Start(std::unique_ptr<Transfer> t);
  Status Configure(Transfer& t);
  Status CollectFinished(bool* finished);
  Status Finish(std::unique_ptr<Transfer> t, CURLcode rc);
  Status CheckBatchRate() const;
  void Report();
  int WaitMs() const;

  Fetcher& fetcher_;
  const FetchOptions& options_;
  const ProgressFn& progress_;
  std::string_view phase_;
  Sinks sinks_;
  int receive_buffer_ = 0;
  unsigned parallel_ = 1;
  ByteProgress report_;
  Clock::time_point start_ = Clock::now();
  bool drip_seen_ = false;  // an attempt ended with some bytes, not all
  MultiHandle multi_;
  std::deque<std::unique_ptr<Transfer>> pending_;
  std::map<CURL*, std::unique_ptr<Transfer>> active_;
};

void Batch::Enqueue(const std::vector<Download>& downloads) {
  bool sizes_known = true;
  for (const Download& d : downloads) {
    std::optional<uint64_t> w = ByteProgress::Weight(d);
    sizes_known = sizes_known && w;
    report_.total += w.value_or(0);
  }
  if (!sizes_known) report_.total = 0;
  for (const Download& d : downloads) {
    auto t = std::make_unique<Transfer>();
    t->download = &d;
    t->name = DownloadCache::NameFor(d.path);
    t->url = fetcher_.base_url_ + "/" + d.path;
    t->sinks = &sinks_;
    if (sinks_.cache->IsComplete(t->name)) {
      report_.settled += ByteProgress::Weight(d).value_or(0);
      continue;
    }
    pending_.push_back(std::move(t));
  }
}

// Starts what waits and is due, while there are free slots.
Status Batch::StartDue() {
  const auto now = Clock::now();
  for (size_t i = pending_.size(); i > 0 && active_.size() < parallel_; --i) {
    std::unique_ptr<Transfer> t = std::move(pending_.front());
    pending_.pop_front();
    if (t->not_before > now) {
      pending_.push_back(std::move(t));
      continue;
    }
    LARCH_RETURN_IF_ERROR(Start(std::move(t)));
  }
  return Status::Ok();
}

Status Batch::Start(std::unique_ptr<Transfer> t) {
  report_.Unpark(*t);
  const DownloadCache& cache = *sinks_.cache;
  LARCH_ASSIGN_OR_RETURN(t->fd, cache.OpenPartial(t->name, &t->offset));
  if (t->offset > t->download->limit) {
    LARCH_RETURN_IF_ERROR(cache.Truncate(t->fd.get()));
    t->offset = 0;
  }
  t->attempt_start = t->offset;
  t->received = 0;
  t->checked_status = false;
  t->started = Clock::now();
  LARCH_ASSIGN_OR_RETURN(t->easy, NewEasy());
  LARCH_RETURN_IF_ERROR(Configure(*t));
  LARCH_RETURN_IF_ERROR(CurlStatus(curl_multi_add_handle(multi_.get(), t->easy.get()), "adding a transfer"));
  t->multi = multi_.get();
  CURL* key = t->easy.get();
  active_[key] = std::move(t);
  return Status::Ok();
}

Status Batch::Configure(Transfer& t) {
  LARCH_RETURN_IF_ERROR(fetcher_.SetCommonOptions(t.easy.get()));
  EasyOptions o(t.easy.get());
  o.Set(CURLOPT_URL, t.url.c_str())
      .Set(CURLOPT_FAILONERROR, 1L)
      .Set(CURLOPT_WRITEFUNCTION, WriteToFile)
      .Set(CURLOPT_WRITEDATA, &t)
      .Set(CURLOPT_ERRORBUFFER, t.error);
  if (t.offset > 0) o.Set(CURLOPT_RESUME_FROM_LARGE, static_cast<curl_off_t>(t.offset));
  if (options_.max_rate > 0) {
    o.Set(CURLOPT_SOCKOPTFUNCTION, SmallReceiveBuffer)
        .Set(CURLOPT_SOCKOPTDATA, &receive_buffer_)
        .Set(CURLOPT_BUFFERSIZE, static_cast<long>(std::min(receive_buffer_, CURL_MAX_WRITE_SIZE)));
  }
  return o.status();
}

Status Batch::CollectFinished(bool* finished) {
  int queued = 0;
  Status result = Status::Ok();
  while (CURLMsg* msg = curl_multi_info_read(multi_.get(), &queued)) {
    if (msg->msg != CURLMSG_DONE) continue;
    *finished = true;
    auto it = active_.find(msg->easy_handle);
    if (it == active_.end()) continue;
    std::unique_ptr<Transfer> t = std::move(it->second);
    active_.erase(it);
    Status s = Finish(std::move(t), msg->data.result);
    if (!s.ok() && result.ok()) result = s;
  }
  return result;
}

// Carries out Decide's verdict on a finished attempt.
Status Batch::Finish(std::unique_ptr<Transfer> t, CURLcode rc) {
  AttemptEnd end;
  end.code = rc;
  end.http = InfoLong(t->easy.get(), CURLINFO_RESPONSE_CODE);
  end.overflow = t->overflow;
  end.write = t->write;
  end.offset = t->offset;
  end.attempt_start = t->attempt_start;
  end.received = t->received;
  end.seconds = SecondsSince(t->started);
  end.error = t->error;
  LARCH_RETURN_IF_ERROR(t->Detach());
  t->easy.reset();
  const DownloadCache& cache = *sinks_.cache;
  Decision d = Decide(*t->download, t->url, end, t->book, options_, fetcher_.remote_.name);
  t->book = d.book;
  switch (d.next) {
    case Next::kComplete:
      LARCH_RETURN_IF_ERROR(cache.Complete(t->name, t->fd.get()));
      report_.Complete(*t);
      return Status::Ok();
    case Next::kRetry:
      drip_seen_ = drip_seen_ || end.offset > end.attempt_start;
      t->not_before = Clock::now() + d.delay;
      t->fd.Reset();
      report_.Park(*t);
      pending_.push_back(std::move(t));
      return Status::Ok();
    case Next::kFail:
      if (d.discard) cache.Discard(t->name);
      return d.status;
  }
  return Status::Ok();
}

// The pull as a whole: the batch's bytes over its wall time, held to the
// same minimum rate as each download once an attempt ended with some bytes
// and not all of them (many small objects dripped in two halves each never
// trip the rule of one download). A dead link is left to --retries.
Status Batch::CheckBatchRate() const {
  const double seconds = SecondsSince(start_);
  if (!drip_seen_ || !BelowMinimumRate(sinks_.batch_bytes, seconds, options_)) return Status::Ok();
  // The message names the download in flight that has received least.
  const Transfer* slowest = nullptr;
  auto consider = [&](const Transfer& t) {
    if (slowest == nullptr || t.book.bytes + t.received < slowest->book.bytes + slowest->received) slowest = &t;
  };
  for (const auto& [easy, t] : active_) consider(*t);
  for (const auto& t : pending_) consider(*t);
  std::string who = slowest == nullptr ? "" : "; slowest: " + slowest->download->path + " (" + slowest->url + "), " +
                                                  std::to_string(slowest->book.bytes + slowest->received) + " bytes";
  return Status::IoError("downloads from remote " + fetcher_.remote_.name + ": slow retrieval: " +
                         std::to_string(sinks_.batch_bytes) + " bytes in " +
                         std::to_string(static_cast<uint64_t>(seconds)) + " s (" +
                         std::to_string(static_cast<uint64_t>(sinks_.batch_bytes / std::max(seconds, 0.001))) +
                         " B/s), below the minimum of " + std::to_string(MinimumRate(options_)) +
                         " B/s (--stall-timeout " + std::to_string(options_.stall_seconds) + ")" + who +
                         "; giving up");
}

void Batch::Report() {
  if (!progress_) return;
  uint64_t done = report_.settled + report_.parked;
  for (const auto& [easy, t] : active_) done += ByteProgress::Credit(*t);
  progress_({phase_, done, report_.total});
}

int Batch::WaitMs() const {
  if (!active_.empty()) return 100;  // curl wakes the poll as soon as a socket has news
  auto next = Clock::time_point::max();  // only retries wait: until the first is due
  for (const auto& t : pending_) next = std::min(next, t->not_before);
  return static_cast<int>(std::clamp<int64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now()).count(), 0, 30000));
}

Status Batch::Run(const std::vector<Download>& downloads) {
  Enqueue(downloads);
  if (pending_.empty()) {
    Report();
    return Status::Ok();
  }
  LARCH_ASSIGN_OR_RETURN(multi_, NewMulti());
  LARCH_RETURN_IF_ERROR(CurlStatus(curl_multi_setopt(multi_.get(), CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX),
                                   "enabling multiplexing"));
  while (!pending_.empty() || !active_.empty()) {
    LARCH_RETURN_IF_ERROR(StartDue());
    int running = 0;
    LARCH_RETURN_IF_ERROR(CurlStatus(curl_multi_perform(multi_.get(), &running), "transferring"));
    bool finished = false;
    LARCH_RETURN_IF_ERROR(CollectFinished(&finished));
    Report();
    LARCH_RETURN_IF_ERROR(CheckBatchRate());
    // Never sleep when there is nothing to wait for: the poll below lasts
    // its whole timeout when no transfer is active, which cost every batch
    // (each tree level of a pull) 100 ms.
    if (pending_.empty() && active_.empty()) break;
    if (finished && !pending_.empty()) continue;  // a freed slot: start what waits for it first
    LARCH_RETURN_IF_ERROR(
        CurlStatus(curl_multi_poll(multi_.get(), nullptr, 0, WaitMs(), nullptr), "waiting for transfers"));
  }
  return Status::Ok();
}

Status Fetcher::FetchAll(const DownloadCache& cache, const std::vector<Download>& downloads,
                         const ProgressFn& progress, std::string_view phase) {
  Batch batch(*this, cache, progress, phase);
  return batch.Run(downloads);
}

}  // namespace larch::pull
