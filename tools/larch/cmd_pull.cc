// File: tools/larch/cmd_pull.cc
// `larch pull REMOTE REF`: fetch and verify a ref from a remote into
// <remote>:<ref> (repo/pull/pull.h), recording the trust state.
#include <cstdio>

#include "repo/pull/pull.h"
#include "tools/larch/command.h"
#include "tools/larch/progress.h"

namespace larch::cli {

namespace {

struct PullArgs {
  std::string remote, ref;
  bool allow_downgrade = false, json = false, dry_run = false, no_deltas = false, quiet = false;
  uint64_t max_rate = 0;
  unsigned retries = 5;
  long stall_timeout = 60;
};

nlohmann::json ResultJson(const PullArgs& a, const pull::PullResult& r) {
  auto id = [](const std::optional<repo::ObjectId>& c) { return c ? nlohmann::json(c->Hex()) : nlohmann::json(nullptr); };
  return {{"event", "done"},          {"remote", a.remote},        {"ref", a.ref},
          {"commit", r.commit.Hex()}, {"previous", id(r.previous)}, {"version", r.version},
          {"up_to_date", r.up_to_date}, {"method", r.method},      {"delta_from", id(r.delta_from)},
          {"dry_run", a.dry_run},     {"download_bytes", r.download_bytes}, {"write_bytes", r.write_bytes},
          {"objects_fetched", r.objects_fetched}, {"bytes_received", r.bytes_received}};
}

void PrintResult(const PullArgs& a, const pull::PullResult& r) {
  const std::string where = a.remote + ":" + a.ref;
  if (r.up_to_date) {
    std::printf("%s is up to date at %s (version %s)\n", where.c_str(), r.commit.Hex().c_str(), r.version.c_str());
  } else if (a.dry_run) {
    std::printf("%s -> %s (version %s): would download %s (%s), writing %s; %s received so far\n", where.c_str(),
                r.commit.Hex().c_str(), r.version.c_str(), FormatBytes(r.download_bytes).c_str(),
                r.method == "delta" ? "delta" : "objects, at most", FormatBytes(r.write_bytes).c_str(),
                FormatBytes(r.bytes_received).c_str());
  } else {
    std::printf("%s -> %s (version %s) by %s: %llu objects, %s received\n", where.c_str(), r.commit.Hex().c_str(),
                r.version.c_str(), r.method.c_str(), static_cast<unsigned long long>(r.objects_fetched),
                FormatBytes(r.bytes_received).c_str());
  }
}

}  // namespace

Command RegisterPull(CLI::App& parent, const GlobalOptions& global) {
  auto a = std::make_shared<PullArgs>();
  CLI::App* app = parent.add_subcommand("pull", "Fetch and verify a ref from a remote");
  app->add_option("REMOTE", a->remote, "Remote name (see larch remote add)")->required();
  app->add_option("REF", a->ref, "Ref on the remote")->required();
  app->add_flag("--allow-downgrade", a->allow_downgrade,
                "Accept an older version than the one installed (recorded in history)");
  app->add_flag("--dry-run", a->dry_run, "Verify and report what would be downloaded; change nothing");
  AddSizeOption(app, "--max-rate", a->max_rate, "Limit the download to SIZE bytes per second (500k, 1M; 0: no limit)");
  AddCountOption(app, "--retries", a->retries, kMaxCount, "Attempts in a row without progress before giving up (default 5)");
  AddCountOption(app, "--stall-timeout", a->stall_timeout, kMaxCount, "Seconds below 1 kB/s before a transfer is retried (default 60)");
  app->add_flag("--no-deltas", a->no_deltas, "Fetch objects even when a delta is on offer");
  app->add_flag("--quiet,-q", a->quiet, "No progress output");
  app->add_flag("--json", a->json, "One JSON event per line (progress, then done)");
  return {app, [=, &global]() -> Status {
            LARCH_ASSIGN_OR_RETURN(auto store, OpenStore(global));
            LARCH_ASSIGN_OR_RETURN(trust::RemoteConfig remote, trust::ReadRemote(*store, a->remote));
            LARCH_ASSIGN_OR_RETURN(auto state, OpenTrustState(*store));
            // --json: progress events and the result share stdout, one per line.
            ProgressReporter progress(ProgressReporter::Choose({a->quiet, a->json}), stdout);
            pull::PullOptions options;
            options.ref = a->ref;
            options.allow_downgrade = a->allow_downgrade;
            options.dry_run = a->dry_run;
            options.use_deltas = !a->no_deltas;
            options.fetch.max_rate = a->max_rate;
            options.fetch.retries = a->retries;
            options.fetch.stall_seconds = a->stall_timeout;
            options.progress = progress.Fn();
            Result<pull::PullResult> r = pull::Pull(*store, remote, *state, options);
            progress.Finish();
            if (!r.ok()) return r.status();
            if (a->json) {
              std::printf("%s\n", ResultJson(*a, *r).dump().c_str());
            } else {
              PrintResult(*a, *r);
            }
            return Status::Ok();
          }};
}

}  // namespace larch::cli
