// File: deploy/sysroot.cc
#include "deploy/sysroot.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/file.h>

#include <algorithm>
#include <cstdlib>

#include "src/bootstate/boot_state.h"
#include "src/fs/atomic.h"

namespace larch::deploy {

namespace {

constexpr char kLockName[] = "lock";

Result<std::string> RealPath(const std::string& path) {
  char resolved[PATH_MAX];
  if (::realpath(path.c_str(), resolved) == nullptr) return Status::FromErrno(errno, "sysroot " + path);
  return std::string(resolved);
}

// The bare store; a directory left by a crash before its config was written
// holds nothing of value and is made again.
Status EnsureStore(fs::Fs& fs, int ostree_fd, const std::string& real) {
  Result<UniqueFd> repo = fs.OpenDirPath(ostree_fd, "repo");
  if (repo.ok() && fs.Stat(repo->get(), "config").ok()) return Status::Ok();
  LARCH_RETURN_IF_ERROR(fs::RemoveTree(fs, ostree_fd, "repo"));
  // Sealing costs nothing where the filesystem cannot, and where it can,
  // it is what makes a changed /usr file fail to read (docs/verity.md).
  return repo::Store::Create(fs, real + "/ostree/repo",
                             repo::StoreConfig{repo::StoreMode::kBare, 3, 0, repo::VerityMode::kOpportunistic});
}

Status EnsureLockFile(fs::Fs& fs, int ostree_fd) {
  Result<UniqueFd> fd = fs.CreateExclusive(ostree_fd, kLockName, 0600);
  if (fd.ok() || fd.status().IsAlreadyExists()) return Status::Ok();
  return fd.status();
}

// An empty boot configuration (no deployments) in loader.0, and the
// symlinks naming it: the last step of InitFs.
Status EnsureBootConfig(fs::Fs& fs, int root_fd, int ostree_fd) {
  LARCH_ASSIGN_OR_RETURN(UniqueFd boot, fs.OpenDirPath(root_fd, "boot"));
  LARCH_RETURN_IF_ERROR(fs::EnsureDir(fs, boot.get(), "larch"));
  if (fs.Stat(boot.get(), kLoaderLink).ok()) return Status::Ok();
  LARCH_RETURN_IF_ERROR(fs::RemoveTree(fs, boot.get(), "loader.0"));
  LARCH_RETURN_IF_ERROR(fs.Mkdir(boot.get(), "loader.0", 0755));
  LARCH_ASSIGN_OR_RETURN(UniqueFd loader, fs.OpenDirPath(boot.get(), "loader.0"));
  LARCH_RETURN_IF_ERROR(fs.Mkdir(loader.get(), "entries", 0755));
  // Everything above is durable before the symlinks name it.
  LARCH_RETURN_IF_ERROR(fs.SyncFs(boot.get()));
  LARCH_RETURN_IF_ERROR(fs.SyncFs(ostree_fd));
  if (!fs.Stat(ostree_fd, "boot").ok())
    LARCH_RETURN_IF_ERROR(fs::SymlinkAtomic(fs, ostree_fd, "../boot/loader", "boot"));
  return fs::SymlinkAtomic(fs, boot.get(), "loader.0", kLoaderLink);
}

}  // namespace

Status Sysroot::InitFs(fs::Fs& fs, const std::string& path) {
  LARCH_ASSIGN_OR_RETURN(std::string real, RealPath(path));
  LARCH_ASSIGN_OR_RETURN(UniqueFd root, fs.OpenDirPath(AT_FDCWD, real));
  for (const char* dir : {"ostree", "boot"}) LARCH_RETURN_IF_ERROR(fs::EnsureDir(fs, root.get(), dir));
  LARCH_ASSIGN_OR_RETURN(UniqueFd ostree, fs.OpenDirPath(root.get(), "ostree"));
  LARCH_RETURN_IF_ERROR(fs::EnsureDir(fs, ostree.get(), "deploy"));
  LARCH_RETURN_IF_ERROR(EnsureLockFile(fs, ostree.get()));
  LARCH_RETURN_IF_ERROR(EnsureStore(fs, ostree.get(), real));
  return EnsureBootConfig(fs, root.get(), ostree.get()).WithContext("sysroot " + path);
}

Result<std::unique_ptr<Sysroot>> Sysroot::Open(fs::Fs& fs, const std::string& path) {
  LARCH_ASSIGN_OR_RETURN(std::string real, RealPath(path));
  std::unique_ptr<Sysroot> s(new Sysroot(fs, real));
  LARCH_ASSIGN_OR_RETURN(s->root_, fs.OpenDirPath(AT_FDCWD, real));
  Result<UniqueFd> ostree = fs.OpenDirPath(s->root_.get(), "ostree");
  Result<UniqueFd> boot = fs.OpenDirPath(s->root_.get(), "boot");
  Result<struct stat> link = boot.ok() ? fs.Stat(boot->get(), kLoaderLink) : Result<struct stat>(boot.status());
  if (!ostree.ok() || !link.ok() || !S_ISLNK(link->st_mode))
    return Status::InvalidArgument(path + " is not a larch sysroot (no ostree/ or boot/loader; see larch admin init-fs)");
  s->ostree_ = std::move(ostree).value();
  s->boot_ = std::move(boot).value();
  LARCH_ASSIGN_OR_RETURN(s->store_, repo::Store::Open(fs, real + "/ostree/repo"));
  // larch.conf's verity= governs the store for every operation on this
  // sysroot. A larch.conf that does not parse is reported by the operation
  // that needs its settings, not by every status query.
  if (Result<SysrootConfig> config = s->ReadConfig(); config.ok() && config->verity)
    s->store_->OverrideVerityMode(*config->verity);
  LARCH_ASSIGN_OR_RETURN(struct stat root_st, fs.FStat(s->root_.get()));
  LARCH_ASSIGN_OR_RETURN(struct stat boot_st, fs.FStat(s->boot_.get()));
  LARCH_ASSIGN_OR_RETURN(struct stat ostree_st, fs.FStat(s->ostree_.get()));
  s->boot_separate_ = root_st.st_dev != boot_st.st_dev;
  s->boot_needs_sync_ = ostree_st.st_dev != boot_st.st_dev;
  return s;
}

Status Sysroot::OsInit(const std::string& os) {
  if (!boot::IsValidOsName(os))
    return Status::InvalidArgument("invalid OS name '" + os + "': use A-Z a-z 0-9 _ . - and do not start with . or -");
  LARCH_ASSIGN_OR_RETURN(UniqueFd deploy, fs_->OpenDirPath(ostree_.get(), "deploy"));
  LARCH_RETURN_IF_ERROR(fs::EnsureDir(*fs_, deploy.get(), os));
  LARCH_ASSIGN_OR_RETURN(UniqueFd osdir, fs_->OpenDirPath(deploy.get(), os));
  for (const char* dir : {"deploy", "var"}) LARCH_RETURN_IF_ERROR(fs::EnsureDir(*fs_, osdir.get(), dir));
  // Where the refs deploy/<os>/<name> of its deployments live (docs/store.md,
  // refs/heads/<ref>): made once here, so that a deploy that fails and
  // deletes its ref leaves no empty directory behind.
  LARCH_ASSIGN_OR_RETURN(UniqueFd heads, fs_->OpenDirPath(store_->root_fd(), "refs/heads"));
  LARCH_RETURN_IF_ERROR(fs::EnsureDir(*fs_, heads.get(), "deploy"));
  LARCH_ASSIGN_OR_RETURN(UniqueFd deploy_refs, fs_->OpenDirPath(heads.get(), "deploy"));
  LARCH_RETURN_IF_ERROR(fs::EnsureDir(*fs_, deploy_refs.get(), os));
  // The OS exists for later verbs once its directories survive a crash.
  LARCH_RETURN_IF_ERROR(fs_->Fsync(osdir.get()));
  return fs_->Fsync(deploy.get());
}

Result<UniqueFd> Sysroot::OpenDeployDir(const std::string& os) const {
  if (!boot::IsValidOsName(os)) return Status::InvalidArgument("invalid OS name '" + os + "'");
  Result<UniqueFd> dir = fs_->OpenDirPath(ostree_.get(), "deploy/" + os + "/deploy");
  if (!dir.ok() && dir.status().IsNotFound())
    return Status::NotFound("no OS named " + os + " in " + path_ + " (see larch admin os-init)");
  return dir;
}

Result<std::vector<std::string>> Sysroot::ListOses() const {
  LARCH_ASSIGN_OR_RETURN(UniqueFd deploy, fs_->OpenDirPath(ostree_.get(), "deploy"));
  LARCH_ASSIGN_OR_RETURN(std::vector<fs::DirEntry> entries, fs_->ReadDir(deploy.get()));
  std::vector<std::string> oses;
  for (const fs::DirEntry& e : entries)
    if (boot::IsValidOsName(e.name) && e.type == DT_DIR) oses.push_back(e.name);
  std::sort(oses.begin(), oses.end());
  return oses;
}

Result<SysrootConfig> Sysroot::ReadConfig() const { return ReadSysrootConfig(*fs_, ostree_.get()); }

Result<std::unique_ptr<trust::TrustState>> Sysroot::OpenState() const {
  return trust::TrustState::Open(trust::TrustState::DefaultPath(*store_));
}

Result<UniqueFd> Sysroot::Lock() const {
  LARCH_ASSIGN_OR_RETURN(UniqueFd fd, fs_->OpenRead(ostree_.get(), kLockName));
  if (::flock(fd.get(), LOCK_EX) != 0) return Status::FromErrno(errno, "locking sysroot " + path_);
  return fd;
}

Status Sysroot::SyncAll() const {
  LARCH_RETURN_IF_ERROR(fs_->SyncFs(ostree_.get()));
  return boot_needs_sync_ ? fs_->SyncFs(boot_.get()) : Status::Ok();
}

}  // namespace larch::deploy
