// File: tools/larch/delta_cli.cc
#include "tools/larch/delta_cli.h"

#include <cstdio>

#include "repo/objects/limits.h"
#include "repo/refs.h"
#include "repo/trust/remote_config.h"
#include "repo/trust/signing.h"
#include "tools/larch/key_files.h"

namespace larch::cli {

void AddTrustOptions(CLI::App* app, TrustArgs& a, bool allow_no_verify) {
  app->add_option("--ref", a.ref, "Ref to install the commit as (checked against its ref binding)");
  app->add_option("--remote", a.remote, "Trust this remote's keyring, threshold and compatible ids");
  app->add_option("--keyring", a.keyring, "Keyring directory (*.pub, revoked)")->transform(AsAbsolutePath());
  AddCountOption(app, "--threshold", a.threshold, repo::kMaxSignatures, "Valid signatures required (with --keyring; default 1)");
  app->add_option("--compatible", a.compatible, "This device's compatible id (with --keyring; repeatable)");
  app->add_flag("--allow-downgrade", a.allow_downgrade, "Install even an older version");
  if (allow_no_verify)
    app->add_flag("--no-verify", a.no_verify, "Check no signature (a publisher's own stores only)");
}

namespace {

Result<trust::TrustPolicy> PolicyFor(const repo::Store& store, const TrustArgs& a) {
  if (!a.remote.empty()) {
    if (!a.keyring.empty()) return Status::InvalidArgument("give --remote or --keyring, not both");
    LARCH_ASSIGN_OR_RETURN(trust::RemoteConfig remote, trust::ReadRemote(store, a.remote));
    return trust::LoadPolicy(remote);
  }
  if (a.keyring.empty())
    return Status::InvalidArgument("give --remote NAME or --keyring DIR (or --no-verify where allowed)");
  LARCH_ASSIGN_OR_RETURN(trust::Keyring ring, trust::Keyring::Load(a.keyring));
  // Offline installs share one name, so rollback protection holds across
  // bundles and deltas applied by hand.
  return trust::TrustPolicy{"bundle", std::move(ring), a.threshold, a.compatible};
}

}  // namespace

Result<std::unique_ptr<PreparedApply>> PrepareApply(const repo::Store& store, const TrustArgs& a,
                                                    repo::SignedKind kind) {
  auto p = std::make_unique<PreparedApply>();
  p->options.envelope_kind = kind;
  if (!a.ref.empty()) {
    LARCH_RETURN_IF_ERROR(repo::ValidateRefName(a.ref));
    p->options.ref = a.remote.empty() ? a.ref : a.remote + ":" + a.ref;
  }
  if (a.no_verify) {
    if (!a.remote.empty() || !a.keyring.empty())
      return Status::InvalidArgument("--no-verify contradicts --remote/--keyring");
    return p;
  }
  if (a.ref.empty()) return Status::InvalidArgument("--ref is required to verify an install");
  LARCH_ASSIGN_OR_RETURN(p->policy, PolicyFor(store, a));
  LARCH_ASSIGN_OR_RETURN(p->state, trust::TrustState::Open(trust::TrustState::DefaultPath(store)));
  p->options.verify = delta::ApplyVerification{&*p->policy, p->state.get(), a.ref, a.allow_downgrade};
  return p;
}

Result<delta::EnvelopeSigner> SignerFor(const std::vector<std::string>& key_files,
                                        repo::SignedKind kind) {
  if (key_files.empty()) return delta::EnvelopeSigner();
  LARCH_ASSIGN_OR_RETURN(auto loaded, LoadPrivateKeyFiles(key_files));
  auto keys = std::make_shared<std::vector<crypto::Ed25519PrivateKey>>(std::move(loaded));
  return delta::EnvelopeSigner(
      [keys, kind](const crypto::Sha256Digest& digest) -> Result<std::vector<repo::CommitSignature>> {
        std::vector<repo::CommitSignature> sigs;
        for (const crypto::Ed25519PrivateKey& key : *keys) {
          LARCH_ASSIGN_OR_RETURN(repo::CommitSignature sig, trust::SignDigest(key, kind, digest));
          sigs.push_back(sig);
        }
        return sigs;
      });
}

Result<std::optional<repo::ObjectId>> ResolveFrom(const repo::Store& store, const std::string& rev) {
  if (rev == "empty") return std::optional<repo::ObjectId>();
  LARCH_ASSIGN_OR_RETURN(repo::ObjectId id, repo::ResolveRevision(store, rev));
  return std::optional<repo::ObjectId>(id);
}

// "parts:      zstd 2 (1.2 MB), xz 3 (14.1 MB)"
void PrintCompression(const delta::DeltaSuperblock& sb) {
  std::printf("parts:     ");
  for (uint8_t c = 0; c < delta::kNumPartCompressions; ++c) {
    uint64_t n = 0, bytes = 0;
    for (const delta::PartInfo& p : sb.parts) {
      if (static_cast<uint8_t>(p.compression) != c) continue;
      ++n;
      bytes += p.compressed_size;
    }
    if (n == 0) continue;
    std::printf(" %s %llu (%s)", std::string(delta::PartCompressionName(static_cast<delta::PartCompression>(c))).c_str(),
                static_cast<unsigned long long>(n), FormatBytes(bytes).c_str());
  }
  std::printf("\n");
}

void PrintSummary(const delta::DeltaSummary& s, bool json) {
  const delta::DeltaSuperblock& sb = s.superblock;
  if (json) {
    nlohmann::json ops = nlohmann::json::object();
    for (uint8_t k = 1; k <= delta::kNumOpKinds; ++k) {
      nlohmann::json op{{"count", s.count[k]}};
      if (s.payload_bytes) op["bytes"] = (*s.payload_bytes)[k];
      ops[std::string(delta::OpKindName(static_cast<delta::OpKind>(k)))] = op;
    }
    nlohmann::json compression = nlohmann::json::object();
    for (const delta::PartInfo& p : sb.parts) {
      nlohmann::json& c = compression[std::string(delta::PartCompressionName(p.compression))];
      if (c.is_null()) c = {{"parts", 0}, {"bytes", 0}};
      c["parts"] = c["parts"].get<uint64_t>() + 1;
      c["bytes"] = c["bytes"].get<uint64_t>() + p.compressed_size;
    }
    PrintJson({{"from", sb.from ? nlohmann::json(sb.from->Hex()) : nlohmann::json(nullptr)},
               {"to", sb.to.Hex()},
               {"parts", sb.parts.size()},
               {"compression", compression},
               {"compressed_bytes", sb.TotalCompressed()},
               {"uncompressed_bytes", sb.TotalUncompressed()},
               {"superblock_bytes", s.superblock_bytes},
               {"signatures", s.signatures},
               {"objects", sb.TotalObjects()},
               {"operations", ops}});
    return;
  }
  std::printf("from:       %s\nto:         %s\n", sb.from ? sb.from->Hex().c_str() : "empty",
              sb.to.Hex().c_str());
  std::printf("size:       %s in %zu parts (%s uncompressed) + superblock %s, %zu signatures\n",
              FormatBytes(sb.TotalCompressed()).c_str(), sb.parts.size(),
              FormatBytes(sb.TotalUncompressed()).c_str(), FormatBytes(s.superblock_bytes).c_str(),
              s.signatures);
  PrintCompression(sb);
  for (uint8_t k = 1; k <= delta::kNumOpKinds; ++k) {
    std::printf("%-13s %7llu objects", std::string(delta::OpKindName(static_cast<delta::OpKind>(k))).c_str(),
                static_cast<unsigned long long>(s.count[k]));
    if (s.payload_bytes) std::printf("  %12s before part compression", FormatBytes((*s.payload_bytes)[k]).c_str());
    std::printf("\n");
  }
}

void PrintApplied(const delta::ApplyStats& stats, const std::optional<std::string>& ref, bool quiet) {
  if (!quiet)
    std::fprintf(stderr, "Applied %llu parts (%s): %llu objects written, %llu already present%s%s\n",
               static_cast<unsigned long long>(stats.parts), FormatBytes(stats.bytes_received).c_str(),
               static_cast<unsigned long long>(stats.objects_written),
               static_cast<unsigned long long>(stats.objects_present), ref ? "; ref " : "",
               ref ? ref->c_str() : "");
  std::printf("%s\n", stats.commit.Hex().c_str());
}

}  // namespace larch::cli
