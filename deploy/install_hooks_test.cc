// File: deploy/install_hooks_test.cc
// Install hooks on real directories with real processes (/bin/sh scripts):
// which files count, order, environment, failure, time limits, leftovers,
// output capture. The slow cases are bounded by a 1 s limit; upper bounds on
// elapsed time are generous, there are no lower bounds.
#include "deploy/install_hooks.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace larch::deploy {
namespace {

using ::larch::testing::TempDir;
using ::larch::testing::WriteTestFile;
namespace stdfs = std::filesystem;

class HookTest : public ::testing::Test {
 protected:
  std::string etc() const { return dir_.Sub("etc"); }
  std::string StageDir(HookStage stage) const {
    return etc() + "/larch/hooks.d/" + std::string(HookStageName(stage));
  }
  // A /bin/sh script `name` in `stage`'s directory.
  void Hook(HookStage stage, const std::string& name, const std::string& body, int mode = 0755) {
    stdfs::create_directories(StageDir(stage));
    WriteTestFile(StageDir(stage) + "/" + name, "#!/bin/sh\n" + body, mode);
  }
  std::vector<HookRun> Run(HookStage stage, uint32_t timeout_seconds = 10) {
    HookContext ctx{"os", "1.0", "2.0", "aaaa", "bbbb", "/sysroot"};
    Result<std::vector<HookRun>> runs = RunHooks(etc(), stage, ctx, HookOptions{timeout_seconds});
    EXPECT_TRUE(runs.ok()) << runs.status().ToString();
    return runs.ok() ? *runs : std::vector<HookRun>();
  }

  TempDir dir_;
};

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST(HookStage, Names) {
  EXPECT_EQ(HookStageName(HookStage::kCheck), "check");
  EXPECT_EQ(HookStageName(HookStage::kPreDeploy), "pre-deploy");
  EXPECT_EQ(HookStageName(HookStage::kPostDeploy), "post-deploy");
  EXPECT_EQ(HookStageName(HookStage::kPreReboot), "pre-reboot");
  EXPECT_EQ(HookStageName(HookStage::kBootOk), "boot-ok");
  EXPECT_EQ(HookStageName(HookStage::kFellBack), "fell-back");
}

TEST_F(HookTest, RunInNameOrderWithTheirEnvironment) {
  // The caller's environment passes through; a stale variable of ours does not.
  ::setenv("LARCH_HOOK_TEST_PASSED", "through", 1);
  ::setenv("LARCH_OS", "stale", 1);
  const std::string print =
      "echo \"$LARCH_HOOK_STAGE $LARCH_OS $LARCH_FROM_VERSION $LARCH_TO_VERSION "
      "$LARCH_FROM_COMMIT $LARCH_TO_COMMIT $LARCH_SYSROOT $LARCH_HOOK_TEST_PASSED\"\n"
      "pwd\n"
      "if read line; then echo \"stdin: $line\"; else echo 'stdin empty'; fi\n";
  for (const char* name : {"20-b", "9-c", "10-a"}) Hook(HookStage::kPreDeploy, name, print);
  std::vector<HookRun> runs = Run(HookStage::kPreDeploy);
  ::unsetenv("LARCH_HOOK_TEST_PASSED");
  ::unsetenv("LARCH_OS");

  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].hook, "10-a");  // bytewise: "1" < "2" < "9"
  EXPECT_EQ(runs[1].hook, "20-b");
  EXPECT_EQ(runs[2].hook, "9-c");
  for (const HookRun& run : runs) {
    EXPECT_TRUE(run.ok()) << run.hook << ": " << run.output;
    EXPECT_EQ(run.stage, "pre-deploy");
    EXPECT_EQ(run.output, "pre-deploy os 1.0 2.0 aaaa bbbb /sysroot through\n/\nstdin empty\n");
  }
}

TEST_F(HookTest, OnlyVisibleExecutableFilesAndLinksToThemRun) {
  Hook(HookStage::kCheck, "10-run", "echo ran\n");
  Hook(HookStage::kCheck, "20-not-executable", "exit 1\n", 0644);
  Hook(HookStage::kCheck, ".30-hidden", "exit 1\n");
  Hook(HookStage::kCheck, "40-backup~", "exit 1\n");
  stdfs::create_directories(StageDir(HookStage::kCheck) + "/50-directory");
  WriteTestFile(dir_.Sub("shared.sh"), "#!/bin/sh\necho shared\n", 0755);
  stdfs::create_symlink(dir_.Sub("shared.sh"), StageDir(HookStage::kCheck) + "/60-link");
  stdfs::create_symlink(dir_.Sub("missing"), StageDir(HookStage::kCheck) + "/70-dangling");

  std::vector<HookRun> runs = Run(HookStage::kCheck);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].hook, "10-run");
  EXPECT_EQ(runs[0].output, "ran\n");
  EXPECT_EQ(runs[1].hook, "60-link");
  EXPECT_EQ(runs[1].output, "shared\n");
}

TEST_F(HookTest, NoDirectoryMeansNoHooks) {
  EXPECT_TRUE(Run(HookStage::kCheck).empty());  // no etc/larch at all
  Hook(HookStage::kCheck, "10-other-stage", "exit 1\n");
  EXPECT_TRUE(Run(HookStage::kBootOk).empty());
}

TEST_F(HookTest, AnUnreadableDirectoryIsAnError) {
  stdfs::create_directories(etc() + "/larch/hooks.d");
  WriteTestFile(StageDir(HookStage::kCheck), "not a directory");
  Result<std::vector<HookRun>> runs = RunHooks(etc(), HookStage::kCheck, HookContext{}, HookOptions{});
  EXPECT_FALSE(runs.ok());
}

