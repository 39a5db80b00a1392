// File: initramfs/choose.cc
#include "initramfs/choose.h"

#include <algorithm>

namespace larch::initramfs {

namespace {

using boot::BootState;
using boot::BootStatus;
using boot::DeploymentId;

bool Contains(const std::vector<DeploymentId>& list, const DeploymentId& id) {
  return std::find(list.begin(), list.end(), id) != list.end();
}

// Walks candidates in order, remembering why each is skipped (once).
class Picker {
 public:
  Picker(const BootableFn& bootable, Choice& out) : bootable_(bootable), out_(out) {}

  // Empty when bootable, else why not (checked and noted once per id).
  std::string Check(const DeploymentId& id) {
    for (const auto& [seen, why] : checked_)
      if (seen == id) return why;
    std::string why = bootable_(id);
    if (!why.empty()) out_.notes.push_back(boot::DeploymentPath(id) + " is not bootable: " + why);
    checked_.emplace_back(id, why);
    return why;
  }
  // Adds a candidate in order; true when it is bootable.
  bool Offer(const DeploymentId& id) {
    if (!Check(id).empty()) return false;
    if (!Contains(good_, id)) good_.push_back(id);
    return true;
  }
  void OfferAll(const std::vector<DeploymentId>& ids) {
    for (const DeploymentId& id : ids) Offer(id);
  }
  // The first bootable one becomes the choice, the others alternatives.
  void Finish() {
    if (good_.empty()) return;
    out_.boot = good_[0];
    out_.alternatives.assign(good_.begin() + 1, good_.end());
  }
  bool Any() const { return !good_.empty(); }

 private:
  const BootableFn& bootable_;
  Choice& out_;
  std::vector<std::pair<DeploymentId, std::string>> checked_;
  std::vector<DeploymentId> good_;
};

// The boot-state's deployments, in the order its status prefers them:
// [default, fallback, kept...] or [fallback, kept..., default].
std::vector<DeploymentId> StateOrder(const BootState& s, bool fallback_first) {
  std::vector<DeploymentId> order = s.deployments;
  if (fallback_first && order.size() > 1) std::rotate(order.begin(), order.begin() + 1, order.end());
  return order;
}

BootState FellBack(const BootState& s, const std::string& reason) {
  BootState next = s;
  next.status = BootStatus::kFellBack;
  next.reason = BootStateReason(reason);
  return next;
}

// status=pending: count the try of the default, or fall back.
void Pending(const ChooseInput& in, const BootState& s, Picker& pick, Choice& out) {
  const DeploymentId& def = s.deployments[0];
  bool has_fallback = s.deployments.size() > 1;
  std::string why = pick.Check(def);
  std::string reason;
  if (!why.empty()) {
    reason = "default " + ShortName(def) + " is not bootable (" + why + ")";
  } else if (s.tries_left == 0) {
    reason = "default " + ShortName(def) + " was not marked good within its boot tries";
  }
  if (reason.empty() && in.state_writable) {
    BootState next = s;
    next.tries_left = s.tries_left - 1;
    out.write = next;
    out.notes.push_back("default " + ShortName(def) + " is pending: booting it, " +
                        std::to_string(next.tries_left) + " tries left after this boot");
    pick.OfferAll(StateOrder(s, false));
    return;
  }
  if (reason.empty()) {
    out.notes.push_back("cannot record a boot try of the pending default " + ShortName(def) +
                        (has_fallback ? ": booting the fallback this time" : ", and there is no fallback: booting it uncounted"));
  } else if (has_fallback) {
    out.notes.push_back(reason + ": falling back to " + ShortName(s.deployments[1]));
    if (in.state_writable) out.write = FellBack(s, reason);
  } else {
    out.notes.push_back(reason + ", and there is no fallback");
  }
  pick.OfferAll(StateOrder(s, true));
}

// The boot loader counted the default's tries itself and they ran out
// before any boot was marked good: it booted the fallback and says so.
// Only for the pending default it names, with a fallback to go to: a stale
// or forged argument changes nothing else.
bool LoaderGaveUp(const ChooseInput& in, const BootState& s, Picker& pick, Choice& out) {
  if (in.loader_fallback.empty() || s.status != BootStatus::kPending || s.deployments.size() < 2 ||
      in.loader_fallback != boot::DeploymentName(s.deployments[0]))
    return false;
  std::string reason = "the boot loader gave up on default " + ShortName(s.deployments[0]) +
                       ": its boot-loader tries ran out before a boot was marked good (its kernel or initramfs did not come up)";
  out.notes.push_back(reason + ": booting the fallback " + ShortName(s.deployments[1]));
  if (in.state_writable) out.write = FellBack(s, reason);
  pick.OfferAll(StateOrder(s, true));
  return true;
}

// status=good or fell-back: no counting; a good default that is gone is
// recorded as a fallback so `larch admin status` shows it.
void Settled(const ChooseInput& in, const BootState& s, Picker& pick, Choice& out) {
  bool fell_back = s.status == BootStatus::kFellBack;
  if (fell_back) {
    out.notes.push_back("the last boot fell back (" + s.reason + "): booting the fallback " +
                        ShortName(s.deployments[1]));
  } else if (std::string why = pick.Check(s.deployments[0]); !why.empty() && s.deployments.size() > 1) {
    std::string reason = "default " + ShortName(s.deployments[0]) + " is not bootable (" + why + ")";
    out.notes.push_back(reason + ": falling back to " + ShortName(s.deployments[1]));
    if (in.state_writable) out.write = FellBack(s, reason);
    fell_back = true;
  }
  pick.OfferAll(StateOrder(s, fell_back));
}

}  // namespace

std::string ShortName(const DeploymentId& id) { return id.commit.substr(0, 12) + "." + std::to_string(id.serial); }

std::string BootStateReason(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (out.size() == boot::kMaxReason) break;
    out += (c >= 0x20 && c <= 0x7e) ? c : '?';
  }
  return out.empty() ? "unknown" : out;
}

