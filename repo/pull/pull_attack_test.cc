// File: repo/pull/pull_attack_test.cc
//
// One test per attack class of docs/security.md (TUF's list), each against
// a real server store served over file://, a real device store and a real
// trust state database. Every refusal must name its rule and leave the
// device exactly as it was (DeviceSnapshot). Removing the defence a test
// names makes it fail.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "repo/fsck.h"
#include "repo/objects/file_header.h"
#include "src/compress/zstd_stream.h"
#include "repo/reachability.h"
#include "repo/objects/signed_envelope.h"
#include "repo/pull/http_test_server.h"
#include "repo/pull/pull_test_util.h"

namespace larch::pull::testing {
namespace {

class TrustAttacks : public PullFixture {
 protected:
  // Pulls, expects a refusal naming `needle`, and checks nothing changed.
  void ExpectRefused(const std::string& needle, StatusCode code = StatusCode::kVerifyFailed) {
    const std::string before = DeviceSnapshot();
    Result<PullResult> r = PullRef();
    EXPECT_TRUE(FailsWith(r, code, needle));
    EXPECT_EQ(DeviceSnapshot(), before) << "a refused pull changed the device";
    ExpectLastHistory(code == StatusCode::kVerifyFailed ? "refused" : "failed", needle);
  }

  void ExpectLastHistory(const std::string& outcome, const std::string& needle) {
    auto history = Must(state_->History(1));
    ASSERT_EQ(history.size(), 1u);
    EXPECT_EQ(history[0].outcome, outcome);
    EXPECT_NE(history[0].detail.find(needle), std::string::npos) << history[0].detail;
  }
};

TEST_F(TrustAttacks, BaselineSignedPullSucceeds) {
  ObjectId v1 = Publish(V("1.0"));
  PublishSummary();
  PullResult r = Must(PullRef());
  EXPECT_EQ(r.commit, v1);
  EXPECT_EQ(*Must(repo::ReadRef(*device_, "origin:os/stable")), v1);
  EXPECT_GT(r.objects_fetched, 5u);
  repo::FsckReport report = Must(repo::Fsck(*device_, repo::FsckOptions{}));
  EXPECT_TRUE(report.ok());
  auto installed = Must(state_->GetRef("origin", "os/stable"));
  ASSERT_TRUE(installed.has_value());
  EXPECT_EQ(installed->version, "1.0");
  EXPECT_EQ(Must(state_->GetRemote("origin"))->summary_serial, 1u);
  // A second pull of the same state is a no-op, not a refusal.
  EXPECT_TRUE(Must(PullRef()).up_to_date);
}

TEST_F(TrustAttacks, ArbitraryInstallation_UnsignedCommitRefused) {
  Publish(V("1.0"), /*signers=*/{});
  PublishSummary();
  ExpectRefused("signature threshold rule: commit");
}

TEST_F(TrustAttacks, ArbitraryInstallation_CommitSignedByUnknownKeyRefused) {
  Publish(V("1.0"), {3});
  PublishSummary();
  ExpectRefused("not in keyring");
}

TEST_F(TrustAttacks, ArbitraryInstallation_UnsignedSummaryRefused) {
  Publish(V("1.0"));
  PublishSummary({});
  ExpectRefused("summary signature threshold rule");
}

TEST_F(TrustAttacks, KeyCompromise_RevokedKeyDoesNotCount) {
  Publish(V("1.0"), {1});
  PublishSummary({0});
  WriteTestFile(dir_.Sub("keyring/revoked"), HexEncode(keys_[1].id()) + "\n");
  ExpectRefused("revoked");
}

TEST_F(TrustAttacks, KeyCompromise_OneKeyShortOfThresholdRefused) {
  remote_.threshold = 2;
  Publish(V("1.0"), {0});
  PublishSummary({0, 1});
  ExpectRefused("1 valid signature by trusted keys of remote origin, 2 required");
  Publish(V("1.1"), {0, 1});
  PublishSummary({0, 1});
  EXPECT_TRUE(PullRef().ok());
}

TEST_F(TrustAttacks, KeyCompromise_SummaryOneKeyShortRefused) {
  remote_.threshold = 2;
  Publish(V("1.0"), {0, 1});
  PublishSummary({2});
  ExpectRefused("summary signature threshold rule");
}

TEST_F(TrustAttacks, Rollback_OlderVersionRefused) {
  Publish(V("2.0"));
  PublishSummary();
  Must(PullRef());
  ObjectId old = Publish(V("1.9"));
  PublishSummary();  // a newer summary, validly signed, offering an older release
  ExpectRefused("version rule: version 1.9 is older than 2.0");
  // --allow-downgrade is the one way past it, and it is recorded.
  PullResult r = Must(PullRef("os/stable", /*allow_downgrade=*/true));
  EXPECT_EQ(r.commit, old);
  auto history = Must(state_->History(1));
  ASSERT_EQ(history.size(), 1u);
  EXPECT_TRUE(history[0].downgrade_allowed);
  EXPECT_EQ(history[0].to_version, "1.9");
}

TEST_F(TrustAttacks, Rollback_OlderSummarySerialRefused) {
  Publish(V("1.0"));
  PublishSummary();
  const std::string old_summary = ReadTestFile(dir_.Sub("server/summary"));
  Publish(V("1.1"));
  PublishSummary();
  Must(PullRef());
  EXPECT_EQ(Must(state_->GetRemote("origin"))->summary_serial, 2u);
  WriteTestFile(dir_.Sub("server/summary"), old_summary);  // a mirror replays serial 1
  ExpectRefused("serial rule: serial 1 is older than serial 2");
}

TEST_F(TrustAttacks, IndefiniteFreeze_ExpiredSummaryRefused) {
  Publish(V("1.0"));
  PublishSummary({0}, /*now=*/kNow - 8 * 86400);  // expired one day before kNow
  const std::string before = DeviceSnapshot();
  Result<PullResult> r = PullRef();
  EXPECT_TRUE(FailsWith(r, StatusCode::kVerifyFailed, "expiry rule: it expired at 2027-01-14T08:00:00Z"));
  EXPECT_EQ(DeviceSnapshot(), before);
}

TEST_F(TrustAttacks, IndefiniteFreeze_SameSerialWithOtherContentRefused) {
  Publish(V("1.0"));
  PublishSummary();
  Must(PullRef());
  // The same serial re-signed over different content (a frozen or forked publisher).
  trust::PublishOptions options;
  options.now = kNow - 100;
  repo::Summary s = Must(trust::BuildSummary(*server_, options));
  s.serial = 1;
  std::vector<crypto::Ed25519PrivateKey> keys;
  keys.push_back(Must(crypto::Ed25519PrivateKey::FromPem(keys_[0].ToPem())));
  Must(trust::WriteSignedSummary(*server_, s, keys));
  ExpectRefused("serial 1 was already accepted with different content");
}

TEST_F(TrustAttacks, WrongSoftwareInstallation_IncompatibleCommitRefused) {
  Publish(V("1.0").Compatible("board-b board-c"));
  PublishSummary();
  ExpectRefused("compatibility rule: it is built for board-b board-c; this device is board-a");
}

TEST_F(TrustAttacks, MixAndMatch_RefMappedToAnotherRefsCommitRefused) {
  // A validly signed commit of os/testing, served by a mirror as os/stable.
  ObjectId testing = Publish(V("9.0").Branch("os/testing"));
  Publish(V("1.0"));
  Must(repo::WriteRef(*server_, "os/stable", testing));
  PublishSummary();
  ExpectRefused("ref binding rule: it is bound to os/testing, not to os/stable");
}

TEST_F(TrustAttacks, MixAndMatch_SummaryDisagreeingWithCommitRefused) {
  Publish(V("1.0"));
  repo::Summary s = PublishSummary();
  s.refs[0].version = "7.0";  // a summary signed over a wrong version
  s.serial += 1;
  std::vector<crypto::Ed25519PrivateKey> keys;
  keys.push_back(Must(crypto::Ed25519PrivateKey::FromPem(keys_[0].ToPem())));
  Must(trust::WriteSignedSummary(*server_, s, keys));
  ExpectRefused("summary consistency rule");
}

TEST_F(TrustAttacks, EndlessData_FileObjectStoppedAtSignedSize) {
  ObjectId v1 = Publish(V("1.0"));
  PublishSummary();
  const std::string victim = ServerObject(FileKeyAt(*server_, v1, "/usr/bin/app"));
  WriteTestFile(victim, std::string(8u << 20, 'E'));  // 8 MiB for a 12-byte file
  ExpectRefused("download exceeded its limit of");
}

TEST_F(TrustAttacks, EndlessData_CommitStoppedAtSummarySize) {
  ObjectId v1 = Publish(V("1.0"));
  repo::Summary s = PublishSummary();
  const std::string path = ServerObject({v1, repo::ObjectType::kCommit});
  WriteTestFile(path, ReadTestFile(path) + std::string(1u << 20, 'E'));
  ExpectRefused("download exceeded its limit of " + std::to_string(s.refs[0].commit_size) + " bytes");
}

TEST_F(TrustAttacks, EndlessData_FetcherKeepsNoMoreThanTheLimit) {
  WriteTestFile(dir_.Sub("server/huge"), std::string(32u << 20, 'E'));
  auto fetcher = Must(Fetcher::Create(remote_));
  EXPECT_TRUE(FailsWith(fetcher->Get("huge", 100000, "huge"), StatusCode::kVerifyFailed,
                        "exceeded its limit of 100000 bytes"));
  // Stopped at the limit (plus at most one transfer buffer), not at 32 MiB.
  EXPECT_LE(fetcher->bytes_received(), 100000u + (512u << 10));
}

TEST_F(TrustAttacks, MaliciousMirror_TamperedFileObjectNeverStored) {
  ObjectId v1 = Publish(V("1.0"));
  PublishSummary();
  const repo::ObjectKey key = FileKeyAt(*server_, v1, "/usr/lib/libfoo.so.1");
  FlipByte(ServerObject(key), -3);
  ExpectRefused("from remote origin", StatusCode::kCorruption);
  EXPECT_FALSE(Must(device_->HasObject(key)));
}

TEST_F(TrustAttacks, MaliciousMirror_SubstitutedFileObjectNeverStored) {
  ObjectId v1 = Publish(V("1.0"));
  PublishSummary();
  const repo::ObjectKey key = FileKeyAt(*server_, v1, "/usr/bin/app");
  // A well-formed object with other content of the same size, under the old name.
  const std::string path = ServerObject(key);
  repo::ParsedHeaderFrame frame = Must(repo::DecodeFileHeaderFrame(AsBytes(ReadTestFile(path))));
  Bytes forged = repo::EncodeFileHeaderFrame(frame.header);
  Bytes evil = Must(compress::ZstdCompress(AsBytes(std::string(frame.header.size, '!')), 3));
  forged.insert(forged.end(), evil.begin(), evil.end());
  WriteTestFile(path, std::string(AsStringView(forged)));
  ExpectRefused("does not match its id", StatusCode::kCorruption);
  EXPECT_FALSE(Must(device_->HasObject(key)));
}

TEST_F(TrustAttacks, MaliciousMirror_AlteredVerityListNeverStored) {
  // The list binds fs-verity digests to the signed commit: a mirror that
  // changes one (to pass off other content as sealed) changes its id.
  ObjectId v1 = Publish(V("1.0"));
  PublishSummary();
  const repo::ObjectKey key{*Must(repo::VerityListOf(Must(server_->ReadCommit(v1)))), repo::ObjectType::kVerityList};
  FlipByte(ServerObject(key), -1);
  ExpectRefused("does not match its id", StatusCode::kCorruption);
  EXPECT_FALSE(Must(device_->HasObject(key)));
}

TEST_F(TrustAttacks, ExtraneousDependencies_OnlyTheSignedTreeIsFetched) {
  // The server offers a second ref with its own files; pulling os/stable
  // fetches exactly the objects of its signed tree and nothing else.
  Publish(V("1.0").Branch("os/extra").Content("unrelated"));
  ObjectId v1 = Publish(V("1.0"));
  PublishSummary();
  Must(PullRef());
  auto on_device = Must(device_->ListObjects());
  // Reachable: the tree's objects and the commit's verity list.
  auto reachable = Must(repo::ReachableObjects(*server_, {v1}, /*follow_parents=*/false));
  EXPECT_TRUE(reachable.contains(
      {*Must(repo::VerityListOf(Must(server_->ReadCommit(v1)))), repo::ObjectType::kVerityList}));
  EXPECT_EQ(on_device.size(), reachable.size());
  for (const auto& key : on_device) EXPECT_TRUE(reachable.count(key)) << key.id.Hex();
}

TEST_F(TrustAttacks, ExtraneousDependencies_TreeWithAddedEntryRefused) {
  ObjectId v1 = Publish(V("1.0"));
  PublishSummary();
  repo::Commit commit = Must(server_->ReadCommit(v1));
  // A mirror appends a file entry to the root dirtree (and serves it under
  // the old id): the hash no longer matches.
  repo::DirTree root = Must(server_->ReadDirTree(commit.root_tree));
  root.files.push_back({"zz-extra", root.dirs.empty() ? ObjectId() : root.dirs[0].tree, 1, 0});
  WriteTestFile(ServerObject({commit.root_tree, repo::ObjectType::kDirTree}),
                std::string(AsStringView(repo::EncodeDirTree(root))));
  ExpectRefused("does not match its id", StatusCode::kCorruption);
}

// A server that accepts connections and then never sends a byte.
class StallingServer {
 public:
  StallingServer() { fd_ = ListenLoopback(&port_); }
  ~StallingServer() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST_F(TrustAttacks, SlowRetrieval_StalledServerFailsInsteadOfHanging) {
  StallingServer server;  // the kernel completes the handshake; nobody answers
  remote_.url = "http://127.0.0.1:" + std::to_string(server.port());
  fetch_.stall_seconds = 2;
  const std::string before = DeviceSnapshot();
  auto start = std::chrono::steady_clock::now();
  Result<PullResult> r = PullRef();
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(FailsWith(r, StatusCode::kIoError, "summary: fetching"));
  EXPECT_LT(elapsed, std::chrono::seconds(30));
  EXPECT_EQ(DeviceSnapshot(), before);
}

}  // namespace
}  // namespace larch::pull::testing
