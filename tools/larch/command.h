// File: tools/larch/command.h
// How a verb plugs into the `larch` front end: each cmd_<verb>.cc defines a
// Register<Verb>() that adds a CLI11 subcommand and returns the action to run
// when that subcommand was chosen. main.cc lists them in one table.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "repo/objects/commit.h"
#include "repo/store.h"
#include "repo/trust/trust_state.h"
#include "src/base/result.h"

namespace larch::cli {

struct GlobalOptions {
  std::string repo;  // --repo, default $LARCH_REPO or "."
};

struct Command {
  CLI::App* app;
  std::function<Status()> run;
  // The exit code of a successful run when it is not 0 (admin upgrade
  // --check says "no update" with 77); empty: 0.
  std::function<int()> success_exit_code = nullptr;
};

using RegisterFn = Command (*)(CLI::App& parent, const GlobalOptions& global);

// Opens the store named by --repo.
Result<std::unique_ptr<repo::Store>> OpenStore(const GlobalOptions& global);

// The device's trust state database beside the store (state.db).
Result<std::unique_ptr<trust::TrustState>> OpenTrustState(const repo::Store& store);

// A transform for path options: a relative path becomes absolute (against
// the working directory, as the kernel resolves it; nothing else changes),
// so every message that names the path says which file was meant.
const CLI::Validator& AsAbsolutePath();
std::string AbsolutePathOf(const std::string& path);

// A byte-size option: "1M", "500k", "2G" or plain bytes (src/base/units.h,
// the same forms as larch.conf); a bad or too large value is a usage error
// naming the option.
CLI::Option* AddSizeOption(CLI::App* app, const std::string& name, uint64_t& bytes, const std::string& help);

// A count or index option (or positional): decimal digits only, at most
// `max`, through ParseCount. CLI11's own conversion would take "-1" as
// 2^64-1, "010" as octal 8 and a 64-bit overflow as the largest value.
CLI::Validator CountValidator(uint64_t max);
// The bound of counts and indexes with no smaller natural one (--limit,
// INDEX, --retries): what a 32-bit count holds.
inline constexpr uint64_t kMaxCount = 0xffffffffu;
// The last second of the year 9999: the largest time FormatTime prints in
// four digits, and far beyond any real commit.
inline constexpr uint64_t kMaxTimestamp = 253402300799u;
template <typename T>
CLI::Option* AddCountOption(CLI::App* app, const std::string& name, T& value, uint64_t max, const std::string& help) {
  return app->add_option(name, value, help)->transform(CountValidator(max))->type_name("N");
}

// Output helpers shared by verbs.
std::string FormatTime(uint64_t epoch_seconds);  // "2026-11-21T22:26:20Z"
std::string FormatMode(uint32_t mode);            // "drwxr-xr-x", "-rwsr-xr-x", ...
std::string FormatBytes(uint64_t bytes);          // "12.3 MB"
nlohmann::json CommitToJson(const repo::ObjectId& id, const repo::Commit& commit);
void PrintJson(const nlohmann::json& value);

Command RegisterInit(CLI::App& parent, const GlobalOptions& global);
Command RegisterCommit(CLI::App& parent, const GlobalOptions& global);
Command RegisterLog(CLI::App& parent, const GlobalOptions& global);
Command RegisterShow(CLI::App& parent, const GlobalOptions& global);
Command RegisterLs(CLI::App& parent, const GlobalOptions& global);
Command RegisterCat(CLI::App& parent, const GlobalOptions& global);
Command RegisterRefs(CLI::App& parent, const GlobalOptions& global);
Command RegisterDiff(CLI::App& parent, const GlobalOptions& global);
Command RegisterCheckout(CLI::App& parent, const GlobalOptions& global);
Command RegisterFsck(CLI::App& parent, const GlobalOptions& global);
Command RegisterPrune(CLI::App& parent, const GlobalOptions& global);
Command RegisterDelta(CLI::App& parent, const GlobalOptions& global);
Command RegisterBundle(CLI::App& parent, const GlobalOptions& global);
Command RegisterKey(CLI::App& parent, const GlobalOptions& global);
Command RegisterSign(CLI::App& parent, const GlobalOptions& global);
Command RegisterVerify(CLI::App& parent, const GlobalOptions& global);
Command RegisterRemote(CLI::App& parent, const GlobalOptions& global);
Command RegisterSummary(CLI::App& parent, const GlobalOptions& global);
Command RegisterPull(CLI::App& parent, const GlobalOptions& global);
Command RegisterAdmin(CLI::App& parent, const GlobalOptions& global);
Command RegisterHistory(CLI::App& parent, const GlobalOptions& global);
Command RegisterHawkbit(CLI::App& parent, const GlobalOptions& global);

}  // namespace larch::cli
