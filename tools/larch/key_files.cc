// File: tools/larch/key_files.cc
#include "tools/larch/key_files.h"

#include <sys/stat.h>

#include <cstdio>

#include "src/fs/atomic.h"
#include "src/fs/fs.h"

namespace larch::cli {

Result<crypto::Ed25519PrivateKey> LoadPrivateKeyFile(const std::string& path) {
  fs::Fs& fs = *fs::DefaultFs();
  LARCH_ASSIGN_OR_RETURN(fs::ParentAndName where, fs::OpenParentOf(fs, path));
  Result<struct stat> st = fs.Stat(where.parent.get(), where.name);
  if (!st.ok()) return st.status().WithContext("private key " + path);
  if ((st->st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", st->st_mode & 07777);
    return Status::InvalidArgument("private key " + path + " is readable by group or others (mode " + mode +
                                   "); run chmod 600 " + path);
  }
  LARCH_ASSIGN_OR_RETURN(Bytes pem, fs::ReadFileFully(fs, where.parent.get(), where.name, 64 * 1024));
  Result<crypto::Ed25519PrivateKey> key = crypto::Ed25519PrivateKey::FromPem(AsStringView(pem));
  if (!key.ok()) return key.status().WithContext(path);
  return key;
}

Result<std::vector<crypto::Ed25519PrivateKey>> LoadPrivateKeyFiles(const std::vector<std::string>& paths) {
  std::vector<crypto::Ed25519PrivateKey> keys;
  for (const std::string& p : paths) {
    LARCH_ASSIGN_OR_RETURN(crypto::Ed25519PrivateKey key, LoadPrivateKeyFile(p));
    keys.push_back(std::move(key));
  }
  return keys;
}

Status WriteNewFile(const std::string& path, const std::string& data, mode_t mode) {
  fs::Fs& fs = *fs::DefaultFs();
  LARCH_ASSIGN_OR_RETURN(fs::ParentAndName where, fs::OpenParentOf(fs, path));
  if (fs.Stat(where.parent.get(), where.name).ok()) {
    return Status::AlreadyExists(path + " already exists; not replacing it");
  }
  return fs::WriteFileAtomic(fs, where.parent.get(), where.name, AsBytes(data), mode);
}

}  // namespace larch::cli
