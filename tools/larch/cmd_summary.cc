// File: tools/larch/cmd_summary.cc
// `larch summary --update --sign-key KEY... [--lifetime 7d]`: publish a new
// signed summary (serial + 1) of the store's branches, deltas and
// dictionaries. `larch summary --sign-key KEY`: countersign the current one.
// `larch summary [--json]`: show it.
#include <cstdio>
#include <ctime>

#include "repo/refs.h"
#include "repo/trust/rollout.h"
#include "repo/trust/signing.h"
#include "repo/trust/summary_publish.h"
#include "src/base/hex.h"
#include "src/base/units.h"
#include "tools/larch/command.h"
#include "tools/larch/key_files.h"
#include "tools/larch/summary_deltas.h"

namespace larch::cli {

namespace {

struct SummaryArgs {
  bool update = false, json = false;
  std::vector<std::string> keys;
  std::string lifetime = "7d";
  std::vector<std::string> metadata;
  std::vector<std::string> rollouts;  // REF=PERCENT or REF=halt
  std::string recall, recall_to;      // --recall REF --to REV
};

// --lifetime: a duration (src/base/units.h), never 0 (a summary expired
// when published) nor past a century (now + lifetime must not wrap).
constexpr uint64_t kMaxLifetime = 36500ull * 86400;

Result<uint64_t> ParseLifetime(const std::string& text) {
  Result<uint64_t> seconds = ParseDuration(text, kMaxLifetime);
  if (!seconds.ok()) return Status::InvalidArgument("--lifetime " + seconds.status().message());
  if (*seconds == 0) return Status::InvalidArgument("--lifetime must be more than 0 seconds");
  return seconds;
}

nlohmann::json ToJson(const repo::SignedEnvelope& env, const repo::Summary& s) {
  nlohmann::json out{{"serial", s.serial}, {"timestamp", s.timestamp}, {"expires", s.expires},
                     {"expires_date", FormatTime(s.expires)}, {"store_mode", s.store_mode}};
  out["refs"] = nlohmann::json::object();
  for (const auto& r : s.refs) {
    out["refs"][r.name] = {{"commit", r.commit.Hex()}, {"version", r.version}, {"timestamp", r.timestamp},
                           {"commit_size", r.commit_size}};
  }
  out["deltas"] = nlohmann::json::array();
  for (const auto& d : s.deltas) {
    out["deltas"].push_back({{"from", d.from ? nlohmann::json(d.from->Hex()) : nlohmann::json(nullptr)},
                             {"to", d.to.Hex()}, {"superblock_size", d.superblock_size},
                             {"superblock_sha256", HexEncode(d.superblock_sha256)}});
  }
  out["rollouts"] = nlohmann::json::object();
  for (const auto& r : s.rollouts) {
    out["rollouts"][r.ref] = {{"commit", r.commit.Hex()}, {"share", trust::FormatShare(r.basis_points)},
                              {"basis_points", r.basis_points}, {"halted", r.halted}};
  }
  out["recalls"] = nlohmann::json::object();
  for (const auto& r : s.recalls) {
    out["recalls"][r.ref] = {{"recalled", r.recalled.Hex()}, {"to", r.to.commit.Hex()}, {"to_version", r.to.version}};
  }
  out["signatures"] = nlohmann::json::array();
  for (const auto& sig : env.signatures) out["signatures"].push_back(HexEncode(sig.key_id));
  return out;
}

Status Show(const repo::Store& store, bool json) {
  LARCH_ASSIGN_OR_RETURN(auto env, trust::ReadSignedSummary(store));
  if (!env) return Status::NotFound("the store has no summary yet (see larch summary --update)");
  LARCH_ASSIGN_OR_RETURN(repo::Summary s, repo::DecodeSummary(env->body));
  if (json) {
    PrintJson(ToJson(*env, s));
    return Status::Ok();
  }
  std::printf("Serial %llu, published %s, expires %s, %zu signature(s)\n",
              static_cast<unsigned long long>(s.serial), FormatTime(s.timestamp).c_str(),
              FormatTime(s.expires).c_str(), env->signatures.size());
  for (const auto& r : s.refs) {
    std::printf("ref %s %s version %s\n", r.name.c_str(), r.commit.Hex().c_str(),
                r.version.empty() ? "-" : r.version.c_str());
  }
  for (const auto& r : s.rollouts) {
    std::printf("rollout %s %s: %s%s\n", r.ref.c_str(), r.commit.Hex().substr(0, 16).c_str(),
                trust::FormatShare(r.basis_points).c_str(), r.halted ? ", halted" : "");
  }
  for (const auto& r : s.recalls) {
    std::printf("recall %s %s: devices running it go back to %s (version %s)\n", r.ref.c_str(),
                r.recalled.Hex().substr(0, 16).c_str(), r.to.commit.Hex().substr(0, 16).c_str(),
                r.to.version.empty() ? "-" : r.to.version.c_str());
  }
  for (const auto& d : s.deltas) {
    std::printf("delta %s -> %s (%llu-byte superblock)\n", d.from ? d.from->Hex().substr(0, 16).c_str() : "empty",
                d.to.Hex().substr(0, 16).c_str(), static_cast<unsigned long long>(d.superblock_size));
  }
  return Status::Ok();
}

// Whether `ancestor` is in the parent chain of `head` in this store.
bool IsEarlierRelease(const repo::Store& store, repo::ObjectId head, const repo::ObjectId& ancestor) {
  for (int depth = 0; depth < 1000; ++depth) {
    Result<repo::Commit> c = store.ReadCommit(head);
    if (!c.ok() || !c->parent) return false;
    if (*c->parent == ancestor) return true;
    head = *c->parent;
  }
  return false;
}

// --rollout REF=PERCENT|halt and --recall REF --to REV into `options`.
Status AddRolloutControl(const repo::Store& store, const SummaryArgs& a, trust::PublishOptions& options) {
  for (const std::string& spec : a.rollouts) {
    const size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0)
      return Status::InvalidArgument("--rollout expects REF=PERCENT or REF=halt, got '" + spec + "'");
    trust::PublishOptions::RolloutChange c;
    c.ref = spec.substr(0, eq);
    const std::string value = spec.substr(eq + 1);
    if (value == "halt") {
      c.halt = true;
    } else {
      Result<uint32_t> bp = trust::ParseShare(value);
      if (!bp.ok()) return Status::InvalidArgument("--rollout " + spec + ": " + bp.status().message());
      c.basis_points = *bp;
    }
    options.rollouts.push_back(c);
  }
  if (a.recall.empty() != a.recall_to.empty()) return Status::InvalidArgument("--recall REF and --to COMMIT go together");
  if (a.recall.empty()) return Status::Ok();
  LARCH_ASSIGN_OR_RETURN(repo::ObjectId to, repo::ResolveRevision(store, a.recall_to));
  LARCH_ASSIGN_OR_RETURN(repo::ObjectId head, repo::ResolveRevision(store, a.recall));
  // Devices refuse a recall to anything but an earlier release of the ref;
  // say so here already, but publish what was asked (docs/rollouts.md).
  if (!IsEarlierRelease(store, head, to)) {
    std::fprintf(stderr,
                 "larch summary: warning: %s is not an earlier release of %s in this store; devices will refuse "
                 "this recall\n",
                 to.Hex().c_str(), a.recall.c_str());
  }
  options.recalls.push_back({a.recall, to});
  return Status::Ok();
}

Status Update(repo::Store& store, const SummaryArgs& a) {
  if (a.keys.empty()) return Status::InvalidArgument("--update needs at least one --sign-key");
  LARCH_ASSIGN_OR_RETURN(auto keys, LoadPrivateKeyFiles(a.keys));
  trust::PublishOptions options;
  options.now = static_cast<uint64_t>(std::time(nullptr));
  LARCH_ASSIGN_OR_RETURN(options.lifetime, ParseLifetime(a.lifetime));
  LARCH_ASSIGN_OR_RETURN(options.deltas, DeltasOnOffer(store));
  for (const std::string& kv : a.metadata) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos) return Status::InvalidArgument("--metadata expects KEY=VALUE, got " + kv);
    options.metadata[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  LARCH_RETURN_IF_ERROR(AddRolloutControl(store, a, options));
  LARCH_ASSIGN_OR_RETURN(repo::Summary s, trust::BuildSummary(store, options));
  LARCH_RETURN_IF_ERROR(trust::WriteSignedSummary(store, s, keys));
  std::printf("Summary serial %llu: %zu ref(s), %zu delta(s), expires %s\n",
              static_cast<unsigned long long>(s.serial), s.refs.size(), s.deltas.size(),
              FormatTime(s.expires).c_str());
  return Status::Ok();
}

}  // namespace

