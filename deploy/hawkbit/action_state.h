// File: deploy/hawkbit/action_state.h
//
// Where each hawkBit action stands on this device: the hawkbit_actions
// table of the state database (schema step 4, docs/state-database.md).
// The row is written before each step that cannot be taken back, so the
// client picks up after a reboot or a crash where it was:
//   downloaded  the release is in the store (ref written), not deployed:
//               waiting for the maintenance window
//   rebooting   deployed as `deployment`; the outcome is the first boot
//               recorded after boot_mark (boot_outcomes id): good there is
//               success, a fallback is failure
//   finished    the outcome is known (result, detail); `reported` once
//               the server took the closing feedback
//   canceled    the server cancelled it before the deploy
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "src/base/result.h"
#include "src/sqlite/database.h"

namespace larch::hawkbit {

enum class Phase { kDownloaded, kRebooting, kFinished, kCanceled };

struct ActionRecord {
  std::string action_id;
  Phase phase = Phase::kDownloaded;
  std::string os;
  std::string refspec;     // remote:ref holding the release
  std::string commit;      // hex; "" when not known (refused early)
  std::string version;
  std::string deployment;  // "<commit>.<serial>" once deployed
  int64_t boot_mark = 0;
  std::string result;      // "", success, failure, downloaded
  std::string detail;
  bool reported = false;
  uint64_t updated = 0;    // 0: now
  bool operator==(const ActionRecord&) const = default;
};

std::string_view PhaseName(Phase phase);

// Inserts or replaces the action's row.
Status PutAction(sqlite::Database& db, const ActionRecord& record);
Result<std::optional<ActionRecord>> GetAction(sqlite::Database& db, const std::string& action_id);
// Rows in a phase, oldest update first.
Result<std::vector<ActionRecord>> ActionsInPhase(sqlite::Database& db, Phase phase);
// Finished rows whose closing feedback the server has not taken yet.
Result<std::vector<ActionRecord>> UnreportedActions(sqlite::Database& db);

}  // namespace larch::hawkbit
