// Crash sweep for a pull that resumes: the device was killed in the middle
// of a pull (the commit and the tree's metadata complete in the download
// cache, half of the biggest file object in a .part file). For every
// mutating filesystem call i of the pull that resumes it — the cache's
// directories, the partial file's appends, the fsync and rename that make
// a download complete, the directory sync after it, the transaction, the
// cache's removal — "lose power" at i, reboot, and check:
//   - fsck passes and the ref names the old commit (none) or the new one;
//   - at most one download that was complete before the power cut is not
//     complete after it (the one whose directory sync the cut hit): a
//     complete download is durable;
//   - the pull run again succeeds without fetching any download that the
//     cache holds complete: those objects are taken off the server for the
//     re-run, so fetching one fails it.
// It runs twice: a first pull by objects, and an update v1 -> v2 by a delta
// (the superblock complete in the cache, half of its first part in a
// .part). The remote is file://, so the i-th call is the same call in every
// run.
#include <unistd.h>

#include <filesystem>
#include <set>

#include "repo/delta/generate.h"
#include "repo/fsck.h"
#include "repo/pull/download_cache.h"
#include "repo/pull/pull_test_util.h"
#include "repo/trust/signing.h"
#include "tests/support/fault_fs.h"
#include "tests/crash/no_sync_fs.h"

namespace larch::pull::testing {
namespace {

namespace stdfs = std::filesystem;


class PullCrash : public PullFixture, public ::testing::WithParamInterface<bool> {
 protected:
  bool by_delta() const { return GetParam(); }

  void SetUp() override {
    PullFixture::SetUp();
    fetch_.parallel = 1;  // one transfer at a time: the same order every run
    target_ = Publish(V("1.0").Content(Incompressible(200 << 10)));
    PublishSummary();
    if (by_delta()) {
      Must(PullRef());  // the device has 1.0; 2.0 comes as a delta
      previous_ = target_;
      const ObjectId v1 = target_;
      const std::string v1_content = Incompressible(200 << 10);
      target_ = Publish(V("2.0").Content(std::string(v1_content.rbegin(), v1_content.rend())));
      delta::GenerateOptions options;
      options.from = v1;
      options.to = target_;
      options.threads = 1;
      options.sign = [this](const crypto::Sha256Digest& digest) -> Result<std::vector<repo::CommitSignature>> {
        LARCH_ASSIGN_OR_RETURN(repo::CommitSignature sig,
                               trust::SignDigest(keys_[0], repo::SignedKind::kDeltaSuperblock, digest));
        return std::vector<repo::CommitSignature>{sig};
      };
      Must(delta::GenerateDelta(*server_, options).status());
      PublishSummary();
    }
    state_.reset();
    pristine_ = dir_.Sub("device");
    MakeInterruptedPull();
  }

  // The server's files below objects/ and deltas/, as remote paths.
  std::vector<std::string> ServerFiles() {
    std::vector<std::string> paths;
    for (const char* top : {"objects", "deltas"}) {
      if (!stdfs::exists(dir_.Sub("server/") + top)) continue;
      for (const auto& e : stdfs::recursive_directory_iterator(dir_.Sub("server/") + top)) {
        if (e.is_regular_file()) paths.push_back(e.path().string().substr(dir_.Sub("server").size() + 1));
      }
    }
    return paths;
  }

  // What a pull killed during its downloads leaves in the cache: by
  // objects, the commit and the tree's metadata complete and half of the
  // biggest file object; by delta, the superblock complete and half of the
  // first part.
  void MakeInterruptedPull() {
    const std::string cache = pristine_ + "/tmp/downloads/origin/";
    stdfs::create_directories(cache);
    std::string partial;
    for (const std::string& path : ServerFiles()) {
      const std::string from = dir_.Sub("server/" + path);
      if (by_delta()) {
        if (path.ends_with("/superblock")) stdfs::copy_file(from, cache + DownloadCache::NameFor(path));
        if (path.ends_with("/0")) partial = path;
      } else if (path.ends_with(".file")) {
        if (partial.empty() || stdfs::file_size(from) > stdfs::file_size(dir_.Sub("server/" + partial))) partial = path;
      } else if (!path.ends_with(".commitmeta")) {
        stdfs::copy_file(from, cache + DownloadCache::NameFor(path));
      }
    }
    ASSERT_FALSE(partial.empty());
    const std::string content = ReadTestFile(dir_.Sub("server/" + partial));
    WriteTestFile(cache + DownloadCache::NameFor(partial) + ".part", content.substr(0, content.size() / 2));
  }

