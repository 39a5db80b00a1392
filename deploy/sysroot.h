// File: deploy/sysroot.h
//
// Sysroot: the device's root filesystem as Larch lays it out (docs/deploy.md):
//
//   <sysroot>/ostree/repo/                        the bare store (state.db inside)
//   <sysroot>/ostree/larch.conf                   SysrootConfig (optional)
//   <sysroot>/ostree/lock                         flock'ed by every admin verb that writes
//   <sysroot>/ostree/boot -> ../boot/loader       where the boot-time helper finds boot-state
//   <sysroot>/ostree/deploy/<os>/var/             shared by the OS's deployments, never updated
//   <sysroot>/ostree/deploy/<os>/deploy/<commit>.<serial>/         a deployment
//   <sysroot>/ostree/deploy/<os>/deploy/<commit>.<serial>.origin   what it follows
//   <sysroot>/boot/loader -> loader.0|loader.1    THE boot configuration (boot_config.h)
//   <sysroot>/boot/larch/<os>-<bootcsum>/         kernel + initramfs, once per content
//
// Every write goes through the fs::Fs given to Open, so crash tests can
// inject failures anywhere.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "deploy/sysroot_config.h"
#include "repo/store.h"
#include "repo/trust/trust_state.h"
#include "src/base/unique_fd.h"
#include "src/fs/fs.h"

namespace larch::deploy {

class Sysroot {
 public:
  // Lays out an empty sysroot at `path` (a directory that exists). Safe to
  // run again: it completes what is missing and changes nothing else. The
  // boot configuration's symlink comes last, so a crash leaves a directory
  // Open() refuses or a complete sysroot.
  static Status InitFs(fs::Fs& fs, const std::string& path);
  // kInvalidArgument "X is not a larch sysroot" when the layout is missing.
  static Result<std::unique_ptr<Sysroot>> Open(fs::Fs& fs, const std::string& path);

  // Creates ostree/deploy/<os>/{deploy,var} (idempotent).
  Status OsInit(const std::string& os);

  fs::Fs& fs() const { return *fs_; }
  const std::string& path() const { return path_; }
  int root_fd() const { return root_.get(); }
  int ostree_fd() const { return ostree_.get(); }
  int boot_fd() const { return boot_.get(); }
  repo::Store& store() const { return *store_; }
  // True when <sysroot>/boot is a filesystem of its own (a boot partition):
  // then boot entries name files relative to it, and it needs its own sync.
  bool boot_is_separate() const { return boot_separate_; }
  // True when /boot and the deployments share a filesystem (hard links work).
  bool boot_shares_fs() const { return !boot_needs_sync_; }

  // ostree/deploy/<os>/deploy; kNotFound naming `os admin os-init` if missing.
  Result<UniqueFd> OpenDeployDir(const std::string& os) const;
  // Every OS that has been os-init'ed, sorted.
  Result<std::vector<std::string>> ListOses() const;
  Result<SysrootConfig> ReadConfig() const;
  // The device's state database (<store>/state.db) with the deployment tables.
  Result<std::unique_ptr<trust::TrustState>> OpenState() const;
  // Exclusive lock for writers, held until the descriptor closes.
  Result<UniqueFd> Lock() const;
  // Syncs the filesystems holding the deployments and /boot (once each).
  Status SyncAll() const;

 private:
  Sysroot(fs::Fs& fs, std::string path) : fs_(&fs), path_(std::move(path)) {}

  fs::Fs* fs_;
  std::string path_;
  UniqueFd root_, ostree_, boot_;
  std::unique_ptr<repo::Store> store_;
  bool boot_separate_ = false;    // another filesystem than the sysroot's root
  bool boot_needs_sync_ = false;  // another filesystem than the deployments'
};

inline constexpr char kLoaderLink[] = "loader";

}  // namespace larch::deploy
