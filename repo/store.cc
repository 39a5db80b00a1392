#include "repo/store.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/file.h>

#include <cstdio>

#include "repo/objects/limits.h"
#include "src/base/hex.h"
#include "src/fs/atomic.h"

namespace larch::repo {

namespace {


std::string PrefixName(unsigned prefix) {
  char buf[3];
  std::snprintf(buf, sizeof(buf), "%02x", prefix);
  return buf;
}

Status CreateLayout(fs::Fs& fs, int root) {
  for (const char* dir : {"objects", "refs", "tmp", "dictionaries"})
    LARCH_RETURN_IF_ERROR(fs::EnsureDir(fs, root, dir));
  LARCH_ASSIGN_OR_RETURN(UniqueFd refs, fs.OpenDirPath(root, "refs"));
  LARCH_RETURN_IF_ERROR(fs::EnsureDir(fs, refs.get(), "heads"));
  LARCH_RETURN_IF_ERROR(fs::EnsureDir(fs, refs.get(), "remotes"));
  LARCH_ASSIGN_OR_RETURN(UniqueFd objects, fs.OpenDirPath(root, "objects"));
  for (unsigned i = 0; i < 256; ++i)
    LARCH_RETURN_IF_ERROR(fs::EnsureDir(fs, objects.get(), PrefixName(i)));
  LARCH_ASSIGN_OR_RETURN(UniqueFd lock, fs.CreateExclusive(root, "lock", 0644));
  // The layout must be durable before the config declares it a store.
  LARCH_RETURN_IF_ERROR(fs.SyncFs(root));
  return Status::Ok();
}

}  // namespace

Status Store::Create(fs::Fs& fs, const std::string& path, const StoreConfig& config) {
  LARCH_ASSIGN_OR_RETURN(fs::ParentAndName target, fs::OpenParentOf(fs, path));
  Result<struct stat> st = fs.Stat(target.parent.get(), target.name);
  if (st.ok()) {
    if (!S_ISDIR(st->st_mode))
      return Status::AlreadyExists(path + " exists and is not a directory");
  } else if (st.status().IsNotFound()) {
    LARCH_RETURN_IF_ERROR(fs.Mkdir(target.parent.get(), target.name, 0755));
    // The store's own name must survive a crash once we report success.
    LARCH_RETURN_IF_ERROR(fs.Fsync(target.parent.get()));
  } else {
    return st.status();
  }
  LARCH_ASSIGN_OR_RETURN(UniqueFd root, fs.OpenDirPath(target.parent.get(), target.name));
  LARCH_ASSIGN_OR_RETURN(auto entries, fs.ReadDir(root.get()));
  if (!entries.empty())
    return Status::AlreadyExists(path + " is not empty; refusing to create a store there");
  LARCH_RETURN_IF_ERROR(CreateLayout(fs, root.get()).WithContext("creating store " + path));
  // Written last: until config exists Open() refuses the directory.
  return fs::WriteFileAtomic(fs, root.get(), "config", AsBytes(EncodeStoreConfig(config)));
}

Result<std::unique_ptr<Store>> Store::Open(fs::Fs& fs, const std::string& path) {
  std::unique_ptr<Store> store(new Store(fs, path));
  // The path is the user's: its symlinks (say /var/run -> /run) are resolved
  // once; inside the store nothing is followed.
  char resolved[PATH_MAX];
  if (::realpath(path.c_str(), resolved) == nullptr)
    return Status::FromErrno(errno, "opening store " + path);
  Result<UniqueFd> root = fs.OpenDirPath(AT_FDCWD, resolved);
  if (!root.ok()) return root.status().WithContext("opening store " + path);
  store->root_ = std::move(root).value();
  Result<Bytes> config = fs::ReadFileFully(fs, store->root_.get(), "config", 64 << 10);
  if (!config.ok()) {
    if (config.status().IsNotFound())
      return Status::InvalidArgument(path + " is not a larch store (no config file)");
    return config.status().WithContext("reading " + path + "/config");
  }
  Result<StoreConfig> parsed = DecodeStoreConfig(AsStringView(*config));
  if (!parsed.ok()) return parsed.status().WithContext(path + " is not a usable larch store");
  store->config_ = *parsed;
  store->verity_ = store->config_.verity;
  LARCH_RETURN_IF_ERROR(store->OpenDirs().WithContext(path + " is not a complete larch store"));
  if (store->config_.dictionary != 0) {
    LARCH_ASSIGN_OR_RETURN(store->compress_dict_, store->Dictionary(store->config_.dictionary));
  }
  return store;
}

Store::~Store() = default;

Status Store::OpenDirs() {
  LARCH_ASSIGN_OR_RETURN(tmp_, fs_->OpenDirPath(root_.get(), "tmp"));
  LARCH_ASSIGN_OR_RETURN(dictionaries_, fs_->OpenDirPath(root_.get(), "dictionaries"));
  LARCH_ASSIGN_OR_RETURN(UniqueFd objects, fs_->OpenDirPath(root_.get(), "objects"));
  for (unsigned i = 0; i < 256; ++i) {
    LARCH_ASSIGN_OR_RETURN(object_dirs_[i], fs_->OpenDirPath(objects.get(), PrefixName(i)));
  }
  return Status::Ok();
}

std::string Store::FanoutName(uint8_t prefix) { return PrefixName(prefix); }

std::string Store::ObjectFileName(const ObjectKey& key) {
  return key.id.Hex().substr(2) + "." + std::string(ObjectTypeName(key.type));
}

std::string Store::ObjectRelPath(const ObjectKey& key) {
  std::string hex = key.id.Hex();
  return "objects/" + hex.substr(0, 2) + "/" + hex.substr(2) + "." +
         std::string(ObjectTypeName(key.type));
}

std::optional<ObjectKey> Store::ParseObjectFileName(uint8_t prefix, std::string_view name) {
  size_t dot = name.find('.');
  if (dot != 62) return std::nullopt;
  std::optional<ObjectType> type = ObjectTypeFromName(name.substr(63));
  if (!type) return std::nullopt;
  Result<ObjectId> id = ObjectId::FromHex(PrefixName(prefix) + std::string(name.substr(0, 62)));
  if (!id.ok()) return std::nullopt;
  return ObjectKey{*id, *type};
}

Result<bool> Store::HasObject(const ObjectKey& key) const {
  Result<struct stat> st = fs_->Stat(ObjectDirFd(key.id), ObjectFileName(key));
  if (st.ok()) return true;
  if (st.status().IsNotFound()) return false;
  return st.status();
}

Result<Bytes> Store::ReadMetadataBytes(const ObjectKey& key) const {
  Result<Bytes> bytes =
      fs::ReadFileFully(*fs_, ObjectDirFd(key.id), ObjectFileName(key), kMaxMetadataObjectSize);
  if (!bytes.ok()) {
    if (bytes.status().IsNotFound())
      return Status::NotFound(std::string(ObjectTypeName(key.type)) + " " + key.id.Hex() +
                              " is not in the store");
    return bytes.status().WithContext("reading " + ObjectRelPath(key));
  }
  if (key.type != ObjectType::kCommitMeta && ObjectId::HashOf(*bytes) != key.id)
    return Status::Corruption("corrupt object " + ObjectRelPath(key) +
                              ": content does not match its checksum");
  return bytes;
}

template <typename T, typename Decode>
static Result<T> ReadAndDecode(const Store& store, const ObjectKey& key, Decode decode) {
  LARCH_ASSIGN_OR_RETURN(Bytes bytes, store.ReadMetadataBytes(key));
  Result<T> value = decode(ByteSpan(bytes));
  if (!value.ok()) return value.status().WithContext("corrupt object " + Store::ObjectRelPath(key));
  return value;
}

Result<DirTree> Store::ReadDirTree(const ObjectId& id) const {
  return ReadAndDecode<DirTree>(*this, {id, ObjectType::kDirTree}, DecodeDirTree);
}

Result<DirMeta> Store::ReadDirMeta(const ObjectId& id) const {
  return ReadAndDecode<DirMeta>(*this, {id, ObjectType::kDirMeta}, DecodeDirMeta);
}

Result<Commit> Store::ReadCommit(const ObjectId& id) const {
  return ReadAndDecode<Commit>(*this, {id, ObjectType::kCommit}, DecodeCommit);
}

Result<VerityList> Store::ReadVerityList(const ObjectId& id) const {
  return ReadAndDecode<VerityList>(*this, {id, ObjectType::kVerityList}, DecodeVerityList);
}

Result<std::optional<CommitMeta>> Store::ReadCommitMeta(const ObjectId& id) const {
  Result<CommitMeta> meta =
      ReadAndDecode<CommitMeta>(*this, {id, ObjectType::kCommitMeta}, DecodeCommitMeta);
  if (!meta.ok()) {
    if (meta.status().IsNotFound()) return std::optional<CommitMeta>();
    return meta.status();
  }
  return std::optional<CommitMeta>(std::move(meta).value());
}

Status Store::DeleteObject(const ObjectKey& key) {
  return fs_->Unlink(ObjectDirFd(key.id), ObjectFileName(key));
}

Result<std::vector<ObjectKey>> Store::ListObjects() const {
  std::vector<ObjectKey> keys;
  for (unsigned prefix = 0; prefix < 256; ++prefix) {
    LARCH_ASSIGN_OR_RETURN(auto entries, fs_->ReadDir(object_dirs_[prefix].get()));
    for (const auto& entry : entries) {
      std::optional<ObjectKey> key = ParseObjectFileName(static_cast<uint8_t>(prefix), entry.name);
      if (key) keys.push_back(*key);
    }
  }
  return keys;
}

std::string Store::DictionaryFileName(uint32_t id) {
  char name[32];
  std::snprintf(name, sizeof(name), "%08x.zdict", id);
  return name;
}

Result<std::shared_ptr<const compress::ZstdDictionary>> Store::Dictionary(uint32_t id) const {
  std::lock_guard<std::mutex> lock(dict_mu_);
  auto it = dicts_.find(id);
  if (it != dicts_.end()) return it->second;
  std::string name = DictionaryFileName(id);
  Result<Bytes> content = fs::ReadFileFully(*fs_, dictionaries_.get(), name, 16u << 20);
  if (!content.ok())
    return Status::Corruption("dictionaries/" + name + " is missing or unreadable: " +
                              content.status().message());
  Result<std::shared_ptr<const compress::ZstdDictionary>> dict =
      compress::ZstdDictionary::Load(std::move(content).value(), config_.compression_level);
  if (!dict.ok()) return dict.status().WithContext("dictionaries/" + name);
  if ((*dict)->id() != id)
    return Status::Corruption("dictionaries/" + name + " holds dictionary " +
                              std::to_string((*dict)->id()));
  dicts_[id] = *dict;
  return dict;
}

Status Store::InstallDictionary(Bytes content) {
  LARCH_ASSIGN_OR_RETURN(auto dict, compress::ZstdDictionary::Load(content, config_.compression_level));
  std::string name = DictionaryFileName(dict->id());
  // Durable (file and directory entry) before the config names it.
  LARCH_RETURN_IF_ERROR(fs::WriteFileAtomic(*fs_, dictionaries_.get(), name, content));
  StoreConfig updated = config_;
  updated.dictionary = dict->id();
  LARCH_RETURN_IF_ERROR(
      fs::WriteFileAtomic(*fs_, root_.get(), "config", AsBytes(EncodeStoreConfig(updated))));
  config_ = updated;
  {
    std::lock_guard<std::mutex> lock(dict_mu_);
    dicts_[dict->id()] = dict;
  }
  compress_dict_ = dict;
  return Status::Ok();
}

Result<UniqueFd> Store::LockExclusive() const {
  LARCH_ASSIGN_OR_RETURN(UniqueFd fd, fs_->OpenRead(root_.get(), "lock"));
  if (::flock(fd.get(), LOCK_EX) != 0)
    return Status::FromErrno(errno, "locking store " + path_);
  return fd;
}

}  // namespace larch::repo
