// File: deploy/sysroot_files_test.cc
// The decoders of the sysroot's small text files: larch.conf and .origin.
#include <gtest/gtest.h>

#include "deploy/origin.h"
#include "deploy/sysroot_config.h"
#include "repo/repo_test_util.h"

namespace larch::deploy {
namespace {

using repo::testing::FailsWith;

TEST(SysrootConfig, DefaultsAndRoundTrip) {
  SysrootConfig defaults = *DecodeSysrootConfig("");
  EXPECT_EQ(defaults, SysrootConfig{});
  EXPECT_EQ(MinFreeBytes(defaults, 1000000), 30000u);
  SysrootConfig c;
  c.min_free_bytes = 512ull << 20;
  c.min_free_percent = 0;
  c.boot_tries = 5;
  c.bootloader = Bootloader::kUboot;
  c.kernel_args = "root=/dev/mmcblk0p2 rw";
  c.verity = repo::VerityMode::kRequired;
  EXPECT_EQ(EncodeSysrootConfig(c),
            "min-free-space=512M\nboot-tries=5\nbootloader=uboot\nkernel-args=root=/dev/mmcblk0p2 rw\nverity=required\n");
  c.device_id = "board-0042";
  c.update_window = *ParseUpdateWindow("Mon-Fri 01:00-04:00");
  c.hook_timeout = 30;
  c.uboot_env_config = "/etc/larch/fw_env.config";
  EXPECT_EQ(*DecodeSysrootConfig(EncodeSysrootConfig(c)), c);
  EXPECT_NE(EncodeSysrootConfig(c).find("device-id=board-0042\nupdate-window=Mon-Fri 01:00-04:00\nhook-timeout=30\n"
                                        "uboot-env-config=/etc/larch/fw_env.config\n"),
            std::string::npos);
  EXPECT_EQ(*DecodeSysrootConfig(EncodeSysrootConfig(c)), c);
  EXPECT_EQ(MinFreeBytes(c, 1000), 512ull << 20);
  EXPECT_EQ(DecodeSysrootConfig("# comment\n\nmin-free-space=7\n")->min_free_bytes, 7u);
}

TEST(SysrootConfig, RefusesWhatItDoesNotKnow) {
  for (const char* bad : {"min-free-space=3%%\n", "min-free-space=-1\n", "min-free-space=1P\n", "min-free-space=2048T\n",
                          "boot-tries=0\n", "boot-tries=100\n", "bootloader=grub2\n", "kernel-args=larch=/x\n", "colour=blue\n",
                          "boot-tries=3\nboot-tries=3\n", "boot-tries=3", "boot-tries = 3\n", "boot-tries=3\r\n",
                          "verity=on\n", "verity=\n", "device-id=\n", "update-window=Mon 25:00-26:00\n",
                          "hook-timeout=0\n", "hook-timeout=3601\n", "uboot-env-config=\n",
                          "uboot-env-config=fw_env.config\n", "uboot-env-config=/etc/fw env.config\n"}) {
    EXPECT_EQ(DecodeSysrootConfig(bad).status().code(), StatusCode::kCorruption) << bad;
  }
  EXPECT_EQ(DecodeSysrootConfig("bootloader=grub\n")->bootloader, Bootloader::kGrub);
  EXPECT_EQ(EncodeSysrootConfig(*DecodeSysrootConfig("bootloader=grub\n")),
            "min-free-space=3%\nboot-tries=3\nbootloader=grub\n");
  EXPECT_TRUE(FailsWith(DecodeSysrootConfig("colour=blue\n"), StatusCode::kCorruption,
                        "sysroot config larch.conf: line 1: unknown key 'colour'"));
}

// Numbers at their limits: the largest accepted, the first refused, 64-bit
// overflow, signs and empty values, each a kCorruption naming the key.
TEST(SysrootConfig, NumbersAtTheirLimits) {
  EXPECT_EQ(DecodeSysrootConfig("min-free-space=1125899906842624\n")->min_free_bytes, 1ull << 50);
  EXPECT_EQ(DecodeSysrootConfig("min-free-space=1024T\n")->min_free_bytes, 1ull << 50);
  EXPECT_EQ(DecodeSysrootConfig("min-free-space=99%\n")->min_free_percent, 99u);
  EXPECT_EQ(DecodeSysrootConfig("boot-tries=99\n")->boot_tries, 99u);
  for (const char* bad : {"min-free-space=1125899906842625\n", "min-free-space=18446744073709551615\n",
                          "min-free-space=18446744073709551616\n", "min-free-space=99999999999999999999999G\n",
                          "min-free-space=\n", "min-free-space=+1\n", "min-free-space=100%\n",
                          "min-free-space=18446744073709551617%\n", "min-free-space=-1%\n", "min-free-space=%\n",
                          "boot-tries=4294967299\n", "boot-tries=18446744073709551616\n", "boot-tries=-1\n",
                          "boot-tries=\n", "boot-tries=+3\n", "boot-tries=03\n"}) {
    Result<SysrootConfig> r = DecodeSysrootConfig(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption) << bad;
    const std::string key = std::string(bad).substr(0, std::string(bad).find('='));
    EXPECT_NE(r.status().message().find(key), std::string::npos) << r.status().message();
  }
  EXPECT_TRUE(FailsWith(DecodeSysrootConfig("min-free-space=18446744073709551616\n"), StatusCode::kCorruption,
                        "'18446744073709551616' is too large (at most 1125899906842624 bytes)"));
}

TEST(Origin, RoundTripAndStrictness) {
  Origin o{"origin", "os/stable", true};
  EXPECT_EQ(EncodeOrigin(o), "format=larch-origin-1\nremote=origin\nref=os/stable\npinned=1\n");
  EXPECT_EQ(*DecodeOrigin(EncodeOrigin(o), "f"), o);
  EXPECT_EQ(*DecodeOrigin(EncodeOrigin(Origin{}), "f"), Origin{});
  EXPECT_EQ(o.Refspec(), "origin:os/stable");
  for (const char* bad : {"format=larch-origin-2\nremote=\nref=\npinned=0\n", "format=larch-origin-1\nremote=\nref=\n",
                          "format=larch-origin-1\nremote=o\nref=\npinned=0\n",
                          "format=larch-origin-1\nremote=\nref=../x\npinned=0\n",
                          "format=larch-origin-1\nremote=a:b\nref=r\npinned=0\n",
                          "format=larch-origin-1\nremote=\nref=\npinned=yes\n"}) {
    EXPECT_EQ(DecodeOrigin(bad, "f").status().code(), StatusCode::kCorruption) << bad;
  }
  EXPECT_TRUE(FailsWith(DecodeOrigin("format=larch-origin-1\n", "origin file x.origin"), StatusCode::kCorruption,
                        "origin file x.origin: missing key 'remote'"));
}

}  // namespace
}  // namespace larch::deploy
