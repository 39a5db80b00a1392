// File: tools/larch/cmd_bundle.cc
// `larch bundle create|show|apply`: a whole delta in one signed file, for
// devices updated from a USB stick (docs/delta.md, "Bundles").
#include <cstdio>

#include "repo/delta/bundle.h"
#include "repo/refs.h"
#include "tools/larch/delta_cli.h"

namespace larch::cli {

namespace {

struct CreateArgs {
  std::string from, to, out;
  std::vector<std::string> sign_keys;
  ProgressArgs progress;
};

Status Create(const GlobalOptions& global, const CreateArgs& a) {
  LARCH_ASSIGN_OR_RETURN(auto store, OpenStore(global));
  delta::GenerateOptions options;
  LARCH_ASSIGN_OR_RETURN(options.from, ResolveFrom(*store, a.from));
  LARCH_ASSIGN_OR_RETURN(options.to, repo::ResolveRevision(*store, a.to));
  LARCH_ASSIGN_OR_RETURN(delta::EnvelopeSigner sign, SignerFor(a.sign_keys, repo::SignedKind::kBundle));
  ProgressReporter progress(ProgressReporter::Choose(a.progress));
  options.progress = progress.Fn();
  LARCH_ASSIGN_OR_RETURN(delta::GeneratedDelta d, delta::BuildDelta(*store, options));
  progress.Finish();
  LARCH_RETURN_IF_ERROR(delta::WriteBundle(*fs::DefaultFs(), a.out, d, sign));
  if (!a.progress.summary()) return Status::Ok();
  std::fprintf(stderr, "Wrote %s: %s in %llu parts, %zu signatures\n", a.out.c_str(),
               FormatBytes(d.stats.parts_bytes + d.stats.superblock_bytes).c_str(),
               static_cast<unsigned long long>(d.stats.parts), a.sign_keys.size());
  return Status::Ok();
}

}  // namespace

Command RegisterBundle(CLI::App& parent, const GlobalOptions& global) {
  CLI::App* app = parent.add_subcommand("bundle", "Offline update bundles (one signed file)");
  app->require_subcommand(1);

  auto create = std::make_shared<CreateArgs>();
  CLI::App* c = app->add_subcommand("create", "Write a bundle from one commit (or empty) to another");
  c->add_option("--from", create->from, "Source commit or ref, or 'empty'")->required();
  c->add_option("--to", create->to, "Target commit or ref")->required();
  c->add_option("--sign-key", create->sign_keys, "Private key to sign the bundle with (repeatable)")->transform(AsAbsolutePath());
  c->add_option("out", create->out, "The bundle file to write")->required()->transform(AsAbsolutePath());
  AddProgressOptions(c, create->progress);

  auto show_file = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  CLI::App* s = app->add_subcommand("show", "What a bundle holds");
  s->add_option("file", *show_file, "The bundle")->required()->transform(AsAbsolutePath());
  s->add_flag("--json", *json, "Machine-readable output");

  auto apply_file = std::make_shared<std::string>();
  auto trust_args = std::make_shared<TrustArgs>();
  auto apply_progress = std::make_shared<ProgressArgs>();
  CLI::App* a = app->add_subcommand("apply", "Verify a bundle and apply it, as a pull would");
  a->add_option("file", *apply_file, "The bundle")->required()->transform(AsAbsolutePath());
  AddTrustOptions(a, *trust_args, false);
  AddProgressOptions(a, *apply_progress);

  return {app, [=, &global]() -> Status {
            if (c->parsed()) return Create(global, *create);
            if (s->parsed()) {
              LARCH_ASSIGN_OR_RETURN(auto source, delta::BundleSource::Open(*fs::DefaultFs(), *show_file));
              LARCH_ASSIGN_OR_RETURN(delta::DeltaSummary summary,
                                     delta::InspectDelta(*source, repo::SignedKind::kBundle, true));
              PrintSummary(summary, *json);
              return Status::Ok();
            }
            LARCH_ASSIGN_OR_RETURN(auto store, OpenStore(global));
            LARCH_ASSIGN_OR_RETURN(auto prepared, PrepareApply(*store, *trust_args, repo::SignedKind::kBundle));
            LARCH_ASSIGN_OR_RETURN(auto source, delta::BundleSource::Open(*fs::DefaultFs(), *apply_file));
            ProgressReporter progress(ProgressReporter::Choose(*apply_progress));
            prepared->options.progress = progress.Fn();
            LARCH_ASSIGN_OR_RETURN(delta::ApplyStats stats, delta::ApplyDelta(*store, *source, prepared->options));
            progress.Finish();
            PrintApplied(stats, prepared->options.ref, !apply_progress->summary());
            return Status::Ok();
          }};
}

}  // namespace larch::cli
