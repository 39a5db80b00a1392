// File: initramfs/state_file_test.cc
// The boot-state rewrite under power loss. The write sequence is stopped
// at each of its steps (and a write torn in half); for every stop, each
// state the disk can be in afterwards is checked: the file decodes, it is
// the old state or the new one, both name bootable deployments, and the
// counter never goes up. A whole run of boots with a loss at every step
// of every write shows the default is booted at most N times and the
// device always ends on the fallback.
#include "initramfs/state_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "initramfs/choose.h"
#include "initramfs/test_util.h"

namespace larch::initramfs {
namespace {

using boot::BootState;
using boot::BootStatus;
using larch::testing::ReadTestFile;
using larch::testing::TempDir;
using larch::testing::WriteTestFile;
using testing::Dep;
using testing::MkdirP;
using testing::State;

constexpr int kPowerLost = EIO;
constexpr int kSteps = 5;  // open, write, fsync, rename, fsync dir

// The real steps, with power lost at step `crash_at` (0-based; -1 never).
// A lost write leaves half of the bytes in the temporary file.
class LosePowerAt : public WriteSteps {
 public:
  explicit LosePowerAt(int crash_at) : crash_at_(crash_at) {}
  int OpenTemp(int dir, UniqueFd* out) override { return Lost("open") ? kPowerLost : WriteSteps::OpenTemp(dir, out); }
  int Write(int fd, const char* data, size_t size) override {
    if (!Lost("write")) return WriteSteps::Write(fd, data, size);
    WriteSteps::Write(fd, data, size / 2);
    return kPowerLost;
  }
  int Sync(int fd) override { return Lost("fsync") ? kPowerLost : WriteSteps::Sync(fd); }
  int Rename(int dir) override {
    if (Lost("rename")) return kPowerLost;
    renamed_ = true;
    return WriteSteps::Rename(dir);
  }
  int SyncDir(int dir) override { return Lost("fsync-dir") ? kPowerLost : WriteSteps::SyncDir(dir); }

  // The rename happened but was not made durable: after power loss the
  // directory may still hold the old file.
  bool rename_not_durable() const { return renamed_ && crash_at_ == 4; }
  const std::vector<std::string>& order() const { return order_; }

 private:
  bool Lost(const char* step) {
    order_.push_back(step);
    return step_++ == crash_at_;
  }
  int crash_at_;
  int step_ = 0;
  bool renamed_ = false;
  std::vector<std::string> order_;
};

class PowerLoss : public ::testing::Test {
 protected:
  void SetUp() override {
    sysroot_ = dir_.Sub("sysroot");
    MkdirP(sysroot_ + "/boot/loader.0");
    MkdirP(sysroot_ + "/ostree");
    symlink("loader.0", (sysroot_ + "/boot/loader").c_str());
    symlink("../boot/loader", (sysroot_ + "/ostree/boot").c_str());
    for (const boot::DeploymentId& id : {kNew, kOld}) testing::MakeBootable(sysroot_, id);
    fd_ = open(sysroot_.c_str(), O_RDONLY | O_DIRECTORY);
  }
  void TearDown() override { close(fd_); }

  std::string File() const { return sysroot_ + "/boot/loader.0/boot-state"; }
  void Put(const BootState& s) { WriteTestFile(File(), boot::EncodeBootState(s)); }
  LoadedState Load() { return LoadBootState(fd_); }

  // One boot as the helper does it: choose, write (maybe losing power).
  // Returns what was booted, or nullopt when power was lost first.
  std::optional<boot::DeploymentId> Boot(int crash_at) {
    LoadedState loaded = Load();
    EXPECT_TRUE(loaded.state) << loaded.error;
    if (!loaded.state) return std::nullopt;
    ChooseInput in;
    in.cmdline = boot::DeploymentFromCmdline("larch=" + boot::DeploymentPath(kNew));
    in.state = loaded.state;
    Choice c = Choose(in, [](const boot::DeploymentId&) { return std::string(); });
    if (!c.write) return c.boot;
    std::string before = ReadTestFile(File());
    LosePowerAt steps(crash_at);
    std::string error = WriteBootState(loaded.dir.get(), *c.write, steps);
    if (error.empty()) return c.boot;
    if (steps.rename_not_durable()) WriteTestFile(File(), before);  // the worse of the two outcomes
    return std::nullopt;  // powered off before switching root
  }

