// File: tools/larch/cmd_delta.cc
// `larch delta generate|list|show|apply`: per-file deltas between commits,
// kept in the store under deltas/<from|empty>-<to>/ (docs/delta.md).
#include <cstdio>

#include "repo/delta/list_deltas.h"
#include "repo/refs.h"
#include "src/base/hex.h"
#include "tools/larch/delta_cli.h"

namespace larch::cli {

namespace {

struct GenerateArgs {
  std::string from, to, ref;
  int last = 0;
  bool zstd_only = false;
  std::vector<std::string> sign_keys;
  ProgressArgs progress;
};

// The (from, to) pairs asked for: one, or the last N commits of a ref to
// its head (as many ancestors as the store has).
Result<std::vector<std::pair<std::optional<repo::ObjectId>, repo::ObjectId>>> Pairs(
    const repo::Store& store, const GenerateArgs& a) {
  std::vector<std::pair<std::optional<repo::ObjectId>, repo::ObjectId>> out;
  if (a.ref.empty()) {
    if (a.from.empty() || a.to.empty())
      return Status::InvalidArgument("give --from A|empty --to B, or --ref REF --last N");
    LARCH_ASSIGN_OR_RETURN(std::optional<repo::ObjectId> from, ResolveFrom(store, a.from));
    LARCH_ASSIGN_OR_RETURN(repo::ObjectId to, repo::ResolveRevision(store, a.to));
    out.push_back({from, to});
    return out;
  }
  if (a.last < 1 || !a.from.empty() || !a.to.empty())
    return Status::InvalidArgument("--ref needs --last N (N >= 1) and no --from/--to");
  LARCH_ASSIGN_OR_RETURN(repo::ObjectId head, repo::ResolveRevision(store, a.ref));
  LARCH_ASSIGN_OR_RETURN(repo::Commit commit, store.ReadCommit(head));
  for (int i = 0; i < a.last && commit.parent; ++i) {
    LARCH_ASSIGN_OR_RETURN(bool have, store.HasObject({*commit.parent, repo::ObjectType::kCommit}));
    if (!have) break;
    out.push_back({*commit.parent, head});
    LARCH_ASSIGN_OR_RETURN(commit, store.ReadCommit(*commit.parent));
  }
  if (out.empty()) return Status::NotFound(a.ref + " has no parent commit in this store");
  return out;
}

Status Generate(const GlobalOptions& global, const GenerateArgs& a) {
  LARCH_ASSIGN_OR_RETURN(auto store, OpenStore(global));
  LARCH_ASSIGN_OR_RETURN(auto pairs, Pairs(*store, a));
  LARCH_ASSIGN_OR_RETURN(delta::EnvelopeSigner sign,
                         SignerFor(a.sign_keys, repo::SignedKind::kDeltaSuperblock));
  for (const auto& [from, to] : pairs) {
    delta::GenerateOptions options;
    options.from = from;
    options.to = to;
    options.sign = sign;
    ProgressReporter progress(ProgressReporter::Choose(a.progress));
    options.progress = progress.Fn();
    options.xz_parts = !a.zstd_only;
    options.gzip_recipes = !a.zstd_only;
    options.elf_patches = !a.zstd_only;
    LARCH_ASSIGN_OR_RETURN(delta::GeneratedDelta d, delta::GenerateDelta(*store, options));
    progress.Finish();
    const delta::GenerateStats& st = d.stats;
    std::string ops;
    for (uint8_t k = 1; k <= delta::kNumOpKinds; ++k) {
      if (st.count[k] == 0) continue;
      ops += (ops.empty() ? "" : ", ") + std::string(delta::OpKindName(static_cast<delta::OpKind>(k))) +
             " " + std::to_string(st.count[k]);
    }
    std::printf("deltas/%s: %s in %llu parts + superblock %s (%s)\n",
                delta::DeltaDirName(from, to).c_str(), FormatBytes(st.parts_bytes).c_str(),
                static_cast<unsigned long long>(st.parts), FormatBytes(st.superblock_bytes).c_str(),
                ops.c_str());
  }
  return Status::Ok();
}

Status List(const GlobalOptions& global, bool json) {
  LARCH_ASSIGN_OR_RETURN(auto store, OpenStore(global));
  LARCH_ASSIGN_OR_RETURN(auto deltas, delta::ListDeltas(*store));
  nlohmann::json out = nlohmann::json::array();
  for (const delta::DeltaInfo& d : deltas) {
    std::string name = delta::DeltaDirName(d.from, d.to);
    if (json) {
      out.push_back({{"from", d.from ? nlohmann::json(d.from->Hex()) : nlohmann::json(nullptr)},
                     {"to", d.to.Hex()}, {"superblock_size", d.superblock_size},
                     {"superblock_sha256", HexEncode(d.superblock_sha256)}});
    } else {
      std::printf("%s  superblock %s\n", name.c_str(), FormatBytes(d.superblock_size).c_str());
    }
  }
  if (json) PrintJson(out);
  return Status::Ok();
}

Result<std::unique_ptr<delta::DirectorySource>> OpenDelta(const repo::Store* store,
                                                          const std::string& dir,
                                                          const std::string& from,
                                                          const std::string& to) {
  if (!dir.empty()) return delta::DirectorySource::OpenUserPath(*fs::DefaultFs(), dir);
  if (store == nullptr || from.empty() || to.empty())
    return Status::InvalidArgument("give a delta directory, or --from A|empty --to B");
  LARCH_ASSIGN_OR_RETURN(std::optional<repo::ObjectId> f, ResolveFrom(*store, from));
  LARCH_ASSIGN_OR_RETURN(repo::ObjectId t, repo::ResolveRevision(*store, to));
  return delta::DirectorySource::OpenInStore(*store, delta::DeltaDirName(f, t));
}

}  // namespace

Command RegisterDelta(CLI::App& parent, const GlobalOptions& global) {
  CLI::App* app = parent.add_subcommand("delta", "Generate, list, inspect and apply deltas");
  app->require_subcommand(1);

  auto gen = std::make_shared<GenerateArgs>();
  CLI::App* g = app->add_subcommand("generate", "Generate deltas into the store's deltas/");
  g->add_option("--from", gen->from, "Source commit or ref, or 'empty' for a full delta");
  g->add_option("--to", gen->to, "Target commit or ref");
  g->add_option("--ref", gen->ref, "With --last: deltas from the ref's last N commits to its head");
  AddCountOption(g, "--last", gen->last, kMaxCount, "How many of the ref's previous commits");
  g->add_option("--sign-key", gen->sign_keys, "Private key to sign the superblock with (repeatable)")->transform(AsAbsolutePath());
  AddProgressOptions(g, gen->progress);
  g->add_flag("--zstd-only", gen->zstd_only,
              "Compress every part with zstd and use neither gzip recipes (new-gzip, GNU gzip patch-gzip) "
              "nor ELF patches, for devices whose Larch predates xz parts");

  auto json = std::make_shared<bool>(false);
  CLI::App* l = app->add_subcommand("list", "List the deltas the store offers");
  l->add_flag("--json", *json, "Machine-readable output");

  auto show_dir = std::make_shared<std::string>();
  auto show_from = std::make_shared<std::string>();
  auto show_to = std::make_shared<std::string>();
  CLI::App* s = app->add_subcommand("show", "What a delta holds: operations, engines, bytes");
  s->add_option("dir", *show_dir, "A delta directory (default: the store's, by --from/--to)")->transform(AsAbsolutePath());
  s->add_option("--from", *show_from, "Source commit, ref or 'empty'");
  s->add_option("--to", *show_to, "Target commit or ref");
  s->add_flag("--json", *json, "Machine-readable output");

  auto apply_dir = std::make_shared<std::string>();
  auto trust_args = std::make_shared<TrustArgs>();
  auto apply_progress = std::make_shared<ProgressArgs>();
  CLI::App* a = app->add_subcommand("apply", "Apply a delta directory to the store");
  a->add_option("dir", *apply_dir, "The delta directory (superblock and parts)")->required()->transform(AsAbsolutePath());
  AddTrustOptions(a, *trust_args, true);
  AddProgressOptions(a, *apply_progress);

  return {app, [=, &global]() -> Status {
            if (g->parsed()) return Generate(global, *gen);
            if (l->parsed()) return List(global, *json);
            if (s->parsed()) {
              std::unique_ptr<repo::Store> store;
              if (show_dir->empty()) {
                LARCH_ASSIGN_OR_RETURN(store, OpenStore(global));
              }
              LARCH_ASSIGN_OR_RETURN(auto source, OpenDelta(store.get(), *show_dir, *show_from, *show_to));
              LARCH_ASSIGN_OR_RETURN(delta::DeltaSummary summary,
                                     delta::InspectDelta(*source, repo::SignedKind::kDeltaSuperblock, true));
              PrintSummary(summary, *json);
              return Status::Ok();
            }
            LARCH_ASSIGN_OR_RETURN(auto store, OpenStore(global));
            LARCH_ASSIGN_OR_RETURN(auto prepared, PrepareApply(*store, *trust_args,
                                                               repo::SignedKind::kDeltaSuperblock));
            LARCH_ASSIGN_OR_RETURN(auto source, delta::DirectorySource::OpenUserPath(*fs::DefaultFs(), *apply_dir));
            ProgressReporter progress(ProgressReporter::Choose(*apply_progress));
            prepared->options.progress = progress.Fn();
            LARCH_ASSIGN_OR_RETURN(delta::ApplyStats stats, delta::ApplyDelta(*store, *source, prepared->options));
            progress.Finish();
            PrintApplied(stats, prepared->options.ref, !apply_progress->summary());
            return Status::Ok();
          }};
}

}  // namespace larch::cli
