// File: tools/larch/main.cc
// `larch`: the one command-line front end. Verbs live one per file
// (cmd_<verb>.cc) and are listed in kCommands; errors become exit codes in
// exit_codes.h only.
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <vector>

#include "src/base/heap_policy.h"
#include "tools/larch/command.h"
#include "tools/larch/exit_codes.h"
#include "tools/larch/usage.h"

namespace larch::cli {
namespace {

constexpr RegisterFn kCommands[] = {
    RegisterInit, RegisterCommit, RegisterLog,      RegisterShow,
    RegisterLs,   RegisterCat,    RegisterRefs,     RegisterDiff,
    RegisterCheckout, RegisterFsck, RegisterPrune,
    RegisterDelta, RegisterBundle,
    RegisterKey,  RegisterSign,   RegisterVerify,   RegisterRemote,
    RegisterSummary, RegisterPull, RegisterHistory,
    RegisterAdmin, RegisterHawkbit,
};

int Main(int argc, char** argv) {
  CLI::App app{"larch: a content-addressed OS updater for embedded Linux fleets", "larch"};
  app.set_version_flag("--version", "larch " LARCH_VERSION);
  app.require_subcommand(1);
  app.fallthrough();  // --repo may follow the verb
  GlobalOptions global;
  const char* env_repo = std::getenv("LARCH_REPO");
  global.repo = env_repo && *env_repo ? env_repo : ".";
  app.add_option("--repo", global.repo, "Path of the object store (default: $LARCH_REPO or .)");
  std::vector<Command> commands;
  for (RegisterFn reg : kCommands) commands.push_back(reg(app, global));
  if (std::optional<int> code = CheckVerbs(app, argc, argv)) return *code;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return ReportParseError(app, e);
  }
  for (const Command& cmd : commands) {
    if (!cmd.app->parsed()) continue;
    Status s = cmd.run();
    if (s.ok()) return cmd.success_exit_code ? cmd.success_exit_code() : kExitOk;
    std::fprintf(stderr, "larch %s: error: %s\n", ChosenVerb(app).c_str(), s.message().c_str());
    return ExitCodeFor(s);
  }
  return kExitUsage;
}

}  // namespace
}  // namespace larch::cli

int main(int argc, char** argv) {
  larch::SetDeviceHeapPolicy();
  return larch::cli::Main(argc, argv);
}