  Status PullInto(fs::Fs& fs, const std::string& path) {
    LARCH_ASSIGN_OR_RETURN(auto store, repo::Store::Open(fs, path));
    LARCH_ASSIGN_OR_RETURN(auto state, trust::TrustState::Open(trust::TrustState::DefaultPath(*store)));
    PullOptions options;
    options.ref = "os/stable";
    options.now = kNow;
    options.fetch = fetch_;
    return Pull(*store, remote_, *state, options).status();
  }

  void Copy(const std::string& from, const std::string& to) {
    const std::string cmd = "cp -a '" + from + "' '" + to + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }

  // Names of complete downloads in a device's cache.
  static std::set<std::string> Complete(const std::string& device) {
    std::set<std::string> names;
    const std::string cache = device + "/tmp/downloads/origin";
    if (!stdfs::exists(cache)) return names;
    for (const auto& e : stdfs::directory_iterator(cache)) {
      const std::string name = e.path().filename();
      if (!name.ends_with(".part")) names.insert(name);
    }
    return names;
  }

  // The server's files whose cache names are in `names`, moved aside
  // (true) or back (false).
  void HideOnServer(const std::set<std::string>& names, bool hide) {
    for (std::string path : ServerFiles()) {
      if (!hide && !path.ends_with(".hidden")) continue;
      if (!hide) path.resize(path.size() - 7);
      if (names.count(DownloadCache::NameFor(path)) == 0) continue;
      const std::string real = dir_.Sub("server/" + path);
      hide ? stdfs::rename(real, real + ".hidden") : stdfs::rename(real + ".hidden", real);
    }
  }

  void ExpectRecovered(const std::string& path, uint64_t i, const std::set<std::string>& before_cut) {
    const std::set<std::string> after_cut = Complete(path);
    size_t lost = 0;
    for (const std::string& name : before_cut) lost += after_cut.count(name) == 0;
    EXPECT_LE(lost, 1u) << "crash at " << i << ": complete downloads lost to the power cut";
    {
      auto store = Must(repo::Store::Open(*fs::DefaultFs(), path));
      auto report = Must(repo::Fsck(*store, repo::FsckOptions{}));
      EXPECT_TRUE(report.ok()) << "crash at " << i << ": " << report.problems[0];
      auto ref = Must(repo::ReadRef(*store, "origin:os/stable"));
      EXPECT_TRUE(ref == previous_ || ref == target_) << "crash at " << i;
    }
    HideOnServer(after_cut, true);
    Status again = PullInto(crash::Unsynced(), path);
    HideOnServer(after_cut, false);
    ASSERT_TRUE(again.ok()) << "crash at " << i << ": re-run: " << again.ToString();
    auto store = Must(repo::Store::Open(*fs::DefaultFs(), path));
    EXPECT_EQ(*Must(repo::ReadRef(*store, "origin:os/stable")), target_) << "crash at " << i;
    EXPECT_TRUE(Must(repo::Fsck(*store, repo::FsckOptions{})).ok()) << "crash at " << i;
  }

  std::optional<ObjectId> previous_;  // the ref before the pull under test
  ObjectId target_;                   // what the pull under test brings
  std::string pristine_;
};

TEST_P(PullCrash, EveryFilesystemStepOfAResumedPullRecovers) {
  const std::string count = dir_.Sub("count");
  Copy(pristine_, count);
  fs::FaultFs counter(&crash::Unsynced());
  Must(PullInto(counter, count));
  const std::vector<uint64_t> points = counter.CrashPointsToSweep();
  std::printf("%zu of %llu mutating calls to sweep\n", points.size(),
              static_cast<unsigned long long>(counter.mutation_count()));
  ASSERT_GT(counter.mutation_count(), 10u);  // before sampling (LARCH_CRASH_SAMPLE)
  for (uint64_t i : points) {
    const std::string path = dir_.Sub("run-" + std::to_string(i));
    Copy(pristine_, path);
    std::set<std::string> before_cut;
    {
      fs::FaultFs faulty(&crash::Unsynced());
      faulty.CrashAtMutation(i);
      (void)PullInto(faulty, path);  // usually fails
      before_cut = Complete(path);
      ASSERT_TRUE(faulty.SimulatePowerLoss().ok());
    }
    ExpectRecovered(path, i, before_cut);
    stdfs::remove_all(path);
  }
}

INSTANTIATE_TEST_SUITE_P(Methods, PullCrash, ::testing::Bool(),
                         [](const auto& param_info) { return std::string(param_info.param ? "delta" : "objects"); });

}  // namespace
}  // namespace larch::pull::testing
