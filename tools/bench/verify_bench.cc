// File: tools/bench/verify_bench.cc
//
// larch-bench-verify [--json] [--batches N] [--batch N]: how long verifying
// a commit's signatures takes, in process, with the real OpenSSL and (for the
// install check) the real SQLite trust state. Cases:
//
//   openssl    EVP_DigestVerify with an already parsed key: the floor
//   ed25519    Ed25519PublicKey::Verify (builds the EVP_PKEY each call)
//   check-N    CheckSignatures: N signatures, keyring of 3 keys, threshold N
//   install-N  VerifyCommitForInstall on a real commit (version, ref binding,
//              compatible ids, signed summary entry) with N signatures at
//              threshold N, against a TrustState in a temp dir that has an
//              older version installed from the ref (so the version rule
//              reads a row)
//   bytes-1    what a pull does with the fetched bytes: decode the commit and
//              its commitmeta, hash the commit for its id, then install-1
//
// Every case is warmed up, then timed in batches (default 200 batches of
// 100 operations, std::chrono::steady_clock around each batch); a batch's
// time divided by its size is one sample. Reported: the median and the 99th
// percentile of those samples, in microseconds per verification, and the
// median of the same batches in this thread's CPU time
// (CLOCK_THREAD_CPUTIME_ID), which a busy machine inflates far less than
// wall time: on a shared machine, compare that column. Every
// operation's result is checked: a benchmark of a failing check measures
// nothing. Method and figures: tools/bench/README.md, docs/benchmarks.md.
#include <openssl/evp.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "repo/objects/commit.h"
#include "repo/objects/commitmeta.h"
#include "repo/objects/summary.h"
#include "repo/trust/install_check.h"
#include "repo/trust/signing.h"
#include "repo/trust/trust_state.h"

namespace larch {
namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "larch-bench-verify: %s\n", what.c_str());
  std::exit(1);
}

template <typename T>
T Must(Result<T> r, const char* what) {
  if (!r.ok()) Die(std::string(what) + ": " + r.status().ToString());
  return std::move(r).value();
}

void Must(const Status& s, const char* what) {
  if (!s.ok()) Die(std::string(what) + ": " + s.ToString());
}

struct Options {
  bool json = false;
  int batches = 200;
  int batch = 100;
};

struct Row {
  std::string name;
  std::string what;
  double median_us = 0;
  double p99_us = 0;
  double cpu_median_us = 0;
};

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

double ThreadCpuUs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

// Times `op` (which must return true every time) as described at the top.
Row Measure(const Options& o, std::string name, std::string what, const std::function<bool()>& op) {
  const int warmup = std::max(o.batch, 200);
  for (int i = 0; i < warmup; ++i) {
    if (!op()) Die(name + ": the verification failed");
  }
  std::vector<double> wall_us, cpu_us;
  wall_us.reserve(static_cast<size_t>(o.batches));
  cpu_us.reserve(static_cast<size_t>(o.batches));
  for (int b = 0; b < o.batches; ++b) {
    bool ok = true;
    const double cpu_start = ThreadCpuUs();
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < o.batch; ++i) ok &= op();
    const auto end = std::chrono::steady_clock::now();
    const double cpu_end = ThreadCpuUs();
    if (!ok) Die(name + ": the verification failed");
    wall_us.push_back(std::chrono::duration<double, std::micro>(end - start).count() / o.batch);
    cpu_us.push_back((cpu_end - cpu_start) / o.batch);
  }
  return {std::move(name), std::move(what), Percentile(wall_us, 0.5), Percentile(wall_us, 0.99),
          Percentile(cpu_us, 0.5)};
}

// The signed thing every case verifies.
struct Fixture {
  std::vector<crypto::Ed25519PrivateKey> keys;
  trust::Keyring keyring;
  repo::Commit commit;
  Bytes commit_bytes;
  repo::ObjectId commit_id;
  std::vector<repo::CommitSignature> sigs;  // by keys[0..2], sorted by key id
};

