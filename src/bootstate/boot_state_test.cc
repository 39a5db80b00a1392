// File: src/bootstate/boot_state_test.cc
#include "src/bootstate/boot_state.h"

#include <gtest/gtest.h>

namespace larch::boot {
namespace {

const std::string kA(64, 'a');
const std::string kB(64, 'b');
const std::string kC(64, 'c');

BootState ThreeDeployments() {
  BootState s;
  s.deployments = {{"debian", kA, 0}, {"debian", kB, 2}, {"other-os", kC, 10}};
  s.tries_left = 3;
  return s;
}

const char kEncoded[] =
    "larch-boot-state 1\n"
    "default=/ostree/deploy/debian/deploy/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.0\n"
    "fallback=/ostree/deploy/debian/deploy/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.2\n"
    "tries-left=3\n"
    "status=pending\n"
    "reason=\n"
    "kept=/ostree/deploy/other-os/deploy/cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc.10\n";

TEST(BootState, EncodesExactlyTheDocumentedBytes) { EXPECT_EQ(EncodeBootState(ThreeDeployments()), kEncoded); }

TEST(BootState, RoundTrips) {
  BootState s = ThreeDeployments();
  s.status = BootStatus::kFellBack;
  s.tries_left = 0;
  s.reason = "default did not confirm a good boot after 3 tries";
  Decoded<BootState> d = DecodeBootState(EncodeBootState(s));
  ASSERT_TRUE(d.value) << d.error;
  EXPECT_EQ(*d.value, s);
}

TEST(BootState, SingleDeploymentHasAnEmptyFallback) {
  BootState s;
  s.deployments = {{"debian", kA, 0}};
  std::string text = EncodeBootState(s);
  EXPECT_NE(text.find("\nfallback=\n"), std::string::npos);
  Decoded<BootState> d = DecodeBootState(text);
  ASSERT_TRUE(d.value) << d.error;
  EXPECT_EQ(*d.value, s);
}

// Each of these must be refused with a message; none may decode.
TEST(BootState, RefusesEveryMalformedVariant) {
  std::string good = kEncoded;
  auto with = [&](const std::string& from, const std::string& to) {
    std::string t = good;
    size_t at = t.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return t.replace(at, from.size(), to);
  };
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"missing magic", good.substr(19)},
      {"wrong magic", with("larch-boot-state 1", "larch-boot-state 2")},
      {"no final newline", good.substr(0, good.size() - 1)},
      {"CRLF", with("tries-left=3\n", "tries-left=3\r\n")},
      {"space before =", with("status=", "status =")},
      {"reordered keys", with("tries-left=3\nstatus=pending\n", "status=pending\ntries-left=3\n")},
      {"unknown status", with("status=pending", "status=ok")},
      {"tries out of range", with("tries-left=3", "tries-left=100")},
      {"tries with a leading zero", with("tries-left=3", "tries-left=03")},
      {"tries negative", with("tries-left=3", "tries-left=-1")},
      {"reason without fell-back", with("reason=\n", "reason=why\n")},
      {"fell-back without reason", with("status=pending", "status=fell-back")},
      {"upper-case hex", with("aaaaaaaa", "AAAAAAAA")},
      {"short commit", with("aaaaaaaa.0", "aaaaaaa.0")},
      {"serial with leading zero", with("bbbb.2", "bbbb.02")},
      {"relative path", with("default=/ostree", "default=ostree")},
      {"dot-dot os", with("/deploy/debian/deploy/a", "/deploy/../deploy/a")},
      {"duplicate deployment", with("/other-os/deploy/cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc.10",
                                    "/debian/deploy/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.0")},
      {"kept without fallback", with("fallback=/ostree/deploy/debian/deploy/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.2",
                                     "fallback=")},
      {"trailing garbage", good + "junk\n"},
      {"empty default", with("default=/ostree/deploy/debian/deploy/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.0",
                             "default=")},
      {"too large", good + std::string(5000, '#')},
      {"empty", ""},
  };
  for (const auto& [what, text] : bad) {
    Decoded<BootState> d = DecodeBootState(text);
    EXPECT_FALSE(d.value) << what;
    EXPECT_FALSE(d.error.empty()) << what;
  }
}

TEST(BootState, ErrorNamesTheLine) {
  std::string text = kEncoded;
  text.replace(text.find("tries-left=3"), 12, "tries-left=x");
  EXPECT_EQ(DecodeBootState(text).error, "line 4: tries-left must be a number from 0 to 99");
}

// Without kept lines every key is required, so no prefix is a valid state.
TEST(BootState, EveryTruncationIsRefused) {
  BootState s = ThreeDeployments();
  s.deployments.pop_back();
  std::string text = EncodeBootState(s);
  for (size_t n = 0; n < text.size(); ++n) EXPECT_FALSE(DecodeBootState(text.substr(0, n)).value) << n;
}

TEST(DeploymentPath, ParsesAndFormats) {
  DeploymentId id{"debian", kA, 7};
  EXPECT_EQ(DeploymentPath(id), "/ostree/deploy/debian/deploy/" + kA + ".7");
  EXPECT_EQ(ParseDeploymentPath(DeploymentPath(id)), id);
  EXPECT_EQ(ParseDeploymentName("debian", kA + ".7"), id);
  EXPECT_FALSE(ParseDeploymentName("debian", kA + ".x"));
  EXPECT_FALSE(ParseDeploymentName("debian", kA));
  EXPECT_FALSE(ParseDeploymentName(".hidden", kA + ".1"));
  EXPECT_FALSE(ParseDeploymentPath("/ostree/deploy/debian/deploy/" + kA + ".7/"));
}

TEST(Cmdline, FindsTheLastLarchArgument) {
  std::string path = "/ostree/deploy/debian/deploy/" + kA + ".1";
  Decoded<DeploymentId> d = DeploymentFromCmdline("root=/dev/vda2 larch=/nope rw larch=" + path + " quiet\n");
  ASSERT_TRUE(d.value) << d.error;
  EXPECT_EQ(d.value->serial, 1u);
  Decoded<DeploymentId> none = DeploymentFromCmdline("root=/dev/vda2 rw console=ttyS0\n");
  EXPECT_FALSE(none.value);
  EXPECT_TRUE(none.error.empty());
  Decoded<DeploymentId> bad = DeploymentFromCmdline("larch=/ostree/deploy/x");
  EXPECT_FALSE(bad.value);
  EXPECT_EQ(bad.error, "larch=/ostree/deploy/x is not a deployment path");
  EXPECT_FALSE(DeploymentFromCmdline("xlarch=" + path).value);
}

TEST(Cmdline, LastArgumentOfAKey) {
  EXPECT_EQ(CmdlineArgument("init=/a quiet init=/b\n", "init"), "/b");
  EXPECT_EQ(CmdlineArgument("rdinit=/x console=ttyS0", "init"), std::nullopt);
  EXPECT_EQ(CmdlineArgument("init", "init"), std::nullopt);
  EXPECT_EQ(CmdlineArgument("init= x", "init"), "");
  EXPECT_EQ(CmdlineArgument("", "init"), std::nullopt);
  EXPECT_EQ(CmdlineArgument("\tlarch.boot=LABEL=boot\t", "larch.boot"), "LABEL=boot");
  EXPECT_EQ(CmdlineArgument("larch.boot=x", "larch"), std::nullopt);
}

}  // namespace
}  // namespace larch::boot
