// File: deploy/hawkbit/ddi_messages_test.cc
#include "deploy/hawkbit/ddi_messages.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace larch::hawkbit {
namespace {

const std::string kSha(64, 'a');

std::string DeploymentJson(const std::string& deployment_extra, const std::string& artifact_extra = "") {
  return R"({"id":"17","deployment":{"download":"forced","update":"attempt")" + deployment_extra +
         R"(,"chunks":[{"part":"os","name":"rel","version":"2.0","artifacts":[{"filename":"rel.bundle","size":1234,)" +
         R"("hashes":{"sha1":"x","md5":"y","sha256":")" + kSha + R"("},"_links":{"download":{"href":"https://s/a"},)" +
         R"("download-http":{"href":"http://s/a"}}})" + artifact_extra + R"(]}]}})";
}

TEST(DdiMessages, PollingSleep) {
  EXPECT_EQ(*ParsePollingSleep("00:05:00"), 300u);
  EXPECT_EQ(*ParsePollingSleep("12:00:01"), 43201u);
  EXPECT_EQ(*ParsePollingSleep("100:00:00"), 360000u);
  for (const char* bad : {"", "5", "00:05", "00:60:00", "00:00:5", "aa:00:00", "00:00:00:00", "-1:00:00", "00:00:0x"})
    EXPECT_FALSE(ParsePollingSleep(bad).ok()) << bad;
}

TEST(DdiMessages, ControllerBaseWithLinks) {
  auto base = DecodeControllerBase(R"({"config":{"polling":{"sleep":"00:00:30"}},"_links":{
      "deploymentBase":{"href":"http://h/DEFAULT/controller/v1/dev/deploymentBase/5?c=-21"},
      "configData":{"href":"http://h/DEFAULT/controller/v1/dev/configData"}}})");
  ASSERT_TRUE(base.ok()) << base.status().message();
  EXPECT_EQ(base->poll_seconds, 30u);
  EXPECT_EQ(base->deployment_href, "http://h/DEFAULT/controller/v1/dev/deploymentBase/5?c=-21");
  EXPECT_EQ(base->config_data_href, "http://h/DEFAULT/controller/v1/dev/configData");
  EXPECT_TRUE(base->cancel_href.empty());
  EXPECT_EQ(*ActionIdFromHref(base->deployment_href), "5");
  EXPECT_TRUE(DecodeControllerBase(R"({"config":{"polling":{"sleep":"00:00:30"}}})").ok());
}

TEST(DdiMessages, ControllerBaseRejectsWhatItCannotUse) {
  for (const char* bad : {"", "[]", "{}", R"({"config":{}})", R"({"config":{"polling":{"sleep":30}}})",
                          R"({"config":{"polling":{"sleep":"00:00:30"}},"_links":{"deploymentBase":{"href":"file:///x"}}})",
                          R"({"config":{"polling":{"sleep":"00:00:30"}},"_links":{"cancelAction":{}}})",
                          R"({"config":{"polling":{"sleep":"00:00:30"}},"_links":[]})"}) {
    auto r = DecodeControllerBase(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find("controller base"), std::string::npos);
    }
  }
}

TEST(DdiMessages, DeploymentPrefersPlainHttpLinkAndReadsModes) {
  auto d = DecodeDeployment(DeploymentJson(R"(,"maintenanceWindow":"unavailable")"));
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->action_id, "17");
  EXPECT_EQ(d->download, Handling::kForced);
  EXPECT_EQ(d->update, Handling::kAttempt);
  EXPECT_EQ(d->window, Window::kUnavailable);
  ASSERT_EQ(d->chunks.size(), 1u);
  ASSERT_EQ(d->chunks[0].artifacts.size(), 1u);
  const Artifact& a = d->chunks[0].artifacts[0];
  EXPECT_EQ(a.filename, "rel.bundle");
  EXPECT_EQ(a.size, 1234u);
  EXPECT_EQ(a.sha256, kSha);
  EXPECT_EQ(a.href, "http://s/a");
  EXPECT_EQ(DecodeDeployment(DeploymentJson(""))->window, Window::kNone);
}

