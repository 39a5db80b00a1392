// File: deploy/hawkbit/ddi_config_test.cc
#include "deploy/hawkbit/ddi_config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "deploy/hawkbit/ddi_client.h"
#include "tests/support/temp_dir.h"

using larch::testing::TempDir;

namespace larch::hawkbit {
namespace {

TEST(DdiConfig, DefaultsAndValues) {
  auto c = DecodeDdiConfig("server=https://hb.example/\ncontroller-id=dev-1\ntarget-token-file=/t\nreboot=no\n", "f");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->server, "https://hb.example");
  EXPECT_EQ(c->tenant, "DEFAULT");
  EXPECT_FALSE(c->reboot);
  EXPECT_EQ(ControllerUrl(*c), "https://hb.example/DEFAULT/controller/v1/dev-1");
}

TEST(DdiConfig, RefusesWhatDoesNotFit) {
  for (const char* bad : {"", "server=ftp://x\n", "server=http://x\nserver=http://y\n", "server=http://x\nport=1\n",
                          "server=http://x\ntenant=a/b\n", "server=http://x\ncontroller-id=..\n",
                          "server=http://x\ntarget-token-file=/a\ngateway-token-file=/b\n",
                          "server=http://x\nclient-cert=/c\n", "server=http://x\nreboot=maybe\n",
                          "server=http://x\nretry-interval=0\n", "server=http://x\nretry-interval=60\nretry-max=30\n"}) {
    EXPECT_FALSE(DecodeDdiConfig(bad, "f").ok()) << bad;
  }
}

TEST(DdiConfig, MachineIdAndTokenFileMode) {
  TempDir dir;
  std::ofstream(dir.Sub("machine-id")) << "0123456789abcdef0123456789abcdef\n";
  std::ofstream(dir.Sub("hawkbit.conf")) << "server=http://127.0.0.1:1\ntarget-token-file=" << dir.Sub("token") << "\n";
  auto c = LoadDdiConfig(dir.Sub("hawkbit.conf"), dir.Sub("machine-id"));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->controller_id, "0123456789abcdef0123456789abcdef");
  std::ofstream(dir.Sub("token")) << "s3cret\n";
  ASSERT_EQ(::chmod(dir.Sub("token").c_str(), 0644), 0);
  auto token = ReadTokenFile(dir.Sub("token"));
  ASSERT_FALSE(token.ok());
  EXPECT_NE(token.status().message().find("0644"), std::string::npos);
  ASSERT_EQ(::chmod(dir.Sub("token").c_str(), 0600), 0);
  EXPECT_EQ(*ReadTokenFile(dir.Sub("token")), "s3cret");
  EXPECT_TRUE(DdiHttp::Create(*c).ok());
}

TEST(DdiConfig, RetryDelayDoublesUpToTheLimit) {
  DdiConfig c;
  c.retry_interval = 30;
  c.retry_max = 200;
  EXPECT_EQ(RetryDelay(c, 1), 30u);
  EXPECT_EQ(RetryDelay(c, 2), 60u);
  EXPECT_EQ(RetryDelay(c, 3), 120u);
  EXPECT_EQ(RetryDelay(c, 4), 200u);
  EXPECT_EQ(RetryDelay(c, 1000), 200u);
}

}  // namespace
}  // namespace larch::hawkbit
