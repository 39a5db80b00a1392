// File: tools/larch/cmd_pull.cc
// `larch pull REMOTE REF`: fetch and verify a ref from a remote into
// <remote>:<ref> (repo/pull/pull.h), recording the trust state.
#include <cstdio>

#include "repo/pull/pull.h"
#include "tools/larch/command.h"

namespace larch::cli {

Command RegisterPull(CLI::App& parent, const GlobalOptions& global) {
  struct Args {
    std::string remote, ref;
    bool allow_downgrade = false, json = false;
  };
  auto a = std::make_shared<Args>();
  CLI::App* app = parent.add_subcommand("pull", "Fetch and verify a ref from a remote");
  app->add_option("REMOTE", a->remote, "Remote name (see larch remote add)")->required();
  app->add_option("REF", a->ref, "Ref on the remote")->required();
  app->add_flag("--allow-downgrade", a->allow_downgrade,
                "Accept an older version than the one installed (recorded in history)");
  app->add_flag("--json", a->json, "Machine-readable result");
  return {app, [=, &global]() -> Status {
            LARCH_ASSIGN_OR_RETURN(auto store, OpenStore(global));
            LARCH_ASSIGN_OR_RETURN(trust::RemoteConfig remote, trust::ReadRemote(*store, a->remote));
            LARCH_ASSIGN_OR_RETURN(auto state, OpenTrustState(*store));
            pull::PullOptions options;
            options.ref = a->ref;
            options.allow_downgrade = a->allow_downgrade;
            LARCH_ASSIGN_OR_RETURN(pull::PullResult r, pull::Pull(*store, remote, *state, options));
            if (a->json) {
              PrintJson({{"remote", a->remote}, {"ref", a->ref}, {"commit", r.commit.Hex()},
                         {"previous", r.previous ? nlohmann::json(r.previous->Hex()) : nlohmann::json(nullptr)},
                         {"version", r.version}, {"up_to_date", r.up_to_date},
                         {"objects_fetched", r.objects_fetched}, {"bytes_received", r.bytes_received}});
            } else if (r.up_to_date) {
              std::printf("%s:%s is up to date at %s (version %s)\n", a->remote.c_str(), a->ref.c_str(),
                          r.commit.Hex().c_str(), r.version.c_str());
            } else {
              std::printf("%s:%s -> %s (version %s): %llu objects, %s received\n", a->remote.c_str(),
                          a->ref.c_str(), r.commit.Hex().c_str(), r.version.c_str(),
                          static_cast<unsigned long long>(r.objects_fetched), FormatBytes(r.bytes_received).c_str());
            }
            return Status::Ok();
          }};
}

}  // namespace larch::cli
