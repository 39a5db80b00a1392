// File: initramfs/choose_test.cc
// The deployment choice and the boot counter: every rule of choose.h, and
// every kind of bad input falling back to something bootable.
#include "initramfs/choose.h"

#include <gtest/gtest.h>

#include <set>

#include "initramfs/test_util.h"

namespace larch::initramfs {
namespace {

using boot::BootStatus;
using boot::DeploymentId;
using testing::Dep;
using testing::State;

const DeploymentId kNew = Dep('a');
const DeploymentId kOld = Dep('b');
const DeploymentId kKept = Dep('c');

// Bootable unless listed as broken.
struct Disk {
  std::set<std::string> broken;
  BootableFn Fn() const {
    return [this](const DeploymentId& id) {
      return broken.count(boot::DeploymentPath(id)) ? std::string("it does not exist") : std::string();
    };
  }
};

ChooseInput Input(const std::string& cmdline, std::optional<boot::BootState> state) {
  ChooseInput in;
  in.cmdline = boot::DeploymentFromCmdline(cmdline);
  in.state = std::move(state);
  if (!in.state) in.state_error = "missing";
  return in;
}

std::string Arg(const DeploymentId& id) { return "root=/dev/vda rw larch=" + boot::DeploymentPath(id); }

bool HasNote(const Choice& c, const std::string& part) {
  for (const std::string& n : c.notes)
    if (n.find(part) != std::string::npos) return true;
  return false;
}

TEST(Choose, PendingDefaultIsDecrementedThenBooted) {
  Disk disk;
  Choice c = Choose(Input(Arg(kNew), State({kNew, kOld}, 3)), disk.Fn());
  ASSERT_TRUE(c.boot);
  EXPECT_EQ(*c.boot, kNew);
  ASSERT_TRUE(c.write);
  EXPECT_EQ(*c.write, State({kNew, kOld}, 2));
  EXPECT_EQ(c.alternatives, std::vector<DeploymentId>{kOld});
}

TEST(Choose, CountsDownToZeroThenFallsBackWithAReason) {
  Disk disk;
  boot::BootState s = State({kNew, kOld, kKept}, 2);
  std::vector<DeploymentId> booted;
  for (int boot = 0; boot < 4; ++boot) {
    Choice c = Choose(Input(Arg(kNew), s), disk.Fn());
    ASSERT_TRUE(c.boot);
    booted.push_back(*c.boot);
    if (c.write) s = *c.write;
  }
  EXPECT_EQ(booted, (std::vector<DeploymentId>{kNew, kNew, kOld, kOld}));
  EXPECT_EQ(s.status, BootStatus::kFellBack);
  EXPECT_EQ(s.tries_left, 0u);
  EXPECT_NE(s.reason.find("not marked good"), std::string::npos);
  EXPECT_EQ(s.deployments, (std::vector<DeploymentId>{kNew, kOld, kKept}));  // the list is untouched
  EXPECT_EQ(boot::BootStateError(s), "");
}

TEST(Choose, GoodDefaultBootsWithoutWriting) {
  Disk disk;
  Choice c = Choose(Input(Arg(kNew), State({kNew, kOld}, 1, BootStatus::kGood)), disk.Fn());
  EXPECT_EQ(*c.boot, kNew);
  EXPECT_FALSE(c.write);
}

TEST(Choose, FellBackStaysOnTheFallback) {
  Disk disk;
  Choice c = Choose(Input(Arg(kNew), State({kNew, kOld}, 0, BootStatus::kFellBack, "x")), disk.Fn());
  EXPECT_EQ(*c.boot, kOld);
  EXPECT_FALSE(c.write);
}

TEST(Choose, MenuChoiceOfAnotherDeploymentChangesNothing) {
  Disk disk;
  Choice c = Choose(Input(Arg(kOld), State({kNew, kOld}, 3)), disk.Fn());
  EXPECT_EQ(*c.boot, kOld);
  EXPECT_FALSE(c.write);
  EXPECT_TRUE(HasNote(c, "not the default"));
}

// U-Boot's boot.cmd counted the default's boots itself, they ran out
// before the helper ever ran (a kernel that panics), and it booted the
// fallback with larch.loader-fallback= naming the default.
TEST(Choose, BootLoaderThatGaveUpOnThePendingDefaultIsRecorded) {
  Disk disk;
  ChooseInput in = Input(Arg(kOld), State({kNew, kOld}, 2));
  in.loader_fallback = boot::DeploymentName(kNew);
  Choice c = Choose(in, disk.Fn());
  ASSERT_TRUE(c.boot);
  EXPECT_EQ(*c.boot, kOld);
  ASSERT_TRUE(c.write);
  EXPECT_EQ(c.write->status, BootStatus::kFellBack);
  EXPECT_EQ(c.write->tries_left, 2u);  // the helper's own tries were never used
  EXPECT_NE(c.write->reason.find("boot loader gave up on default " + ShortName(kNew)), std::string::npos);
  EXPECT_EQ(boot::BootStateError(*c.write), "");
}

// Only for the pending default it names: a stale argument (another
// default), a settled state, or no fallback to go to change nothing.
TEST(Choose, BootLoaderFallbackArgumentIsIgnoredUnlessItNamesThePendingDefault) {
  Disk disk;
  ChooseInput stale = Input(Arg(kOld), State({kNew, kOld}, 2));
  stale.loader_fallback = boot::DeploymentName(kKept);
  Choice c = Choose(stale, disk.Fn());
  EXPECT_EQ(*c.boot, kOld);
  EXPECT_FALSE(c.write);  // a menu choice: nothing written

  ChooseInput good = Input(Arg(kOld), State({kNew, kOld}, 1, BootStatus::kGood));
  good.loader_fallback = boot::DeploymentName(kNew);
  c = Choose(good, disk.Fn());
  EXPECT_EQ(*c.boot, kOld);
  EXPECT_FALSE(c.write);

  ChooseInput alone = Input(Arg(kNew), State({kNew}, 2));
  alone.loader_fallback = boot::DeploymentName(kNew);
  c = Choose(alone, disk.Fn());
  EXPECT_EQ(*c.boot, kNew);
  ASSERT_TRUE(c.write);
  EXPECT_EQ(c.write->status, BootStatus::kPending);  // counted by the helper as usual
}

// The state cannot be written: the fallback still boots, nothing written.
TEST(Choose, BootLoaderFallbackWithAnUnwritableStateStillBootsTheFallback) {
  Disk disk;
  ChooseInput in = Input(Arg(kOld), State({kNew, kOld}, 2));
  in.loader_fallback = boot::DeploymentName(kNew);
  in.state_writable = false;
  Choice c = Choose(in, disk.Fn());
  EXPECT_EQ(*c.boot, kOld);
  EXPECT_FALSE(c.write);
}

TEST(Choose, MissingLarchArgumentFollowsTheBootStateWithCounting) {
  Disk disk;
  Choice c = Choose(Input("root=/dev/vda rw", State({kNew, kOld}, 3)), disk.Fn());
  EXPECT_EQ(*c.boot, kNew);
  ASSERT_TRUE(c.write);
  EXPECT_EQ(c.write->tries_left, 2u);
  EXPECT_TRUE(HasNote(c, "no larch="));
}

TEST(Choose, MalformedLarchArgumentIsIgnoredWithANote) {
  Disk disk;
  for (const char* bad : {"larch=/ostree/deploy/debian/deploy/xyz.0", "larch=", "larch=/ostree/deploy/../../etc",
                          "larch=/etc/passwd", "larch=/ostree/deploy/debian/deploy/" /* no name */}) {
    Choice c = Choose(Input(bad, State({kNew, kOld}, 0, BootStatus::kGood)), disk.Fn());
    ASSERT_TRUE(c.boot) << bad;
    EXPECT_EQ(*c.boot, kNew) << bad;
    EXPECT_TRUE(HasNote(c, "is not a deployment path")) << bad;
  }
}

TEST(Choose, LarchNamingAMissingDeploymentFallsBackToTheBootState) {
  Disk disk;
  DeploymentId ghost = Dep('d');
  disk.broken.insert(boot::DeploymentPath(ghost));
  Choice c = Choose(Input(Arg(ghost), State({kNew, kOld}, 0, BootStatus::kGood)), disk.Fn());
  EXPECT_EQ(*c.boot, kNew);
  EXPECT_TRUE(HasNote(c, "is not bootable: it does not exist"));
}

TEST(Choose, PendingDefaultThatIsGoneFallsBackAndRecordsWhy) {
  Disk disk;
  disk.broken.insert(boot::DeploymentPath(kNew));
  Choice c = Choose(Input(Arg(kNew), State({kNew, kOld}, 3)), disk.Fn());
  EXPECT_EQ(*c.boot, kOld);
  ASSERT_TRUE(c.write);
  EXPECT_EQ(c.write->status, BootStatus::kFellBack);
  EXPECT_NE(c.write->reason.find("is not bootable"), std::string::npos);
  EXPECT_EQ(c.write->tries_left, 3u);
}

TEST(Choose, GoodDefaultThatIsGoneFallsBackAndRecordsWhy) {
  Disk disk;
  disk.broken.insert(boot::DeploymentPath(kNew));
  Choice c = Choose(Input(Arg(kNew), State({kNew, kOld}, 0, BootStatus::kGood)), disk.Fn());
  EXPECT_EQ(*c.boot, kOld);
  ASSERT_TRUE(c.write);
  EXPECT_EQ(c.write->status, BootStatus::kFellBack);
}

TEST(Choose, CorruptOrMissingBootStateBootsLarchWithoutCounting) {
  Disk disk;
  ChooseInput in = Input(Arg(kNew), std::nullopt);
  in.state_error = "line 4: tries-left must be a number from 0 to 99";
  in.on_disk = {kOld, kNew};
  Choice c = Choose(in, disk.Fn());
  EXPECT_EQ(*c.boot, kNew);
  EXPECT_FALSE(c.write);
  EXPECT_TRUE(HasNote(c, "boot-state unusable: line 4"));
  EXPECT_TRUE(HasNote(c, "without boot counting"));
}

TEST(Choose, NoBootStateAndNoLarchBootsTheNewestOnDisk) {
  Disk disk;
  ChooseInput in = Input("quiet", std::nullopt);
  in.on_disk = {kKept, kOld};
  disk.broken.insert(boot::DeploymentPath(kKept));
  Choice c = Choose(in, disk.Fn());
  EXPECT_EQ(*c.boot, kOld);
  EXPECT_TRUE(HasNote(c, "found on disk"));
}

TEST(Choose, BootStateNamingOnlyBrokenDeploymentsFallsBackToDisk) {
  Disk disk;
  disk.broken = {boot::DeploymentPath(kNew), boot::DeploymentPath(kOld)};
  ChooseInput in = Input(Arg(kNew), State({kNew, kOld}, 0, BootStatus::kGood));
  in.on_disk = {kKept};
  Choice c = Choose(in, disk.Fn());
  EXPECT_EQ(*c.boot, kKept);
}

TEST(Choose, NothingBootableSaysSoAndWritesNothing) {
  Disk disk;
  disk.broken = {boot::DeploymentPath(kNew), boot::DeploymentPath(kOld)};
  Choice c = Choose(Input(Arg(kNew), State({kNew, kOld}, 2)), disk.Fn());
  EXPECT_FALSE(c.boot);
  EXPECT_FALSE(c.write);
  EXPECT_TRUE(HasNote(c, "no bootable deployment"));
}

TEST(Choose, UnwritableBootStateNeverBootsAnUncountedPendingDefault) {
  Disk disk;
  ChooseInput in = Input(Arg(kNew), State({kNew, kOld}, 3));
  in.state_writable = false;
  Choice c = Choose(in, disk.Fn());
  EXPECT_EQ(*c.boot, kOld);
  EXPECT_FALSE(c.write);
  EXPECT_TRUE(HasNote(c, "cannot record"));
}

TEST(Choose, UnwritableWithoutFallbackStillBoots) {
  Disk disk;
  ChooseInput in = Input(Arg(kNew), State({kNew}, 3));
  in.state_writable = false;
  Choice c = Choose(in, disk.Fn());
  EXPECT_EQ(*c.boot, kNew);
}

TEST(Choose, ExhaustedWithoutFallbackBootsTheDefaultAgain) {
  Disk disk;
  Choice c = Choose(Input(Arg(kNew), State({kNew}, 0)), disk.Fn());
  EXPECT_EQ(*c.boot, kNew);
  EXPECT_FALSE(c.write);  // status fell-back needs a fallback
  EXPECT_TRUE(HasNote(c, "no fallback"));
}

TEST(Choose, ReasonsFitTheBootStateRules) {
  EXPECT_EQ(BootStateReason(std::string(300, 'x')).size(), boot::kMaxReason);
  EXPECT_EQ(BootStateReason("a\nb\x01"), "a?b?");
  EXPECT_EQ(BootStateReason(""), "unknown");
}

}  // namespace
}  // namespace larch::initramfs
