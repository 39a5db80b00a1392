// File: deploy/uboot_env_test.cc
// The counter's names and values as boot.cmd reads them, and the reset
// through the real fw_setenv (libubootenv-tool) on an environment file laid
// out as U-Boot's `env export -c` writes it.
#include "deploy/uboot_env.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "tests/support/temp_dir.h"

namespace larch::deploy {
namespace {

namespace stdfs = std::filesystem;

boot::DeploymentId Id(char c, uint32_t serial) { return {"debian", std::string(64, c), serial}; }

bool HaveFwTools() {
  return std::system("{ command -v fw_setenv && command -v fw_printenv && command -v mkenvimage; } >/dev/null 2>&1") == 0;
}

// fw_printenv -n NAME with `config`; "" when it fails.
std::string PrintEnv(const std::string& config, const std::string& name) {
  std::string cmd = "fw_printenv -c '" + config + "' -n " + name + " 2>/dev/null";
  std::FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return "";
  std::string out;
  char buf[256];
  while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  ::pclose(p);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// An 8 KiB environment blob as boot.cmd saves it (env export -c: CRC-32,
// then name=value pairs), made by U-Boot's own mkenvimage, and its
// fw_env.config.
struct EnvFile {
  explicit EnvFile(const std::string& dir) : env(dir + "/larch-boot.env"), config(dir + "/fw_env.config") {
    std::ofstream(dir + "/seed.txt") << "larch_for=old.0\nlarch_left=0\n";
    std::string cmd = "mkenvimage -s 0x2000 -o '" + env + "' '" + dir + "/seed.txt'";
    made = std::system(cmd.c_str()) == 0;
    std::ofstream(config) << env << " 0x0 0x2000\n";
  }
  std::string env, config;
  bool made = false;
};

TEST(UbootEnv, TriesAndHexAsSetexprWritesThem) {
  EXPECT_EQ(UbootTries(3), 4u);
  EXPECT_EQ(UbootHex(0), "0");
  EXPECT_EQ(UbootHex(9), "9");
  EXPECT_EQ(UbootHex(10), "a");
  EXPECT_EQ(UbootHex(100), "64");
}

TEST(UbootEnv, ResetScriptIsNameEqualsValueLines) {
  EXPECT_EQ(UbootResetScript(Id('a', 2), 4), "larch_for=" + std::string(64, 'a') + ".2\nlarch_left=4\n");
}

TEST(UbootEnv, ResetWritesTheCounterThroughFwSetenv) {
  if (!HaveFwTools()) GTEST_SKIP() << "no fw_setenv/fw_printenv (libubootenv-tool) or mkenvimage (u-boot-tools)";
  larch::testing::TempDir dir;
  EnvFile f(dir.path());
  ASSERT_TRUE(f.made);
  EXPECT_EQ(PrintEnv(f.config, "larch_for"), "old.0");
  ASSERT_TRUE(ResetUbootCounter(Id('b', 0), 4, f.config).ok());
  EXPECT_EQ(PrintEnv(f.config, "larch_for"), std::string(64, 'b') + ".0");
  EXPECT_EQ(PrintEnv(f.config, "larch_left"), "4");
  // Again for another default, with more tries: the values are replaced.
  ASSERT_TRUE(ResetUbootCounter(Id('c', 1), 12, f.config).ok());
  EXPECT_EQ(PrintEnv(f.config, "larch_for"), std::string(64, 'c') + ".1");
  EXPECT_EQ(PrintEnv(f.config, "larch_left"), "c");
  // The file keeps U-Boot's size: env import -c reads exactly 0x2000 bytes.
  EXPECT_EQ(stdfs::file_size(f.env), 0x2000u);
}

TEST(UbootEnv, ResetFailureNamesFwSetenvAndItsConfiguration) {
  if (!HaveFwTools()) GTEST_SKIP() << "no fw_setenv/fw_printenv (libubootenv-tool) or mkenvimage (u-boot-tools)";
  larch::testing::TempDir dir;
  std::string config = dir.path() + "/fw_env.config";
  std::ofstream(config) << dir.path() << "/missing/larch-boot.env 0x0 0x2000\n";
  Status s = ResetUbootCounter(Id('d', 0), 4, config);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("resetting U-Boot's boot counter"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("fw_setenv"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(config), std::string::npos) << s.message();
}

}  // namespace
}  // namespace larch::deploy