  const boot::DeploymentId kNew = Dep('a');
  const boot::DeploymentId kOld = Dep('b');
  TempDir dir_;
  std::string sysroot_;
  int fd_ = -1;
};

TEST_F(PowerLoss, StepsRunInTheDurableOrder) {
  Put(State({kNew, kOld}, 3));
  LosePowerAt steps(-1);
  ASSERT_EQ(WriteBootState(Load().dir.get(), State({kNew, kOld}, 2), steps), "");
  EXPECT_EQ(steps.order(), (std::vector<std::string>{"open", "write", "fsync", "rename", "fsync-dir"}));
  EXPECT_EQ(Load().state, State({kNew, kOld}, 2));
  EXPECT_NE(access((sysroot_ + "/boot/loader.0/boot-state.tmp").c_str(), F_OK), 0);
}

TEST_F(PowerLoss, EveryStopLeavesTheOldOrTheNewStateAndBothBoot) {
  const BootState old_state = State({kNew, kOld}, 1);
  const BootState new_state = State({kNew, kOld}, 0);
  for (int crash_at = 0; crash_at < kSteps; ++crash_at) {
    for (bool rename_lost : {false, true}) {
      SCOPED_TRACE("power lost at step " + std::to_string(crash_at) + (rename_lost ? ", rename undone" : ""));
      Put(old_state);
      LoadedState loaded = Load();
      LosePowerAt steps(crash_at);
      EXPECT_NE(WriteBootState(loaded.dir.get(), new_state, steps), "");
      if (rename_lost && steps.rename_not_durable()) Put(old_state);
      LoadedState after = Load();
      ASSERT_TRUE(after.state) << after.error;
      EXPECT_TRUE(*after.state == old_state || *after.state == new_state);
      EXPECT_LE(after.state->tries_left, old_state.tries_left);
      // The next boot has a bootable choice from what is there.
      ChooseInput in;
      in.cmdline = boot::DeploymentFromCmdline("larch=" + boot::DeploymentPath(kNew));
      in.state = after.state;
      Choice next = Choose(in, [](const boot::DeploymentId&) { return std::string(); });
      ASSERT_TRUE(next.boot);
      // And a leftover temporary file does not stop the next write.
      LosePowerAt clean(-1);
      EXPECT_EQ(WriteBootState(after.dir.get(), new_state, clean), "");
      EXPECT_EQ(Load().state, new_state);
    }
  }
}

TEST_F(PowerLoss, RepeatedLossesNeverAddTriesAndEndOnTheFallback) {
  constexpr uint32_t kTries = 2;
  // For every (boot, step) pair: power is lost at that step of that boot's
  // write; every other boot completes.
  for (int lossy_boot = 0; lossy_boot < 4; ++lossy_boot) {
    for (int crash_at = 0; crash_at < kSteps; ++crash_at) {
      SCOPED_TRACE("boot " + std::to_string(lossy_boot) + ", step " + std::to_string(crash_at));
      Put(State({kNew, kOld}, kTries));
      int default_boots = 0;
      std::optional<boot::DeploymentId> last;
      for (int boot = 0; boot < 6; ++boot) {
        last = Boot(boot == lossy_boot ? crash_at : -1);
        if (last && *last == kNew) ++default_boots;
      }
      EXPECT_LE(default_boots, static_cast<int>(kTries));
      ASSERT_TRUE(last);
      EXPECT_EQ(*last, kOld);
      LoadedState end = Load();
      ASSERT_TRUE(end.state);
      EXPECT_EQ(end.state->status, BootStatus::kFellBack);
    }
  }
}

TEST_F(PowerLoss, CorruptFileIsReportedNotTrusted) {
  WriteTestFile(File(), "larch-boot-state 1\ndefault=/ostree/deploy/debian/deploy/x.0\n");
  LoadedState loaded = Load();
  EXPECT_FALSE(loaded.state);
  EXPECT_NE(loaded.error.find("is corrupt: line 2"), std::string::npos);
  EXPECT_TRUE(loaded.dir.valid());
  WriteTestFile(File(), std::string(5000, 'x'));
  EXPECT_NE(Load().error.find("larger than 4096"), std::string::npos);
  unlink(File().c_str());
  EXPECT_EQ(Load().error.find("missing:"), 0u);
}

TEST_F(PowerLoss, RefusesToWriteAnInvalidState) {
  Put(State({kNew, kOld}, 1));
  LosePowerAt steps(-1);
  EXPECT_NE(WriteBootState(Load().dir.get(), State({kNew}, 0, BootStatus::kFellBack, "x"), steps), "");
  EXPECT_TRUE(steps.order().empty());
}

}  // namespace
}  // namespace larch::initramfs
