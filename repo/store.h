// File: repo/store.h
//
// Store: a content-addressed object store on disk.
//
//   <store>/config                 StoreConfig (written last by Create)
//   <store>/lock                   flock'ed by writers (commit, prune)
//   <store>/objects/xx/<62 hex>.<type>
//   <store>/refs/heads/<ref>       "<64 hex>\n"
//   <store>/dictionaries/XXXXXXXX.zdict  zstd dictionaries (archive), by id
//   <store>/tmp/                   staging; anything here is garbage after a crash
//
// In archive mode a file object is "header frame || zstd(content)", plain
// static files any web server can serve. In bare mode a file object is a real
// file (or symlink) carrying its mode, owner and xattrs, so a checkout can be
// a tree of hard links into the store. Reads verify: a metadata object whose
// bytes do not hash to its name is reported as kCorruption, never used.
#pragma once

#include <array>
#include <map>
#include <mutex>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "repo/objects/commit.h"
#include "repo/objects/commitmeta.h"
#include "repo/objects/dirmeta.h"
#include "repo/objects/dirtree.h"
#include "repo/objects/object_id.h"
#include "repo/objects/verity_list.h"
#include "repo/store_config.h"
#include "src/compress/zstd_dict.h"
#include "src/fs/fs.h"

namespace larch::repo {

class Store {
 public:
  // Creates a store at `path` (which must not exist, or be an empty
  // directory). The config file is written last and atomically, so a crash
  // leaves either a complete store or a directory Open() refuses.
  static Status Create(fs::Fs& fs, const std::string& path, const StoreConfig& config);
  // Opens an existing store; kInvalidArgument "X is not a larch store" when
  // the config file is missing, kCorruption when it does not parse.
  static Result<std::unique_ptr<Store>> Open(fs::Fs& fs, const std::string& path);

  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  fs::Fs& fs() const { return *fs_; }
  const std::string& path() const { return path_; }
  const StoreConfig& config() const { return config_; }
  StoreMode mode() const { return config_.mode; }
  // Whether file objects are sealed with fs-verity as they enter: the
  // config's `verity`, unless the sysroot's larch.conf says otherwise for
  // this process (deploy/ passes it down; this layer cannot read it).
  VerityMode verity_mode() const { return verity_; }
  void OverrideVerityMode(VerityMode mode) {
    if (config_.mode == StoreMode::kBare) verity_ = mode;
  }
  int root_fd() const { return root_.get(); }
  int tmp_fd() const { return tmp_.get(); }
  // The fan-out directory objects/<first byte in hex> holding `id`.
  int ObjectDirFd(const ObjectId& id) const { return object_dirs_[id.array()[0]].get(); }
  int ObjectDirFd(uint8_t prefix) const { return object_dirs_[prefix].get(); }

  // "00".."ff": the fan-out directory of a first byte.
  static std::string FanoutName(uint8_t prefix);
  // "<62 hex>.<type>": the name inside the fan-out directory.
  static std::string ObjectFileName(const ObjectKey& key);
  // "objects/xx/<62 hex>.<type>", for messages and web paths.
  static std::string ObjectRelPath(const ObjectKey& key);
  // Parses a fan-out entry name back into a key (nullopt if it is not one).
  static std::optional<ObjectKey> ParseObjectFileName(uint8_t prefix, std::string_view name);

  Result<bool> HasObject(const ObjectKey& key) const;
  // Raw bytes of a metadata object, checked against its id (except
  // commitmeta, which is not content-addressed).
  Result<Bytes> ReadMetadataBytes(const ObjectKey& key) const;
  Result<DirTree> ReadDirTree(const ObjectId& id) const;
  Result<DirMeta> ReadDirMeta(const ObjectId& id) const;
  Result<Commit> ReadCommit(const ObjectId& id) const;
  Result<VerityList> ReadVerityList(const ObjectId& id) const;
  // nullopt when the commit has no commitmeta.
  Result<std::optional<CommitMeta>> ReadCommitMeta(const ObjectId& id) const;

  Status DeleteObject(const ObjectKey& key);
  // Every object in the store, in no particular order.
  Result<std::vector<ObjectKey>> ListObjects() const;

  // The dictionary new archive file objects are compressed with (null when
  // the store has none yet, and always for bare stores).
  const compress::ZstdDictionary* compress_dictionary() const { return compress_dict_.get(); }
  // A dictionary by the id a zstd frame names, loaded once and cached.
  // kCorruption naming the file when it is missing or does not match its id.
  Result<std::shared_ptr<const compress::ZstdDictionary>> Dictionary(uint32_t id) const;
  // Stores a new dictionary and makes it the default for new objects: the
  // dictionary file is durable before the config names it.
  Status InstallDictionary(Bytes content);
  static std::string DictionaryFileName(uint32_t id);

  // Exclusive writer lock (flock on <store>/lock), held until the returned
  // descriptor closes. Readers take no lock: objects are immutable and refs
  // are replaced atomically.
  Result<UniqueFd> LockExclusive() const;

 private:
  Store(fs::Fs& fs, std::string path) : fs_(&fs), path_(std::move(path)) {}
  Status OpenDirs();

  fs::Fs* fs_;
  std::string path_;
  StoreConfig config_;
  VerityMode verity_ = VerityMode::kOff;
  UniqueFd root_;
  UniqueFd tmp_;
  std::array<UniqueFd, 256> object_dirs_;
  UniqueFd dictionaries_;
  std::shared_ptr<const compress::ZstdDictionary> compress_dict_;
  mutable std::mutex dict_mu_;
  mutable std::map<uint32_t, std::shared_ptr<const compress::ZstdDictionary>> dicts_;
};

}  // namespace larch::repo