Fixture MakeFixture() {
  Fixture f;
  std::vector<crypto::Ed25519PublicKey> pubs;
  for (int i = 0; i < 3; ++i) {
    f.keys.push_back(Must(crypto::Ed25519PrivateKey::Generate(), "generating a key"));
    pubs.push_back(f.keys.back().public_key());
  }
  f.keyring = trust::Keyring::FromKeys(pubs);

  f.commit.root_tree = repo::ObjectId::HashOf(AsBytes("root dirtree"));
  f.commit.root_meta = repo::ObjectId::HashOf(AsBytes("root dirmeta"));
  f.commit.parent = repo::ObjectId::HashOf(AsBytes("parent commit"));
  f.commit.timestamp = 1795000000;
  f.commit.subject = "Release 2.0";
  f.commit.metadata = {{trust::kVersionKey, "2.0"},
                       {trust::kRefBindingKey, "os/stable"},
                       {trust::kCompatibleKey, "board-a board-b"},
                       {"os", "debian"},
                       {"arch", "x86_64"}};
  Must(repo::ValidateCommit(f.commit), "the commit");
  f.commit_bytes = repo::EncodeCommit(f.commit);
  f.commit_id = repo::ObjectId::HashOf(f.commit_bytes);

  for (const auto& key : f.keys) {
    f.sigs.push_back(Must(trust::SignDigest(key, repo::SignedKind::kCommit, f.commit_id.array()), "signing"));
  }
  std::sort(f.sigs.begin(), f.sigs.end(),
            [](const repo::CommitSignature& a, const repo::CommitSignature& b) { return a.key_id < b.key_id; });
  return f;
}

trust::TrustPolicy PolicyWithThreshold(const Fixture& f, uint32_t threshold) {
  return trust::TrustPolicy{"origin", f.keyring, threshold, {"board-a"}};
}

std::vector<repo::CommitSignature> FirstSigs(const Fixture& f, size_t n) {
  return {f.sigs.begin(), f.sigs.begin() + static_cast<std::ptrdiff_t>(n)};
}

// A temp dir for state.db, removed when the benchmark ends.
struct TempDir {
  std::string path;
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/var/tmp") + "/larch-bench-verify.XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr) Die("mkdtemp " + tmpl + ": " + std::strerror(errno));
    path = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

std::vector<Row> RunAll(const Options& o) {
  const Fixture f = MakeFixture();
  std::vector<Row> rows;

  // The floor: one Ed25519 verification in OpenSSL, key parsed once.
  const Bytes message = trust::SigningMessage(repo::SignedKind::kCommit, f.commit_id.array());
  const crypto::Ed25519PublicKey& pub0 = *f.keyring.Find(f.sigs[0].key_id);
  EVP_PKEY* pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, pub0.raw().data(), pub0.raw().size());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (pkey == nullptr || ctx == nullptr) Die("OpenSSL: cannot make an Ed25519 key");
  rows.push_back(Measure(o, "openssl", "OpenSSL EVP_DigestVerify, key parsed once (floor)", [&] {
    return EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, pkey) == 1 &&
           EVP_DigestVerify(ctx, f.sigs[0].signature.data(), f.sigs[0].signature.size(), message.data(),
                            message.size()) == 1;
  }));
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);

  rows.push_back(Measure(o, "ed25519", "Ed25519PublicKey::Verify, one signature",
                         [&] { return pub0.Verify(message, f.sigs[0].signature); }));

  for (uint32_t n = 1; n <= 3; ++n) {
    const trust::TrustPolicy policy = PolicyWithThreshold(f, n);
    const std::vector<repo::CommitSignature> sigs = FirstSigs(f, n);
    rows.push_back(Measure(o, "check-" + std::to_string(n),
                           "CheckSignatures, " + std::to_string(n) + " of 3 keys, threshold " + std::to_string(n),
                           [&] {
                             return trust::CheckSignatures(policy, repo::SignedKind::kCommit, f.commit_id.array(),
                                                           sigs, "commit")
                                 .ok();
                           }));
  }

  TempDir dir;
  auto state = Must(trust::TrustState::Open(dir.path + "/state.db"), "opening the trust state");
  {
    trust::TrustState::Update installed;
    installed.SetRef("origin", "os/stable",
                     trust::RefTrust{"1.9", repo::ObjectId::HashOf(AsBytes("older")), 1790000000, 0});
    Must(state->Apply(installed), "recording the installed version");
  }
  const repo::SummaryRef summary_ref{"os/stable", f.commit_id, f.commit_bytes.size(), "2.0", f.commit.timestamp};
  for (uint32_t n : {1u, 3u}) {
    const trust::TrustPolicy policy = PolicyWithThreshold(f, n);
    const repo::CommitMeta meta{FirstSigs(f, n)};
    const trust::InstallRequest req{"os/stable", f.commit_id, &f.commit, &meta, &summary_ref, false};
    rows.push_back(Measure(o, "install-" + std::to_string(n),
                           "VerifyCommitForInstall, " + std::to_string(n) + " signature" + (n == 1 ? "" : "s") +
                               ", threshold " + std::to_string(n) + ", SQLite trust state",
                           [&] { return trust::VerifyCommitForInstall(policy, *state, req).ok(); }));
  }

  const trust::TrustPolicy policy1 = PolicyWithThreshold(f, 1);
  const Bytes meta_bytes = repo::EncodeCommitMeta(repo::CommitMeta{FirstSigs(f, 1)});
  rows.push_back(Measure(o, "bytes-1", "decode commit + commitmeta, hash the id, then install-1", [&] {
    Result<repo::Commit> commit = repo::DecodeCommit(f.commit_bytes);
    Result<repo::CommitMeta> meta = repo::DecodeCommitMeta(meta_bytes);
    if (!commit.ok() || !meta.ok()) return false;
    const trust::InstallRequest req{"os/stable", repo::ObjectId::HashOf(f.commit_bytes), &*commit, &*meta,
                                    &summary_ref, false};
    return trust::VerifyCommitForInstall(policy1, *state, req).ok();
  }));
  return rows;
}

