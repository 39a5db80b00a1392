// File: repo/pull/attempt.cc
#include "repo/pull/attempt.h"

#include <algorithm>
#include <cmath>

namespace larch::pull {

namespace {

constexpr uint64_t kBytesPerExtraAttempt = 64 << 10;

bool IsPermanentHttp(long code) { return code >= 400 && code < 500 && code != 408 && code != 429; }

bool IsMissing(const AttemptEnd& end) {
  return end.code == CURLE_FILE_COULDNT_READ_FILE || end.http == 404 || end.http == 410;
}

bool IsComplete(const Download& d, const AttemptEnd& end) {
  const bool range_done = end.http == 416 && end.offset > 0;  // we already had every byte
  return (end.code == CURLE_OK || range_done) && (!d.exact_size || end.offset == *d.exact_size);
}

std::string Why(const Download& d, const AttemptEnd& end) {
  if (end.code == CURLE_OK) {
    return "the server sent " + std::to_string(end.offset) + " of " + std::to_string(d.exact_size.value_or(0)) +
           " bytes";
  }
  return end.error.empty() ? curl_easy_strerror(end.code) : end.error;
}

Decision Fail(AttemptBook book, Status status, bool discard = false) {
  return Decision{Next::kFail, book, std::chrono::milliseconds(0), std::move(status), discard};
}

std::string Rate(uint64_t bytes, double seconds) {
  return std::to_string(static_cast<uint64_t>(bytes / std::max(seconds, 0.001))) + " B/s";
}

// A broken, stalled or short attempt: retried unless one of the bounds is
// reached.
Decision Retry(const Download& d, const std::string& url, const AttemptEnd& end, AttemptBook book,
               const FetchOptions& o) {
  book.attempts += 1;
  book.bytes += end.received;
  book.seconds += end.seconds;
  const bool progress = end.offset > end.attempt_start;
  book.failures = progress ? 0 : book.failures + 1;
  book.partial += progress ? 1 : 0;
  if (book.failures > o.retries) {
    return Fail(book, Status::IoError(d.path + ": giving up after " + std::to_string(o.retries + 1) +
                                      " attempts without progress: " + Why(d, end)));
  }
  if (book.partial >= MaxPartialAttempts(d, o)) {
    return Fail(book, Status::IoError(d.path + " (" + url + "): giving up after " + std::to_string(book.partial) +
                                      " attempts that each brought only part of it (" +
                                      std::to_string(book.bytes) + " bytes received): " + Why(d, end)));
  }
  // Only an attempt that brought bytes is judged by its rate: a dead link
  // is --retries' business alone, as it always was; a drip is not.
  if (progress && BelowMinimumRate(book.bytes, book.seconds, o)) {
    return Fail(book, Status::IoError(d.path + " (" + url + "): slow retrieval: " + std::to_string(book.bytes) +
                                      " bytes in " + std::to_string(static_cast<uint64_t>(book.seconds)) +
                                      " s over " + std::to_string(book.attempts) + " attempts (" +
                                      Rate(book.bytes, book.seconds) + "), below the minimum of " +
                                      std::to_string(MinimumRate(o)) + " B/s (--stall-timeout " +
                                      std::to_string(o.stall_seconds) + "); giving up"));
  }
  Decision next{Next::kRetry, book, Backoff(book.failures, o.backoff_ms), Status::Ok(), false};
  next.book.seconds += std::chrono::duration<double>(next.delay).count();
  return next;
}

}  // namespace

uint64_t MinimumRate(const FetchOptions& o) {
  const uint64_t stall = static_cast<uint64_t>(std::max(o.stall_bytes_per_second, 0L));
  // --max-rate below the stall rate is what the user asked for, not an attack.
  return o.max_rate > 0 ? std::min(stall, o.max_rate) : stall;
}

bool BelowMinimumRate(uint64_t bytes, double seconds, const FetchOptions& o) {
  const double grace = 2.0 * static_cast<double>(o.stall_seconds);
  if (seconds <= grace) return false;
  return static_cast<double>(bytes) < static_cast<double>(MinimumRate(o)) * (seconds - grace);
}

unsigned MaxPartialAttempts(const Download& d, const FetchOptions& o) {
  const uint64_t size = d.progress_size ? *d.progress_size : d.exact_size ? *d.exact_size : d.limit;
  return o.retries + 1 + static_cast<unsigned>(std::min<uint64_t>(size / kBytesPerExtraAttempt, 1u << 20));
}

std::chrono::milliseconds Backoff(unsigned failures, unsigned first_ms) {
  if (failures == 0) return std::chrono::milliseconds(0);
  uint64_t ms = static_cast<uint64_t>(first_ms) << std::min(failures - 1, 16u);
  return std::chrono::milliseconds(std::min<uint64_t>(ms, 30000));
}

Decision Decide(const Download& d, const std::string& url, const AttemptEnd& end, AttemptBook book,
                const FetchOptions& o, const std::string& remote) {
  if (end.overflow) {
    return Fail(book,
                Status::VerifyFailed(d.path + ": download exceeded its limit of " + std::to_string(d.limit) +
                                     " bytes; stopped there"),
                true);
  }
  if (!end.write.ok()) return Fail(book, end.write.WithContext(d.path));
  if (IsMissing(end)) return Fail(book, Status::NotFound(d.path + " not found on remote " + remote));
  if (IsComplete(d, end)) {
    book.attempts += 1;
    book.bytes += end.received;
    return Decision{Next::kComplete, book, std::chrono::milliseconds(0), Status::Ok(), false};
  }
  if (end.code == CURLE_OK && d.exact_size && end.offset > *d.exact_size) {
    return Fail(book, Status::Corruption(d.path + ": longer than its signed size"), true);
  }
  if (end.code == CURLE_HTTP_RETURNED_ERROR && IsPermanentHttp(end.http)) {
    return Fail(book, Status::IoError(d.path + ": HTTP " + std::to_string(end.http) + " from remote " + remote));
  }
  return Retry(d, url, end, book, o);
}

}  // namespace larch::pull
