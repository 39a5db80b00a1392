// File: deploy/deploy_history.h
//
// The deployment tables of the device's state database (<store>/state.db,
// schema step 2 in repo/trust/trust_state.cc; docs/deploy.md, "History"):
//   deploy_history  every admin verb that changed the deployments, and every
//                   deploy or upgrade that was refused or failed: who, when,
//                   from which default to which, outcome, detail (e.g. /etc
//                   merge conflicts)
//   boot_outcomes   what `larch admin boot-ok` found: the booted deployment
//                   was good, or the boot-time helper had fallen back (why)
// Newest first by id (the recording order), never by time: a device clock
// may step backwards.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "src/base/result.h"
#include "src/sqlite/database.h"

namespace larch::deploy {

struct DeployEvent {
  int64_t id = 0;     // assigned when recorded
  uint64_t time = 0;  // 0: now
  std::string user;   // empty: the login name of the effective user
  std::string action;  // deploy, upgrade, rollback, undeploy, set-default, pin, unpin, cleanup
  std::string os;
  std::string from_deployment;  // "<commit>.<serial>" of the default before; "" when none
  std::string to_deployment;    // the default after; "" when none
  std::string from_version;
  std::string to_version;
  std::string origin;   // "remote:ref", "ref" or ""
  std::string outcome;  // ok, refused or failed
  std::string detail;
  bool operator==(const DeployEvent&) const = default;
};

struct BootOutcome {
  int64_t id = 0;
  uint64_t time = 0;       // 0: now
  std::string deployment;  // its path, /ostree/deploy/<os>/deploy/<commit>.<serial>
  std::string outcome;     // good or fell-back
  std::string detail;
  bool operator==(const BootOutcome&) const = default;
};

// A record's time for the database: `time`, or now when it is 0.
int64_t TimeOrNow(uint64_t time);

Status RecordDeployEvent(sqlite::Database& db, const DeployEvent& event);
Result<std::vector<DeployEvent>> ReadDeployHistory(sqlite::Database& db, size_t limit);
Status RecordBootOutcome(sqlite::Database& db, const BootOutcome& outcome);
Result<std::vector<BootOutcome>> ReadBootOutcomes(sqlite::Database& db, size_t limit);

}  // namespace larch::deploy
