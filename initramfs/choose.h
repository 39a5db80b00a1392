// File: initramfs/choose.h
//
// Which deployment to boot, and what to write to the boot-state first:
// pure logic, no I/O (the caller says which deployments are bootable).
// The rules (docs/boot.md, "Choosing"):
//
//  - status=pending and the boot loader says it gave up on the default
//    (larch.loader-fallback= naming it: U-Boot's own counter ran out, so
//    the default's kernel or initramfs never got this far): status
//    fell-back is written with that reason, and the fallback boots.
//  - `larch=` names a bootable deployment other than the default: boot it
//    as chosen in the boot menu; the boot-state is left alone.
//  - status=good: the default. status=fell-back: the fallback.
//  - status=pending: tries-left > 0 is written back decremented, then the
//    default boots; at 0 (or when the default is not bootable) status
//    fell-back is written with the reason, and the fallback boots.
//  - a missing, malformed or unbootable `larch=` and a missing or corrupt
//    boot-state each add a note and fall through to the next source: the
//    boot-state, then `larch=` (without counting), then any bootable
//    deployment found on disk (newest first).
//
// Whatever happens, the first bootable deployment in that order is chosen:
// the helper never refuses to boot while something bootable exists.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "src/bootstate/boot_state.h"

namespace larch::initramfs {

struct ChooseInput {
  // From the kernel command line (boot::DeploymentFromCmdline): a value, an
  // error (malformed), or neither (absent).
  boot::Decoded<boot::DeploymentId> cmdline;
  // The boot-state, or why there is none usable ("missing", decode error).
  std::optional<boot::BootState> state;
  std::string state_error;
  // false when the boot-state cannot be written (read-only, I/O error): a
  // pending default is then not booted, since its try could not be counted.
  bool state_writable = true;
  // larch.loader-fallback=: the name (<commit>.<serial>) of the default the
  // boot loader gave up on; "" when absent.
  std::string loader_fallback;
  // Deployments found on disk, newest first (last resort).
  std::vector<boot::DeploymentId> on_disk;
};

// Empty when the deployment can be booted, else why not.
using BootableFn = std::function<std::string(const boot::DeploymentId&)>;

struct Choice {
  std::optional<boot::DeploymentId> boot;  // nullopt: nothing bootable
  // Other bootable deployments, in order, if mounting `boot` fails.
  std::vector<boot::DeploymentId> alternatives;
  // Write this before switching root (durably), when set.
  std::optional<boot::BootState> write;
  // What was decided and why, one line each, for the console.
  std::vector<std::string> notes;
};

Choice Choose(const ChooseInput& in, const BootableFn& bootable);

// A reason fit for the boot-state (printable ASCII, at most 200 bytes).
std::string BootStateReason(const std::string& text);

// "<first 12 hex>.<serial>": short enough for messages and reasons.
std::string ShortName(const boot::DeploymentId& id);

}  // namespace larch::initramfs
