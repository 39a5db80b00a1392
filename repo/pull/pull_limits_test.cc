// File: repo/pull/pull_limits_test.cc
// A whole pull against the limits the user configured, over a real HTTP
// server on 127.0.0.1 (http_test_server.h):
//   - a server that drip-feeds an object (a few bytes, then a stall, on
//     every Range request) ends the pull within the bound the stall timeout
//     sets, naming the object, its URL and the rate (slow retrieval);
//   - many small objects dripped in two parts each, none of which trips the
//     rule of one download, trip the rule of the batch;
//   - a disk that fills up during a download fails with kNoSpace (exit 6)
//     naming the cause, and leaves no download behind and the store as it
//     was.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "repo/pull/http_test_server.h"
#include "repo/pull/pull_test_util.h"
#include "src/fs/posix_fs.h"

namespace larch::pull::testing {
namespace {

class PullLimits : public PullFixture {};

TEST_F(PullLimits, DripFeedingServerEndsThePullWithinTheBound) {
  Publish(V("1.0").Content(Incompressible(400 << 10)));
  PublishSummary();
  HttpTestServer server(dir_.Sub("server"));
  // 1000 bytes a request, then silence; after 15 such requests the server
  // answers 503, which only bounds how long this test can take when the
  // drip is not recognised.
  server.Drip(".file", 1000, 15);
  remote_.url = server.url();
  fetch_.stall_seconds = 2;
  fetch_.backoff_ms = 10;
  const std::string before = DeviceSnapshot();
  auto start = std::chrono::steady_clock::now();
  Result<PullResult> r = PullRef();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%.1f s: %s\n", elapsed, r.status().ToString().c_str());
  EXPECT_TRUE(FailsWith(r, StatusCode::kIoError, "slow retrieval"));
  EXPECT_TRUE(FailsWith(r, StatusCode::kIoError, server.url() + "/objects/"));
  EXPECT_TRUE(FailsWith(r, StatusCode::kIoError, "below the minimum of 1024 B/s (--stall-timeout 2)"));
  // Two stall timeouts of deficit, then the attempt that finds it out
  // (each lasts about one stall timeout): well under 15 seconds.
  EXPECT_LT(elapsed, 15.0);
  EXPECT_EQ(DeviceSnapshot(), before);
}

TEST_F(PullLimits, ManySmallDripFedObjectsTripTheBatchRule) {
  // 30 objects of about 650 bytes: the server sends 400 bytes of each and
  // stalls; the retry brings the rest at once. Each download takes one stall
  // timeout, inside its own grace of two, so only the batch (about 300 B/s,
  // one transfer at a time) is below the minimum rate.
  Release release = V("1.0");
  for (int i = 0; i < 30; ++i) {
    release.File("/usr/share/data/f" + std::to_string(i), std::to_string(i) + Incompressible(600));
  }
  Publish(release);
  PublishSummary();
  HttpTestServer server(dir_.Sub("server"));
  server.Drip(".file", 400, 200);
  remote_.url = server.url();
  fetch_.stall_seconds = 2;
  fetch_.backoff_ms = 10;
  fetch_.parallel = 1;
  const std::string before = DeviceSnapshot();
  auto start = std::chrono::steady_clock::now();
  Result<PullResult> r = PullRef();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%.1f s: %s\n", elapsed, r.status().ToString().c_str());
  EXPECT_TRUE(FailsWith(r, StatusCode::kIoError, "downloads from remote origin: slow retrieval: "));
  EXPECT_TRUE(FailsWith(r, StatusCode::kIoError, "below the minimum of 1024 B/s (--stall-timeout 2); slowest: "));
  // Without the batch rule the pull takes 30 stall timeouts and succeeds.
  EXPECT_LT(elapsed, 30.0);
  EXPECT_EQ(DeviceSnapshot(), before);
}

// The real filesystem, except that writes to a file object's partial
// download fail with ENOSPC.
class FullDownloadsFs : public fs::PosixFs {
 public:
  Status Write(int fd, ByteSpan data) override {
    char path[PATH_MAX] = {0};
    const std::string link = "/proc/self/fd/" + std::to_string(fd);
    ssize_t n = ::readlink(link.c_str(), path, sizeof(path) - 1);
    const std::string p(path, n > 0 ? static_cast<size_t>(n) : 0);
    if (p.find("/tmp/downloads/") != std::string::npos && p.ends_with(".file.part")) {
      return Status::FromErrno(ENOSPC, "write");
    }
    return fs::PosixFs::Write(fd, data);
  }
};

TEST_F(PullLimits, FullDiskDuringADownloadIsNoSpaceAndLeavesNoDownloads) {
  Publish(V("1.0").Content(Incompressible(100 << 10)));
  PublishSummary();
  FullDownloadsFs full;
  device_ = Must(repo::Store::Open(full, dir_.Sub("device")));
  const std::string before = DeviceSnapshot();
  Result<PullResult> r = PullRef();
  EXPECT_TRUE(FailsWith(r, StatusCode::kNoSpace, ".file: writing the download cache of remote origin: write: "));
  EXPECT_TRUE(FailsWith(r, StatusCode::kNoSpace, "No space left on device"));
  EXPECT_TRUE(FailsWith(r, StatusCode::kNoSpace, "this pull's downloads were removed"));
  EXPECT_EQ(DeviceSnapshot(), before);
  const std::string downloads = dir_.Sub("device/tmp/downloads");
  EXPECT_TRUE(!std::filesystem::exists(downloads) || std::filesystem::is_empty(downloads));
  for (const auto& e : std::filesystem::directory_iterator(dir_.Sub("device/tmp"))) {
    EXPECT_EQ(e.path().filename(), "downloads") << "left behind: " << e.path();
  }
}

}  // namespace
}  // namespace larch::pull::testing