TEST_F(HookTest, AFailingHookStopsTheStage) {
  Hook(HookStage::kCheck, "10-ok", "exit 0\n");
  Hook(HookStage::kCheck, "20-battery", "echo 'battery at 12%, not updating'\necho detail >&2\nexit 3\n");
  Hook(HookStage::kCheck, "30-never", "echo ran\n");
  std::vector<HookRun> runs = Run(HookStage::kCheck);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_TRUE(runs[0].ok());
  EXPECT_FALSE(runs[1].ok());
  EXPECT_EQ(runs[1].exit_code, 3);
  EXPECT_FALSE(runs[1].timed_out);
  EXPECT_EQ(runs[1].output, "battery at 12%, not updating\ndetail\n");  // stderr too
  EXPECT_EQ(DescribeHookFailure(runs[1]), "hook check/20-battery exited 3: battery at 12%, not updating");
}

TEST_F(HookTest, AHookThatCannotBeExecutedFailsWith127) {
  // No "#!" and no ELF header: execve says ENOEXEC.
  stdfs::create_directories(StageDir(HookStage::kCheck));
  WriteTestFile(StageDir(HookStage::kCheck) + "/10-garbage", "\x01\x02\x03 not a program\n", 0755);
  std::vector<HookRun> runs = Run(HookStage::kCheck);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].exit_code, 127);
  EXPECT_NE(runs[0].output.find("cannot execute"), std::string::npos) << runs[0].output;
  EXPECT_NE(runs[0].output.find("10-garbage"), std::string::npos) << runs[0].output;
}

TEST_F(HookTest, AHookOverItsTimeLimitIsStopped) {
  Hook(HookStage::kPreDeploy, "20-slow", "echo started\nsleep 30\necho never\n");
  const auto start = std::chrono::steady_clock::now();
  std::vector<HookRun> runs = Run(HookStage::kPreDeploy, 1);
  EXPECT_LT(SecondsSince(start), 10);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_TRUE(runs[0].timed_out);
  EXPECT_FALSE(runs[0].ok());
  EXPECT_EQ(runs[0].output, "started\n");
  EXPECT_EQ(DescribeHookFailure(runs[0]), "hook pre-deploy/20-slow did not finish within 1 s (stopped)");
}

TEST_F(HookTest, AHookIgnoringSigtermIsKilled) {
  // An ignored signal is inherited: sleep ignores SIGTERM as well.
  Hook(HookStage::kPreReboot, "10-stubborn", "trap '' TERM\nsleep 30\n");
  const auto start = std::chrono::steady_clock::now();
  std::vector<HookRun> runs = Run(HookStage::kPreReboot, 1);
  EXPECT_LT(SecondsSince(start), 10);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_TRUE(runs[0].timed_out);
  EXPECT_EQ(runs[0].exit_code, 128 + SIGKILL);
}

TEST_F(HookTest, WhatAHookLeavesRunningDoesNotKeepUs) {
  // The background sleep holds the output pipe open.
  Hook(HookStage::kPostDeploy, "10-background", "sleep 30 &\necho done\nexit 0\n");
  Hook(HookStage::kPostDeploy, "20-next", "echo next\n");
  const auto start = std::chrono::steady_clock::now();
  std::vector<HookRun> runs = Run(HookStage::kPostDeploy);
  EXPECT_LT(SecondsSince(start), 10);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_TRUE(runs[0].ok());
  EXPECT_FALSE(runs[0].timed_out);
  EXPECT_EQ(runs[0].output, "done\n");
  EXPECT_EQ(runs[1].output, "next\n");
}

TEST_F(HookTest, LongOutputIsTruncatedAndTheHookNotBlocked) {
  // 200 KiB: far more than a pipe holds, so the hook finishes only if we
  // keep reading after the limit.
  Hook(HookStage::kCheck, "10-chatty", "head -c 204800 /dev/zero | tr '\\0' x\necho tail >&2\n");
  std::vector<HookRun> runs = Run(HookStage::kCheck);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_TRUE(runs[0].ok()) << runs[0].exit_code;
  const std::string suffix = "\n[... truncated]";
  ASSERT_EQ(runs[0].output.size(), kMaxHookOutput + suffix.size());
  EXPECT_EQ(runs[0].output, std::string(kMaxHookOutput, 'x') + suffix);
}

TEST(HookFailureText, UsesTheFirstLineWithText) {
  HookRun run;
  run.stage = "check";
  run.hook = "10-battery";
  run.exit_code = 1;
  EXPECT_EQ(DescribeHookFailure(run), "hook check/10-battery exited 1");
  run.output = "\n  \r\n\t battery\tlow  \r\nsecond line\n";
  EXPECT_EQ(DescribeHookFailure(run), "hook check/10-battery exited 1: battery low");
  // At most 200 bytes, not cutting a character in two.
  run.output = std::string(199, 'a') + "\xc3\xa9" + "more";
  EXPECT_EQ(DescribeHookFailure(run), "hook check/10-battery exited 1: " + std::string(199, 'a'));
  run.exit_code = 128 + SIGKILL;
  run.output.clear();
  EXPECT_EQ(DescribeHookFailure(run), "hook check/10-battery exited 137");
  run.timed_out = true;  // the limit unknown: read back from an old record
  EXPECT_EQ(DescribeHookFailure(run), "hook check/10-battery did not finish in time (stopped)");
}

}  // namespace
}  // namespace larch::deploy