TEST(DdiMessages, DeploymentNamesTheBadField) {
  auto r = DecodeDeployment(DeploymentJson(R"(,"maintenanceWindow":"later")"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("deployment.maintenanceWindow"), std::string::npos);
  std::string bad_hash = DeploymentJson("");
  bad_hash.replace(bad_hash.find(kSha), 64, std::string(63, 'a'));
  r = DecodeDeployment(bad_hash);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("chunks[0].artifacts[0].hashes.sha256"), std::string::npos);
  std::string bad_name = DeploymentJson("");
  bad_name.replace(bad_name.find("rel.bundle"), 10, "../x");
  EXPECT_FALSE(DecodeDeployment(bad_name).ok());
  std::string negative = DeploymentJson("");
  negative.replace(negative.find("1234"), 4, "-1");
  EXPECT_FALSE(DecodeDeployment(negative).ok());
  std::string update = DeploymentJson("");
  update.replace(update.find("attempt"), 7, "maybe");
  EXPECT_FALSE(DecodeDeployment(update).ok());
}

TEST(DdiMessages, CancelAction) {
  auto c = DecodeCancelAction(R"({"id":"9","cancelAction":{"stopId":"8"}})");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->id, "9");
  EXPECT_EQ(c->stop_id, "8");
  EXPECT_FALSE(DecodeCancelAction(R"({"id":"9"})").ok());
  EXPECT_FALSE(DecodeCancelAction(R"({"id":"9","cancelAction":{"stopId":""}})").ok());
}

TEST(DdiMessages, PointerRoundTripAndStrictness) {
  Pointer p{"origin", "os/stable", std::string(64, 'b'), "2.0"};
  auto again = DecodePointer(EncodePointer(p));
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(*again, p);
  EXPECT_FALSE(DecodePointer(R"({"format":"larch-pointer-1","remote":"o","ref":"r","commit":"B"})").ok());
  EXPECT_FALSE(DecodePointer(R"({"format":"larch-pointer-2","remote":"o","ref":"r","commit":")" +
                             std::string(64, 'b') + R"("})").ok());
  auto extra = DecodePointer(R"({"format":"larch-pointer-1","remote":"o","ref":"r","url":"x","commit":")" +
                             std::string(64, 'b') + R"("})");
  ASSERT_FALSE(extra.ok());
  EXPECT_NE(extra.status().message().find("url"), std::string::npos);
}

TEST(DdiMessages, FeedbackAndConfigDataShapes) {
  Feedback f{"17", Execution::kClosed, Finished::kFailure, std::make_pair(2u, 4u), {"refused: bad signature"}};
  auto j = nlohmann::json::parse(EncodeFeedback(f, "20261207T120000"));
  EXPECT_EQ(j["id"], "17");
  EXPECT_EQ(j["status"]["execution"], "closed");
  EXPECT_EQ(j["status"]["result"]["finished"], "failure");
  EXPECT_EQ(j["status"]["result"]["progress"]["cnt"], 2);
  EXPECT_EQ(j["status"]["result"]["progress"]["of"], 4);
  EXPECT_EQ(j["status"]["details"][0], "refused: bad signature");
  auto c = nlohmann::json::parse(EncodeConfigData({{"larch.version", "2.0"}}));
  EXPECT_EQ(c["mode"], "merge");
  EXPECT_EQ(c["data"]["larch.version"], "2.0");
}

TEST(DdiMessages, ActionIdFromHrefRejectsOddLinks) {
  EXPECT_EQ(*ActionIdFromHref("http://h/t/controller/v1/d/cancelAction/12"), "12");
  EXPECT_FALSE(ActionIdFromHref("http://h/t/controller/v1/d/cancelAction/").ok());
  EXPECT_FALSE(ActionIdFromHref("http://h/x/a%2Fb").ok());
}

}  // namespace
}  // namespace larch::hawkbit
