// File: repo/pull/pull_test_util.h
// A publisher and a device in temporary directories for the pull tests: a
// server store (archive) served over file://, signing keys, a keyring, and a
// device store (bare) with its trust state. Test-only.
#pragma once

#include <sys/stat.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "repo/pull/pull.h"
#include "repo/refs.h"
#include "repo/repo_test_util.h"
#include "repo/trust/commit_signing.h"
#include "repo/trust/summary_publish.h"
#include "src/base/hex.h"

namespace larch::pull::testing {

using namespace ::larch::repo::testing;
using repo::ObjectId;

inline constexpr uint64_t kNow = 1800000000;

struct Release {
  std::string version = "1.0";
  std::string branch = "os/stable";
  std::string compatible = "board-a";
  std::string ref_binding;  // empty: the branch (what `larch commit` does)
  std::string content = "release";
  std::vector<std::pair<std::string, std::string>> extra_files;  // path in the tree, content
  Release& Branch(std::string b) { branch = std::move(b); return *this; }
  Release& Compatible(std::string c) { compatible = std::move(c); return *this; }
  Release& Content(std::string c) { content = std::move(c); return *this; }
  Release& File(std::string path, std::string c) {
    extra_files.emplace_back(std::move(path), std::move(c));
    return *this;
  }
};

// Content zstd cannot shrink: the object on the wire is as big as the file.
inline std::string Incompressible(size_t size) {
  std::mt19937_64 random(42);
  std::string s(size, '\0');
  for (char& c : s) c = static_cast<char>(random());
  return s;
}

inline Release V(std::string version) {
  Release r;
  r.version = std::move(version);
  return r;
}

class PullFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = NewStore(dir_.Sub("server"), repo::StoreMode::kArchive);
    device_ = NewStore(dir_.Sub("device"), repo::StoreMode::kBare);
    for (int i = 0; i < 4; ++i) keys_.push_back(Must(crypto::Ed25519PrivateKey::Generate()));
    std::filesystem::create_directories(dir_.Sub("keyring"));
    for (int i = 0; i < 3; ++i) {  // keys_[3] is an outsider
      WriteTestFile(dir_.Sub("keyring/k" + std::to_string(i) + ".pub"), keys_[i].public_key().ToPem());
    }
    remote_.name = "origin";
    remote_.url = "file://" + dir_.Sub("server");
    remote_.keyring = dir_.Sub("keyring");
    remote_.threshold = 1;
    remote_.compatible = {"board-a"};
    state_ = Must(trust::TrustState::Open(trust::TrustState::DefaultPath(*device_)));
  }

  // Commits a small tree for `r` on the server, signed by `signers`.
  ObjectId Publish(const Release& r, std::vector<int> signers = {0}) {
    const std::string tree = dir_.Sub("tree-" + std::to_string(++trees_));
    for (const char* d : {"/usr/bin", "/usr/lib", "/etc"}) std::filesystem::create_directories(tree + d);
    WriteTestFile(tree + "/usr/bin/app", "app " + r.content + "\n");
    WriteTestFile(tree + "/usr/lib/libfoo.so.1", std::string(5000, 'x') + r.version);
    WriteTestFile(tree + "/etc/os-release", "VERSION=" + r.version + "\n");
    for (const auto& [path, content] : r.extra_files) {
      std::filesystem::create_directories(std::filesystem::path(tree + path).parent_path());
      WriteTestFile(tree + path, content);
    }
    repo::CommitOptions options = TestCommitOptions(r.branch);
    options.timestamp = kTestTimestamp + trees_;
    options.metadata["version"] = r.version;
    if (!r.compatible.empty()) options.metadata["compatible"] = r.compatible;
    if (!r.ref_binding.empty()) options.metadata["ref-binding"] = r.ref_binding;
    ObjectId id = Must(repo::CommitTree(*server_, tree, options)).commit;
    for (int k : signers) Must(trust::SignCommit(*server_, id, keys_[k]));
    return id;
  }

  // Publishes a summary of the server's branches signed by `signers`.
  repo::Summary PublishSummary(std::vector<int> signers = {0}, uint64_t now = kNow - 3600) {
    trust::PublishOptions options;
    options.now = now;
    repo::Summary s = Must(trust::BuildSummary(*server_, options));
    std::vector<crypto::Ed25519PrivateKey> keys;
    for (int k : signers) keys.push_back(Must(crypto::Ed25519PrivateKey::FromPem(keys_[k].ToPem())));
    Must(trust::WriteSignedSummary(*server_, s, keys));
    return s;
  }

  Result<PullResult> PullRef(const std::string& ref = "os/stable", bool allow_downgrade = false) {
    PullOptions options;
    options.ref = ref;
    options.now = kNow;
    options.allow_downgrade = allow_downgrade;
    options.fetch = fetch_;
    return Pull(*device_, remote_, *state_, options);
  }

  // Everything a refused pull must leave alone: every file of the device
  // store except the database (name, size, content hash), its refs, and
  // the trust records. (The history gains an entry: see ExpectRefused.)
  std::string DeviceSnapshot() {
    std::string out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.Sub("device"))) {
      const std::string rel = e.path().string().substr(dir_.Sub("device").size());
      // The database is compared by its records below; tmp/ is scratch
      // (the download cache keeps what a failed pull verified, for resume).
      if (rel.rfind("/state.db", 0) == 0 || rel.rfind("/tmp/", 0) == 0) continue;
      out += rel;
      if (e.is_regular_file() && !e.is_symlink()) {
        out += " " + HexEncode(crypto::Sha256::Hash(AsBytes(ReadTestFile(e.path().string()))));
      }
      out += "\n";
    }
    auto remote = Must(state_->GetRemote("origin"));
    out += "serial " + (remote ? std::to_string(remote->summary_serial) + " " + remote->summary_sha256 : "-") + "\n";
    auto ref = Must(state_->GetRef("origin", "os/stable"));
    out += "ref " + (ref ? ref->version + " " + ref->commit.Hex() : "-") + "\n";
    return out;
  }

  std::string ServerObject(const repo::ObjectKey& key) { return ObjectPath(*server_, key); }

  TempDir dir_;
  std::unique_ptr<repo::Store> server_, device_;
  std::vector<crypto::Ed25519PrivateKey> keys_;
  trust::RemoteConfig remote_;
  std::unique_ptr<trust::TrustState> state_;
  FetchOptions fetch_;
  int trees_ = 0;
};

}  // namespace larch::pull::testing
