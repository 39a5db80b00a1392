// File: deploy/update_offer.h
//
// The update an unattended upgrade found but did not deploy, per OS
// (state database, schema step 5): withheld by the publisher's rollout
// control (staged beyond this device, halted, recalled), downloaded only
// (--download-only), or deferred (outside the update window, or a `check`
// hook said not now). `larch admin status` shows it without asking the
// remote; an upgrade that deploys, or finds nothing new, removes it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "src/base/result.h"
#include "src/sqlite/database.h"

namespace larch::deploy {

struct UpdateOffer {
  std::string os;
  std::string refspec;  // remote:ref
  std::string commit;   // hex
  std::string version;
  std::string state;    // withheld, downloaded or deferred
  std::string reason;
  uint64_t time = 0;    // 0: now
  bool operator==(const UpdateOffer&) const = default;
};

Status PutUpdateOffer(sqlite::Database& db, const UpdateOffer& offer);
Result<std::optional<UpdateOffer>> GetUpdateOffer(sqlite::Database& db, const std::string& os);
Status ClearUpdateOffer(sqlite::Database& db, const std::string& os);

}  // namespace larch::deploy
