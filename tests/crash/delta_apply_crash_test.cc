// File: tests/crash/delta_apply_crash_test.cc
// Crash sweep for delta apply: for every mutating filesystem call i of an
// apply, "lose power" at i (FaultFs drops everything not yet durable),
// reopen the device store and check that fsck passes and the ref names the
// old commit or the new one, never anything else; then re-running the apply
// must finish the job. The sweep runs on the small test tree, and again on
// one with files over kMaxPatchInput, whose bsdiff patch is applied as a
// stream (an archive store decompresses the base into tmp/ first).
#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <tuple>

#include <gtest/gtest.h>

#include "repo/delta/apply.h"
#include "repo/delta/delta_test_util.h"
#include "repo/fsck.h"
#include "tests/crash/no_sync_fs.h"
#include "tests/support/fault_fs.h"

namespace larch::delta {
namespace {

using namespace testing;  // NOLINT
namespace stdfs = std::filesystem;

void CopyTree(const std::string& from, const std::string& to) {
  std::string cmd = "cp -a '" + from + "' '" + to + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

struct Fixture {
  Publisher pub;
  std::string pristine;
  std::string delta_dir;
  Fixture(StoreMode mode, bool big) : pub(StoreMode::kArchive, big) {
    pub.Device("device", mode);
    pristine = pub.dir.Sub("device");
    GeneratedDelta d = pub.Build(pub.v1);
    UniqueFd root(::open(pub.dir.path().c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
    Must(WriteDeltaDir(*fs::DefaultFs(), root.get(), "delta", d));
    delta_dir = pub.dir.Sub("delta");
  }
};

Status Apply(fs::Fs& store_fs, const std::string& store_path, const std::string& delta_dir) {
  LARCH_ASSIGN_OR_RETURN(auto store, Store::Open(store_fs, store_path));
  // The delta is read through the real filesystem: only the store crashes.
  LARCH_ASSIGN_OR_RETURN(auto source, DirectorySource::OpenUserPath(*fs::DefaultFs(), delta_dir));
  ApplyOptions options = Unverified();
  options.threads = 0;  // one thread: the i-th mutation is the same call every run
  return ApplyDelta(*store, *source, options).status();
}

// The crash points of an uninterrupted apply (FaultFs::DistinctCrashPoints:
// every mutating call but the writes that continue a streamed file).
std::vector<uint64_t> CrashPoints(const Fixture& f) {
  std::string path = f.pub.dir.Sub("count");
  CopyTree(f.pristine, path);
  fs::FaultFs counter(&crash::Unsynced());
  Status s = Apply(counter, path, f.delta_dir);
  EXPECT_TRUE(s.ok()) << s.ToString();
  stdfs::remove_all(path);
  std::vector<uint64_t> points = counter.CrashPointsToSweep();
  std::printf("%zu of %llu mutating calls to sweep\n", points.size(),
              static_cast<unsigned long long>(counter.mutation_count()));
  return points;
}

void ExpectConsistent(const Fixture& f, const std::string& path, uint64_t i) {
  auto store = Store::Open(*fs::DefaultFs(), path);
  ASSERT_TRUE(store.ok()) << "crash at " << i << ": " << store.status().ToString();
  auto report = Fsck(**store, FsckOptions{});
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << "crash at " << i << ": " << report->problems[0];
  auto ref = ReadRef(**store, kBranch);
  ASSERT_TRUE(ref.ok() && ref->has_value()) << "crash at " << i;
  EXPECT_TRUE(**ref == f.pub.v1 || **ref == f.pub.v2) << "crash at " << i;
  store->reset();
  Status again = Apply(crash::Unsynced(), path, f.delta_dir);
  ASSERT_TRUE(again.ok()) << "crash at " << i << ": re-run: " << again.ToString();
  auto reopened = Must(Store::Open(*fs::DefaultFs(), path));
  EXPECT_EQ(*Must(ReadRef(*reopened, kBranch)), f.pub.v2) << "crash at " << i;
  auto after = Must(Fsck(*reopened, FsckOptions{}));
  EXPECT_TRUE(after.ok()) << "crash at " << i;
}

class DeltaApplyCrashTest : public ::testing::TestWithParam<std::tuple<StoreMode, bool>> {};

// Under AddressSanitizer the big-file sweep (hundreds of crash points, each
// copying a store with 10 MiB files) takes many minutes; the plain build of
// tools/run-tests.sh sweeps it in full, and the small sweep covers the same
// apply code under the sanitizer.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

TEST_P(DeltaApplyCrashTest, EveryFilesystemStepLeavesOldOrNewCommit) {
  auto [mode, big] = GetParam();
  if (mode == StoreMode::kBare && ::geteuid() != 0) GTEST_SKIP() << "bare stores need root";
  if (big && kSanitized) GTEST_SKIP() << "big-file sweep: the plain build runs it (minutes under ASan)";
  Fixture f(mode, big);
  std::vector<uint64_t> points = CrashPoints(f);
  ASSERT_GT(points.size(), 10u);
  for (uint64_t i : points) {
    std::string path = f.pub.dir.Sub("run-" + std::to_string(i));
    CopyTree(f.pristine, path);
    {
      fs::FaultFs faulty(&crash::Unsynced());
      faulty.CrashAtMutation(i);
      (void)Apply(faulty, path, f.delta_dir);  // usually fails
      ASSERT_TRUE(faulty.SimulatePowerLoss().ok());
    }
    ExpectConsistent(f, path, i);
    stdfs::remove_all(path);
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, DeltaApplyCrashTest,
                         ::testing::Combine(::testing::Values(StoreMode::kArchive, StoreMode::kBare),
                                            ::testing::Bool()),
                         [](const auto& param_info) {
                           return std::string(StoreModeName(std::get<0>(param_info.param))) +
                                  (std::get<1>(param_info.param) ? "_big_files" : "");
                         });

}  // namespace
}  // namespace larch::delta
