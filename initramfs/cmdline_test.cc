// File: initramfs/cmdline_test.cc
#include "initramfs/cmdline.h"
#include "initramfs/boot_partition.h"

#include <gtest/gtest.h>

#include "src/bootstate/boot_state.h"
#include "tests/support/temp_dir.h"

namespace larch::initramfs {
namespace {

TEST(HelperCmdline, Options) {
  CmdlineOptions o = ParseCmdlineOptions("root=/dev/vda init=/lib/systemd/systemd larch.shell=0");
  EXPECT_EQ(o.init, "/lib/systemd/systemd");
  EXPECT_FALSE(o.shell);
  o = ParseCmdlineOptions("init= larch.shell=1 larch.boot=LABEL=boot");
  EXPECT_EQ(o.init, std::nullopt);
  EXPECT_TRUE(o.shell);
  EXPECT_EQ(o.boot, "LABEL=boot");
  EXPECT_EQ(o.loader_fallback, std::nullopt);
  o = ParseCmdlineOptions("root=/dev/vda2 larch=/ostree/deploy/d/deploy/b.0 larch.loader-fallback=aa.1");
  EXPECT_EQ(o.loader_fallback, "aa.1");
}

TEST(HelperCmdline, BootPartitionSpecs) {
  EXPECT_EQ(BootDevicePath("/dev/mmcblk0p1"), "/dev/mmcblk0p1");
  EXPECT_EQ(BootDevicePath("UUID=1234-ABCD"), "/dev/disk/by-uuid/1234-ABCD");
  EXPECT_EQ(BootDevicePath("LABEL=boot"), "/dev/disk/by-label/boot");
  EXPECT_EQ(BootDevicePath("PARTUUID=0a-01"), "/dev/disk/by-partuuid/0a-01");
  EXPECT_EQ(BootDevicePath("/dev/../etc/passwd"), "");
  EXPECT_EQ(BootDevicePath("sda1"), "");
  EXPECT_EQ(BootDevicePath("UUID="), "");
}

TEST(HelperCmdline, ReadsProcStyleFileWithTrailingNewline) {
  larch::testing::TempDir dir;
  std::string path = dir.Sub("cmdline");
  std::string larch = "/ostree/deploy/debian/deploy/" + std::string(64, 'a') + ".1";
  larch::testing::WriteTestFile(path, "BOOT_IMAGE=/vmlinuz larch=" + larch + " ro\n");
  std::string error;
  std::optional<std::string> text = ReadProcFile(path, &error);
  ASSERT_TRUE(text) << error;
  boot::Decoded<boot::DeploymentId> d = boot::DeploymentFromCmdline(*text);
  ASSERT_TRUE(d.value) << d.error;
  EXPECT_EQ(d.value->serial, 1u);
  EXPECT_FALSE(ReadProcFile(dir.Sub("none"), &error));
  EXPECT_NE(error.find("No such file"), std::string::npos);
}

}  // namespace
}  // namespace larch::initramfs
