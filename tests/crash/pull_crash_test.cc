// Crash sweep for a pull that resumes: the device was killed in the middle
// of a pull (the commit and the tree's metadata complete in the download
// cache, half of the biggest file object in a .part file). For every
// mutating filesystem call i of the pull that resumes it — the cache's
// directories, the partial file's appends, the fsync and rename that make
// a download complete, the directory sync after it, the transaction, the
// cache's removal — "lose power" at i, reboot, and check:
//   - fsck passes and the ref is absent or names the new commit;
//   - at most one download that was complete before the power cut is not
//     complete after it (the one whose directory sync the cut hit): a
//     complete download is durable;
//   - the pull run again succeeds without fetching any download that the
//     cache holds complete: those objects are taken off the server for the
//     re-run, so fetching one fails it.
// The remote is file://, so the i-th call is the same call in every run.
#include <unistd.h>

#include <filesystem>
#include <set>

#include "repo/fsck.h"
#include "repo/pull/download_cache.h"
#include "repo/pull/pull_test_util.h"
#include "src/fs/fault_fs.h"
#include "tests/crash/no_sync_fs.h"

namespace larch::pull::testing {
namespace {

namespace stdfs = std::filesystem;


class PullCrash : public PullFixture {
 protected:
  void SetUp() override {
    PullFixture::SetUp();
    v1_ = Publish(V("1.0").Content(Incompressible(200 << 10)));
    PublishSummary();
    fetch_.parallel = 1;  // one transfer at a time: the same order every run
    state_.reset();
    pristine_ = dir_.Sub("device");
    MakeInterruptedPull();
  }

  // What a pull killed during its file downloads leaves in the cache.
  void MakeInterruptedPull() {
    const std::string cache = pristine_ + "/tmp/downloads/origin/";
    stdfs::create_directories(cache);
    std::string biggest;
    for (const auto& e : stdfs::recursive_directory_iterator(dir_.Sub("server/objects"))) {
      if (!e.is_regular_file()) continue;
      const std::string path = e.path().string().substr(dir_.Sub("server").size() + 1);
      if (path.ends_with(".file")) {
        if (biggest.empty() || e.file_size() > stdfs::file_size(dir_.Sub("server/" + biggest))) biggest = path;
      } else if (!path.ends_with(".commitmeta")) {
        stdfs::copy_file(e.path(), cache + DownloadCache::NameFor(path));
      }
    }
    ASSERT_FALSE(biggest.empty());
    const std::string content = ReadTestFile(dir_.Sub("server/" + biggest));
    WriteTestFile(cache + DownloadCache::NameFor(biggest) + ".part", content.substr(0, content.size() / 2));
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

  // The server's objects whose cache names are in `names`, moved aside
  // (true) or back (false).
  void HideOnServer(const std::set<std::string>& names, bool hide) {
    for (const auto& e : stdfs::recursive_directory_iterator(dir_.Sub("server/objects"))) {
      if (!e.is_directory()) continue;
      for (const auto& f : stdfs::directory_iterator(e.path())) {
        std::string path = f.path().string();
        if (!hide && !path.ends_with(".hidden")) continue;
        if (!hide) path.resize(path.size() - 7);
        const std::string name = DownloadCache::NameFor(path.substr(dir_.Sub("server").size() + 1));
        if (names.count(name) == 0) continue;
        hide ? stdfs::rename(path, path + ".hidden") : stdfs::rename(path + ".hidden", path);
      }
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
      EXPECT_TRUE(!ref || *ref == v1_) << "crash at " << i;
    }
    HideOnServer(after_cut, true);
    Status again = PullInto(crash::Unsynced(), path);
    HideOnServer(after_cut, false);
    ASSERT_TRUE(again.ok()) << "crash at " << i << ": re-run: " << again.ToString();
    auto store = Must(repo::Store::Open(*fs::DefaultFs(), path));
    EXPECT_EQ(*Must(repo::ReadRef(*store, "origin:os/stable")), v1_) << "crash at " << i;
    EXPECT_TRUE(Must(repo::Fsck(*store, repo::FsckOptions{})).ok()) << "crash at " << i;
  }

  ObjectId v1_;
  std::string pristine_;
};

TEST_F(PullCrash, EveryFilesystemStepOfAResumedPullRecovers) {
  const std::string count = dir_.Sub("count");
  Copy(pristine_, count);
  fs::FaultFs counter(&crash::Unsynced());
  Must(PullInto(counter, count));
  const std::vector<uint64_t> points = counter.DistinctCrashPoints();
  std::printf("%zu of %llu mutating calls to sweep\n", points.size(),
              static_cast<unsigned long long>(counter.mutation_count()));
  ASSERT_GT(points.size(), 10u);
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

}  // namespace
}  // namespace larch::pull::testing
