// File: repo/pull/attempt_test.cc
// Decide, branch by branch, without a network: every way an attempt ends
// (limit overflow, a failed cache write, missing, complete, too long,
// permanent HTTP error, a retry with and without progress) and every bound
// on retries (--retries in a row without progress, the cap on attempts
// with progress, the minimum rate over all attempts: slow retrieval).
#include "repo/pull/attempt.h"

#include "repo/repo_test_util.h"

namespace larch::pull {
namespace {

using repo::testing::FailsWith;

constexpr char kUrl[] = "http://host/objects/ab/cd.file";

FetchOptions Options() {
  FetchOptions o;
  o.retries = 2;
  o.backoff_ms = 100;
  o.stall_seconds = 10;
  o.stall_bytes_per_second = 1000;
  return o;
}

Download Exact(uint64_t size) { return Download{"objects/ab/cd.file", size * 2, size}; }

AttemptEnd Ended(CURLcode code, long http, uint64_t start, uint64_t offset, double seconds = 1) {
  AttemptEnd e;
  e.code = code;
  e.http = http;
  e.attempt_start = start;
  e.offset = offset;
  e.received = offset - start;
  e.seconds = seconds;
  return e;
}

Decision DecideOn(const Download& d, const AttemptEnd& end, AttemptBook book = {}, FetchOptions o = Options()) {
  return Decide(d, kUrl, end, book, o, "origin");
}

TEST(Decide, CompleteWhenTheSignedSizeArrived) {
  Decision d = DecideOn(Exact(100), Ended(CURLE_OK, 200, 0, 100));
  EXPECT_EQ(d.next, Next::kComplete);
  EXPECT_EQ(d.book.attempts, 1u);
  EXPECT_EQ(d.book.bytes, 100u);
}

TEST(Decide, CompleteWithoutASignedSizeWhenTheServerSaysSo) {
  Download d{"objects/ab/cd.dirtree", 5000, std::nullopt};
  EXPECT_EQ(DecideOn(d, Ended(CURLE_OK, 200, 0, 1234)).next, Next::kComplete);
}

TEST(Decide, RangeNotSatisfiableAfterEveryByteIsComplete) {
  EXPECT_EQ(DecideOn(Exact(100), Ended(CURLE_HTTP_RETURNED_ERROR, 416, 100, 100)).next, Next::kComplete);
}

TEST(Decide, OverflowFailsAndDiscards) {
  AttemptEnd e = Ended(CURLE_WRITE_ERROR, 200, 0, 200);
  e.overflow = true;
  Decision d = DecideOn(Exact(100), e);
  EXPECT_EQ(d.next, Next::kFail);
  EXPECT_TRUE(d.discard);
  EXPECT_TRUE(FailsWith(d.status, StatusCode::kVerifyFailed, "exceeded its limit of 200 bytes"));
}

TEST(Decide, AFullDiskFailsWithItsCause) {
  AttemptEnd e = Ended(CURLE_WRITE_ERROR, 200, 0, 10);
  e.write = Status::FromErrno(ENOSPC, "writing the download cache of remote origin: write");
  Decision d = DecideOn(Exact(100), e);
  EXPECT_EQ(d.next, Next::kFail);
  EXPECT_FALSE(d.discard);
  EXPECT_TRUE(FailsWith(d.status, StatusCode::kNoSpace, "objects/ab/cd.file: writing the download cache"));
}

TEST(Decide, MissingOnTheRemote) {
  for (AttemptEnd e : {Ended(CURLE_HTTP_RETURNED_ERROR, 404, 0, 0), Ended(CURLE_HTTP_RETURNED_ERROR, 410, 0, 0),
                       Ended(CURLE_FILE_COULDNT_READ_FILE, 0, 0, 0)}) {
    Decision d = DecideOn(Exact(100), e);
    EXPECT_EQ(d.next, Next::kFail);
    EXPECT_TRUE(FailsWith(d.status, StatusCode::kNotFound, "not found on remote origin"));
  }
}

TEST(Decide, LongerThanItsSignedSizeIsCorruptAndDiscarded) {
  Decision d = DecideOn(Exact(100), Ended(CURLE_OK, 200, 0, 150));
  EXPECT_EQ(d.next, Next::kFail);
  EXPECT_TRUE(d.discard);
  EXPECT_TRUE(FailsWith(d.status, StatusCode::kCorruption, "longer than its signed size"));
}

TEST(Decide, PermanentHttpErrorFails) {
  Decision d = DecideOn(Exact(100), Ended(CURLE_HTTP_RETURNED_ERROR, 403, 0, 0));
  EXPECT_EQ(d.next, Next::kFail);
  EXPECT_TRUE(FailsWith(d.status, StatusCode::kIoError, "HTTP 403 from remote origin"));
}

TEST(Decide, TransientHttpErrorsAreRetriedWithBackoff) {
  for (long http : {408L, 429L, 500L, 503L}) {
    Decision d = DecideOn(Exact(100), Ended(CURLE_HTTP_RETURNED_ERROR, http, 0, 0));
    EXPECT_EQ(d.next, Next::kRetry) << http;
    EXPECT_EQ(d.delay, std::chrono::milliseconds(100)) << http;
    EXPECT_EQ(d.book.failures, 1u);
  }
}

TEST(Decide, ProgressRetriesAtOnceAndResetsTheFailures) {
  AttemptBook book;
  book.failures = 2;
  Decision d = DecideOn(Exact(100000), Ended(CURLE_RECV_ERROR, 206, 0, 50000), book);
  EXPECT_EQ(d.next, Next::kRetry);
  EXPECT_EQ(d.delay, std::chrono::milliseconds(0));
  EXPECT_EQ(d.book.failures, 0u);
  EXPECT_EQ(d.book.attempts, 1u);
  EXPECT_EQ(d.book.bytes, 50000u);
}

TEST(Decide, BackoffDoublesAndCountsInTheRateWindow) {
  AttemptBook book;
  book.failures = 1;
  Decision d = DecideOn(Exact(100), Ended(CURLE_COULDNT_CONNECT, 0, 0, 0, 0.5), book);
  EXPECT_EQ(d.next, Next::kRetry);
  EXPECT_EQ(d.delay, std::chrono::milliseconds(200));
  EXPECT_DOUBLE_EQ(d.book.seconds, 0.7);
}

TEST(Decide, GivesUpAfterRetriesWithoutProgress) {
  AttemptBook book;
  book.failures = 2;  // --retries 2: the third attempt in a row without a byte is the last
  AttemptEnd e = Ended(CURLE_OPERATION_TIMEDOUT, 0, 0, 0);
  e.error = "Operation too slow";
  Decision d = DecideOn(Exact(100), e, book);
  EXPECT_EQ(d.next, Next::kFail);
  EXPECT_TRUE(FailsWith(d.status, StatusCode::kIoError, "giving up after 3 attempts without progress: Operation too slow"));
}

TEST(Decide, AShortFileNamesWhatArrived) {
  AttemptBook book;
  book.failures = 2;
  Decision d = DecideOn(Exact(1000), Ended(CURLE_OK, 206, 500, 500), book);
  EXPECT_TRUE(FailsWith(d.status, StatusCode::kIoError, "the server sent 500 of 1000 bytes"));
}

TEST(Decide, AttemptsAreCappedEvenWithProgress) {
  const Download d = Exact(64 << 10);  // --retries 2 + 1, plus 1 for its 64 KiB: 4 partial attempts
  EXPECT_EQ(MaxPartialAttempts(d, Options()), 4u);
  AttemptBook book;
  book.attempts = 5;
  book.partial = 3;
  book.bytes = 3000;
  Decision next = DecideOn(d, Ended(CURLE_RECV_ERROR, 206, 3000, 4000), book);
  EXPECT_EQ(next.next, Next::kFail);
  EXPECT_TRUE(FailsWith(next.status, StatusCode::kIoError,
                        "objects/ab/cd.file (" + std::string(kUrl) +
                            "): giving up after 4 attempts that each brought only part of it (4000 bytes received)"));
  // Attempts without a byte do not count against that cap (--retries does).
  book.partial = 0;
  for (int i = 0; i < 10; ++i) {
    book.failures = 0;
    next = DecideOn(d, Ended(CURLE_COULDNT_CONNECT, 0, 3000, 3000), book);
    ASSERT_EQ(next.next, Next::kRetry);
    book = next.book;
  }
}

TEST(Decide, ADripFeedingServerIsSlowRetrieval) {
  // 1000 bytes per 10 s attempt (the stall timeout): 100 B/s against a
  // minimum of 1000. Two stall timeouts of deficit are forgiven, then not.
  const Download d = Exact(400000);
  AttemptBook book;
  Decision next;
  for (int i = 0; i < 2; ++i) {
    next = DecideOn(d, Ended(CURLE_OPERATION_TIMEDOUT, 206, 1000 * i, 1000 * (i + 1), 10), book);
    ASSERT_EQ(next.next, Next::kRetry) << i;
    book = next.book;
  }
  next = DecideOn(d, Ended(CURLE_OPERATION_TIMEDOUT, 206, 2000, 3000, 10), book);
  EXPECT_EQ(next.next, Next::kFail);
  EXPECT_TRUE(FailsWith(next.status, StatusCode::kIoError,
                        std::string(kUrl) + "): slow retrieval: 3000 bytes in 30 s over 3 attempts (100 B/s), "
                                            "below the minimum of 1000 B/s (--stall-timeout 10)"));
}

TEST(Decide, AttemptsWithoutProgressAreJudgedByRetriesAlone) {
  AttemptBook book;
  book.seconds = 100;  // far past two stall timeouts, not a byte yet
  Decision d = DecideOn(Exact(100), Ended(CURLE_OPERATION_TIMEDOUT, 0, 0, 0, 10), book);
  EXPECT_EQ(d.next, Next::kRetry);
}

TEST(Decide, MinimumRateRule) {
  FetchOptions o = Options();
  EXPECT_FALSE(BelowMinimumRate(0, 20, o));     // within two stall timeouts
  EXPECT_TRUE(BelowMinimumRate(0, 20.5, o));
  EXPECT_FALSE(BelowMinimumRate(10000, 30, o));  // 1000 B/s over the 10 s past the grace
  EXPECT_TRUE(BelowMinimumRate(9999, 30, o));
  o.max_rate = 100;  // --max-rate below the stall rate lowers the minimum
  EXPECT_EQ(MinimumRate(o), 100u);
  EXPECT_FALSE(BelowMinimumRate(1000, 30, o));
}

TEST(Decide, BackoffIsBounded) {
  EXPECT_EQ(Backoff(0, 250), std::chrono::milliseconds(0));
  EXPECT_EQ(Backoff(1, 250), std::chrono::milliseconds(250));
  EXPECT_EQ(Backoff(3, 250), std::chrono::milliseconds(1000));
  EXPECT_EQ(Backoff(40, 250), std::chrono::milliseconds(30000));
}

}  // namespace
}  // namespace larch::pull