Choice Choose(const ChooseInput& in, const BootableFn& bootable) {
  Choice out;
  Picker pick(bootable, out);
  std::optional<DeploymentId> requested = in.cmdline.value;
  if (!in.cmdline.error.empty()) out.notes.push_back(in.cmdline.error + ": ignoring it");
  else if (!requested) out.notes.push_back("no larch= on the kernel command line");
  if (!in.state) out.notes.push_back("boot-state unusable: " + in.state_error);

  if (in.state) {
    const BootState& s = *in.state;
    const bool decided = LoaderGaveUp(in, s, pick, out);
    if (!decided && requested && *requested != s.deployments[0]) {
      if (pick.Offer(*requested)) {
        out.notes.push_back("larch= names " + ShortName(*requested) +
                            ", not the default: booting it as chosen, boot-state unchanged");
        pick.OfferAll(StateOrder(s, s.status == BootStatus::kFellBack));
        pick.OfferAll(in.on_disk);
        pick.Finish();
        return out;
      }
      out.notes.push_back("following the boot-state instead of larch=");
    }
    if (!decided && s.status == BootStatus::kPending) Pending(in, s, pick, out);
    else if (!decided) Settled(in, s, pick, out);
  } else if (requested && pick.Offer(*requested)) {
    out.notes.push_back("booting larch= " + ShortName(*requested) + " without boot counting");
  }
  bool had_any = pick.Any();
  if (!had_any && !in.on_disk.empty()) out.notes.push_back("looking for any bootable deployment on disk, newest first");
  pick.OfferAll(in.on_disk);
  pick.Finish();
  if (!had_any && out.boot) out.notes.push_back("booting " + boot::DeploymentPath(*out.boot) + ", found on disk");
  if (!out.boot) {
    out.notes.push_back("no bootable deployment");
    out.write.reset();
  }
  return out;
}

}  // namespace larch::initramfs
