// File: initramfs/verify_usr.cc
#include "initramfs/verify_usr.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fsverity.h>
#include <sodium.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <set>
#include <thread>

#include "initramfs/log.h"
#include "repo/objects/commit.h"
#include "repo/objects/commitmeta.h"
#include "repo/objects/dirtree.h"
#include "repo/objects/signed_envelope.h"
#include "repo/objects/verity_list.h"
#include "src/base/unique_fd.h"

namespace larch::initramfs {

namespace {

using repo::ObjectId;

// Metadata objects are small; a bigger one is not ours.
constexpr size_t kMaxObjectBytes = 64u << 20;

std::string Short(const ObjectId& id) { return id.Hex().substr(0, 12); }

int64_t NowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

class UsrVerifier {
 public:
  UsrVerifier(int objects_fd, UsrCheckStats* stats) : objects_(objects_fd), stats_(stats) {}

  // Reads objects/xx/<rest>.<type>; content-addressed types must hash to
  // their id. Empty on success.
  std::string ReadObject(const ObjectId& id, const char* type, bool content_addressed, Bytes* out) {
    const std::string hex = id.Hex();
    const std::string rel = hex.substr(0, 2) + "/" + hex.substr(2) + "." + type;
    UniqueFd fd(openat(objects_, rel.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    if (!fd.valid()) return "objects/" + rel + ": " + ErrnoText(errno);
    struct stat st;
    if (fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || static_cast<uint64_t>(st.st_size) > kMaxObjectBytes)
      return "objects/" + rel + ": not a readable object";
    out->resize(static_cast<size_t>(st.st_size));
    size_t done = 0;
    while (done < out->size()) {
      ssize_t n = read(fd.get(), out->data() + done, out->size() - done);
      if (n <= 0) return "objects/" + rel + ": " + (n < 0 ? ErrnoText(errno) : "truncated");
      done += static_cast<size_t>(n);
    }
    if (content_addressed) {
      std::array<uint8_t, 32> digest;
      crypto_hash_sha256(digest.data(), out->data(), out->size());
      if (digest != id.array()) return "objects/" + rel + " does not match its id";
    }
    return "";
  }

  std::string CheckSignature(const ObjectId& commit, const std::vector<BootKey>& keys) {
    Bytes bytes;
    if (std::string e = ReadObject(commit, "commitmeta", false, &bytes); !e.empty())
      return "commit " + Short(commit) + " is not signed (" + e + ")";
    Result<repo::CommitMeta> meta = repo::DecodeCommitMeta(bytes);
    if (!meta.ok()) return "commit " + Short(commit) + ": its commitmeta does not decode: " + meta.status().message();
    const Bytes msg = repo::SigningMessage(repo::SignedKind::kCommit, commit.array());
    for (const repo::CommitSignature& sig : meta->signatures) {
      for (const BootKey& key : keys) {
        if (key.id == sig.key_id &&
            crypto_sign_ed25519_verify_detached(sig.signature.data(), msg.data(), msg.size(), key.public_key.data()) == 0)
          return "";
      }
    }
    return "commit " + Short(commit) + " has no valid signature by a key of the initramfs keyring";
  }

  std::string LoadList(const repo::Commit& commit) {
    Result<std::optional<ObjectId>> list_id = repo::VerityListOf(commit);
    if (!list_id.ok()) return list_id.status().message();
    if (!*list_id) return "the commit has no verity list (not verifiable)";
    Bytes bytes;
    if (std::string e = ReadObject(**list_id, "veritylist", true, &bytes); !e.empty()) return e;
    Result<repo::VerityList> list = repo::DecodeVerityList(bytes);
    if (!list.ok()) return "its verity list does not decode: " + list.status().message();
    list_ = std::move(list).value();
    return "";
  }

  // The directory `dirfd` (at `path`, e.g. "usr/lib") against dirtree
  // `tree`, plus `extra` when given (a directory deploy moved in).
  std::string CheckDir(const ObjectId& tree_id, int dirfd, const std::string& path,
                       const repo::DirTreeDir* extra = nullptr) {
    ++stats_->dirs;
    Bytes bytes;
    if (std::string e = ReadObject(tree_id, "dirtree", true, &bytes); !e.empty()) return e;
    Result<repo::DirTree> tree = repo::DecodeDirTree(bytes);
    if (!tree.ok()) return path + ": its dirtree does not decode: " + tree.status().message();
    if (extra) tree->dirs.push_back(*extra);
    if (std::string e = SameNames(*tree, dirfd, path); !e.empty()) return e;
    for (const repo::DirTreeFile& f : tree->files)
      if (std::string e = CheckFile(f, dirfd, path + "/" + f.name); !e.empty()) return e;
    for (const repo::DirTreeDir& d : tree->dirs) {
      UniqueFd sub(openat(dirfd, d.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub.valid()) return path + "/" + d.name + ": not a directory (" + ErrnoText(errno) + ")";
      if (std::string e = CheckDir(d.tree, sub.get(), path + "/" + d.name); !e.empty()) return e;
    }
    return "";
  }

 private:
  // Nothing added and nothing missing: the names on disk are the tree's.
  static std::string SameNames(const repo::DirTree& tree, int dirfd, const std::string& path) {
    std::set<std::string> expected;
    for (const auto& f : tree.files) expected.insert(f.name);
    for (const auto& d : tree.dirs) expected.insert(d.name);
    int copy = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
    DIR* d = copy < 0 ? nullptr : fdopendir(copy);
    if (d == nullptr) return path + ": cannot list (" + ErrnoText(errno) + ")";
    std::string error;
    size_t seen = 0;
    while (struct dirent* e = readdir(d)) {
      if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
      if (!expected.contains(e->d_name)) {
        error = path + "/" + e->d_name + ": not in the signed commit";
        break;
      }
      ++seen;
    }
    closedir(d);
    if (error.empty() && seen != expected.size()) {
      for (const std::string& name : expected)
        if (faccessat(dirfd, name.c_str(), F_OK, AT_SYMLINK_NOFOLLOW) != 0) return path + "/" + name + ": missing";
    }
    return error;
  }

  // A symlink is checked here; a regular file is queued for MeasureAll.
  std::string CheckFile(const repo::DirTreeFile& f, int dirfd, const std::string& path) {
    const repo::VerityEntry* entry = list_.Find(f.file);
    if (entry == nullptr) {
      // Not in the list: the commit says it is a symlink.
      struct stat st;
      if (fstatat(dirfd, f.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISLNK(st.st_mode))
        return path + ": a regular file where the signed commit has a symlink";
      ++stats_->symlinks;
      return "";
    }
    files_.push_back({path, entry});
    return "";
  }

 public:
  // Measures every queued file on a few threads: cold, each open reads the
  // file's fs-verity descriptor from the disk, and several reads in flight
  // beat one after another. The first problem in walk order is reported.
  std::string MeasureAll(int usr_fd) {
    std::vector<std::string> errors(files_.size());
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t i; (i = next.fetch_add(1)) < files_.size();) errors[i] = Measure(usr_fd, files_[i]);
    };
    unsigned n = std::clamp(std::thread::hardware_concurrency(), 4u, 16u);
    std::vector<std::thread> threads;
    for (unsigned t = 1; t < n && t < files_.size(); ++t) threads.emplace_back(work);
    work();
    for (std::thread& t : threads) t.join();
    for (const std::string& e : errors)
      if (!e.empty()) return e;
    stats_->files = files_.size();
    return "";
  }

 private:
  struct QueuedFile {
    std::string path;  // "usr/bin/ls": below usr_fd without its first component
    const repo::VerityEntry* entry;
  };

  static std::string Measure(int usr_fd, const QueuedFile& f) {
    const std::string& path = f.path;
    const char* rel = path.c_str() + 4;  // past "usr/"; every directory on the way was opened O_NOFOLLOW
    UniqueFd fd(openat(usr_fd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    if (!fd.valid() && errno == ELOOP) return path + ": a symlink where the signed commit has a regular file";
    if (!fd.valid()) return path + ": " + ErrnoText(errno);
    alignas(struct fsverity_digest) uint8_t buf[sizeof(struct fsverity_digest) + 64] = {};
    auto* arg = reinterpret_cast<struct fsverity_digest*>(buf);
    arg->digest_size = 64;
    if (ioctl(fd.get(), FS_IOC_MEASURE_VERITY, arg) != 0) {
      if (errno == ENODATA) return path + ": not sealed with fs-verity";
      if (errno == ENOTTY || errno == EOPNOTSUPP || errno == ENOSYS)
        return path + ": not sealed (this filesystem has no fs-verity)";
      return path + ": measuring its fs-verity seal: " + ErrnoText(errno);
    }
    if (arg->digest_algorithm != FS_VERITY_HASH_ALG_SHA256 || arg->digest_size != 32 ||
        std::memcmp(buf + sizeof(struct fsverity_digest), f.entry->digest.data(), 32) != 0)
      return path + ": its fs-verity digest is not the signed one";
    return "";
  }

  std::vector<QueuedFile> files_;
  int objects_;
  UsrCheckStats* stats_;
  repo::VerityList list_;
};

}  // namespace

std::string VerifyDeploymentUsr(int sysroot, const boot::DeploymentId& id, const std::vector<BootKey>& keys,
                                UsrCheckStats* stats) {
  const int64_t start = NowMs();
  Result<ObjectId> commit_id = ObjectId::FromHex(id.commit);
  if (!commit_id.ok()) return "bad commit id " + id.commit;
  UniqueFd objects(openat(sysroot, "ostree/repo/objects", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!objects.valid()) return "ostree/repo/objects: " + ErrnoText(errno);
  UsrVerifier v(objects.get(), stats);
  if (std::string e = v.CheckSignature(*commit_id, keys); !e.empty()) return e;
  Bytes bytes;
  if (std::string e = v.ReadObject(*commit_id, "commit", true, &bytes); !e.empty()) return e;
  Result<repo::Commit> commit = repo::DecodeCommit(bytes);
  if (!commit.ok()) return "commit " + Short(*commit_id) + " does not decode: " + commit.status().message();
  if (std::string e = v.LoadList(*commit); !e.empty()) return "commit " + Short(*commit_id) + ": " + e;
  Bytes root_bytes;
  if (std::string e = v.ReadObject(commit->root_tree, "dirtree", true, &root_bytes); !e.empty()) return e;
  Result<repo::DirTree> root = repo::DecodeDirTree(root_bytes);
  if (!root.ok()) return "the root dirtree does not decode: " + root.status().message();
  auto usr = std::find_if(root->dirs.begin(), root->dirs.end(), [](const repo::DirTreeDir& d) { return d.name == "usr"; });
  if (usr == root->dirs.end()) return "the signed commit has no /usr";
  const std::string usr_path = boot::DeploymentPath(id).substr(1) + "/usr";  // relative to the sysroot
  UniqueFd usr_fd(openat(sysroot, usr_path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!usr_fd.valid()) return "usr: " + ErrnoText(errno);
  // Deploy moves the commit's /etc to usr/etc, the read-only defaults the
  // writable /etc is merged from (deploy/deployment_build.cc): checked as
  // part of /usr.
  auto etc = std::find_if(root->dirs.begin(), root->dirs.end(), [](const repo::DirTreeDir& d) { return d.name == "etc"; });
  if (std::string e = v.CheckDir(usr->tree, usr_fd.get(), "usr", etc == root->dirs.end() ? nullptr : &*etc);
      !e.empty())
    return e;
  const int64_t walked = NowMs();
  std::string e = v.MeasureAll(usr_fd.get());
  stats->walk_ms = walked - start;
  stats->measure_ms = NowMs() - walked;
  return e;
}

}  // namespace larch::initramfs