Command RegisterSummary(CLI::App& parent, const GlobalOptions& global) {
  auto a = std::make_shared<SummaryArgs>();
  CLI::App* app = parent.add_subcommand("summary", "Publish, countersign or show the signed repository summary");
  app->add_flag("--update", a->update, "Publish a new summary (serial + 1)");
  app->add_option("--sign-key,-k", a->keys, "Private key to sign with (repeatable)")->transform(AsAbsolutePath());
  app->add_option("--lifetime", a->lifetime, "How long devices accept it (default 7d)");
  app->add_option("--metadata", a->metadata, "KEY=VALUE summary metadata (repeatable)");
  app->add_option("--rollout", a->rollouts,
                  "REF=PERCENT: stage the head of REF to that share of devices (0-100, steps of 0.01); REF=halt: "
                  "stop it where it is; REF=100: to every device (repeatable, with --update)");
  app->add_option("--recall", a->recall, "Recall the head of REF (with --to and --update)");
  app->add_option("--to", a->recall_to, "The earlier release of REF devices running the recalled one go back to");
  app->add_flag("--json", a->json, "Machine-readable output (when showing)");
  return {app, [=, &global]() -> Status {
            LARCH_ASSIGN_OR_RETURN(auto store, OpenStore(global));
            if (a->update) return Update(*store, *a);
            if (!a->rollouts.empty() || !a->recall.empty() || !a->recall_to.empty())
              return Status::InvalidArgument("--rollout and --recall change the summary: give --update");
            if (!a->keys.empty()) {
              LARCH_ASSIGN_OR_RETURN(auto keys, LoadPrivateKeyFiles(a->keys));
              for (const auto& key : keys) LARCH_RETURN_IF_ERROR(trust::CountersignSummary(*store, key));
              std::printf("Countersigned the summary with %zu key(s)\n", keys.size());
              return Status::Ok();
            }
            return Show(*store, a->json);
          }};
}

}  // namespace larch::cli