void PrintTable(const Options& o, const std::vector<Row>& rows) {
  std::printf("per verification, %d batches of %d after warm-up (median and p99 of the batch means; cpu: median thread CPU time)\n\n",
              o.batches, o.batch);
  std::printf("%-10s %10s %10s %10s  %s\n", "case", "median µs", "p99 µs", "cpu µs", "what");
  for (const Row& r : rows) {
    std::printf("%-10s %10.2f %10.2f %10.2f  %s\n", r.name.c_str(), r.median_us, r.p99_us, r.cpu_median_us,
                r.what.c_str());
  }
}

void PrintJson(const Options& o, const std::vector<Row>& rows) {
  // Names and descriptions are fixed ASCII without quotes or backslashes.
  std::printf("{\"unit\": \"us\", \"batches\": %d, \"batch\": %d, \"cases\": [", o.batches, o.batch);
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    std::printf("%s\n  {\"name\": \"%s\", \"what\": \"%s\", \"median_us\": %.3f, \"p99_us\": %.3f, "
                "\"cpu_median_us\": %.3f}",
                i == 0 ? "" : ",", r.name.c_str(), r.what.c_str(), r.median_us, r.p99_us, r.cpu_median_us);
  }
  std::printf("\n]}\n");
}

int PositiveArg(int argc, char** argv, int& i) {
  if (i + 1 >= argc) Die(std::string(argv[i]) + " needs a number");
  int v = std::atoi(argv[++i]);
  if (v <= 0) Die(std::string(argv[i - 1]) + " needs a positive number");
  return v;
}

}  // namespace
}  // namespace larch

int main(int argc, char** argv) {
  larch::Options o;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--json") == 0) o.json = true;
    else if (std::strcmp(argv[i], "--batches") == 0) o.batches = larch::PositiveArg(argc, argv, i);
    else if (std::strcmp(argv[i], "--batch") == 0) o.batch = larch::PositiveArg(argc, argv, i);
    else {
      std::fprintf(stderr, "usage: %s [--json] [--batches N] [--batch N]\n", argv[0]);
      return 2;
    }
  }
  std::vector<larch::Row> rows = larch::RunAll(o);
  if (o.json) larch::PrintJson(o, rows);
  else larch::PrintTable(o, rows);
  return 0;
}
