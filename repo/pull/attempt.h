// File: repo/pull/attempt.h
//
// What Fetcher::FetchAll does after each transfer attempt of one download:
// complete it, retry it, or fail the pull. A pure function of how the
// attempt ended and of the download's bookkeeping over its earlier
// attempts, so that every branch is tested without a network
// (attempt_test.cc). The slow-retrieval bound lives here: a server that
// drip-feeds a few bytes per request must not get a fresh budget with each
// request (docs/pull.md, "Slow retrieval").
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "repo/pull/fetcher.h"
#include "src/base/status.h"

namespace larch::pull {

// How one attempt ended.
struct AttemptEnd {
  CURLcode code = CURLE_OK;
  long http = 0;                // response status; 0 when none arrived
  bool overflow = false;        // the server sent more than the limit
  Status write = Status::Ok();  // a failed write to the download cache
  uint64_t offset = 0;          // bytes in the partial file now
  uint64_t attempt_start = 0;   // bytes in it when the attempt began
  uint64_t received = 0;        // bytes received in this attempt
  double seconds = 0;           // how long the attempt took
  std::string error;            // libcurl's message, if any
};

// One download's history within one FetchAll, across its attempts.
struct AttemptBook {
  unsigned attempts = 0;  // finished attempts
  unsigned failures = 0;  // attempts in a row that added no byte
  unsigned partial = 0;   // attempts that added bytes but did not finish it
  uint64_t bytes = 0;     // bytes received over all attempts
  double seconds = 0;     // time in attempts and back-off waits (not in the queue)
};

enum class Next { kComplete, kRetry, kFail };

struct Decision {
  Next next = Next::kFail;
  AttemptBook book;                    // the bookkeeping after this attempt
  std::chrono::milliseconds delay{0};  // kRetry: the back-off before it
  Status status;                       // kFail: why
  bool discard = false;                // kFail: delete the partial download
};

// `url` names the download in messages.
Decision Decide(const Download& download, const std::string& url, const AttemptEnd& end, AttemptBook book,
                const FetchOptions& options, const std::string& remote);

// The slow-retrieval rule: at least the minimum rate on average, once a
// deficit of two stall timeouts is used up. For one download (its book,
// judged after an attempt that brought bytes but did not finish it) and
// for a whole batch (its bytes over its wall time, once such an attempt was
// seen). Attempts that bring nothing are --retries' business alone.
bool BelowMinimumRate(uint64_t bytes, double seconds, const FetchOptions& options);
uint64_t MinimumRate(const FetchOptions& options);
// Attempts that add bytes without finishing a download (the ones --retries
// does not count): --retries + 1, plus one for each 64 KiB of its size.
unsigned MaxPartialAttempts(const Download& download, const FetchOptions& options);
std::chrono::milliseconds Backoff(unsigned failures, unsigned first_ms);

}  // namespace larch::pull
