// File: tools/larch/delta_cli.h
// What `larch delta` and `larch bundle` share: the trust options that make
// applying a delta or bundle follow the same rules as a pull, signing with
// key files, and printing what a delta holds.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "repo/delta/apply.h"
#include "repo/delta/generate.h"
#include "repo/delta/inspect.h"
#include "tools/larch/command.h"
#include "tools/larch/progress.h"

namespace larch::cli {

struct TrustArgs {
  std::string remote, keyring, ref;
  uint32_t threshold = 1;
  std::vector<std::string> compatible;
  bool allow_downgrade = false;
  bool no_verify = false;
};

// --remote/--keyring/--threshold/--compatible/--ref/--allow-downgrade, and
// --no-verify when `allow_no_verify`.
void AddTrustOptions(CLI::App* app, TrustArgs& args, bool allow_no_verify);

// The policy, the device's trust state and the resulting apply options.
struct PreparedApply {
  std::optional<trust::TrustPolicy> policy;
  std::unique_ptr<trust::TrustState> state;
  delta::ApplyOptions options;
};
Result<std::unique_ptr<PreparedApply>> PrepareApply(const repo::Store& store, const TrustArgs& args,
                                                    repo::SignedKind kind);

// Signs envelope digests of `kind` with each private key file.
Result<delta::EnvelopeSigner> SignerFor(const std::vector<std::string>& key_files,
                                        repo::SignedKind kind);

// "empty" or a revision.
Result<std::optional<repo::ObjectId>> ResolveFrom(const repo::Store& store, const std::string& rev);

void PrintSummary(const delta::DeltaSummary& summary, bool json);
// The commit on stdout; with `quiet`, no summary on stderr.
void PrintApplied(const delta::ApplyStats& stats, const std::optional<std::string>& ref, bool quiet);

}  // namespace larch::cli
