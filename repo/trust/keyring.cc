// File: repo/trust/keyring.cc
#include "repo/trust/keyring.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "src/base/hex.h"

namespace larch::trust {

namespace {

constexpr size_t kMaxKeyFile = 64 * 1024;
constexpr size_t kMaxRevokedFile = 1 << 20;

Result<std::string> ReadSmallFile(const std::string& path, size_t max) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::FromErrno(errno, "reading " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.size() > max) return Status::InvalidArgument(path + ": too large");
  return text;
}

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Result<std::vector<std::string>> ListKeyFiles(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return Status::FromErrno(errno, "keyring " + dir);
  std::vector<std::string> names;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name[0] != '.' && EndsWith(name, ".pub")) names.push_back(name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

Result<std::set<crypto::KeyId>> ParseRevokedList(std::string_view text) {
  std::set<crypto::KeyId> ids;
  size_t line_no = 0;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    line = line.substr(0, line.find('#'));
    line.erase(std::remove_if(line.begin(), line.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r'; }),
               line.end());
    if (line.empty()) continue;
    std::optional<Bytes> raw = line.size() == 64 ? HexDecode(line) : std::nullopt;
    if (!raw || raw->size() != 32) {
      return Status::InvalidArgument("revoked list line " + std::to_string(line_no) +
                                     ": expected a key id of 64 hex digits");
    }
    crypto::KeyId id{};
    std::copy(raw->begin(), raw->end(), id.begin());
    ids.insert(id);
  }
  return ids;
}

Result<Keyring> Keyring::Load(const std::string& dir) {
  Keyring ring;
  ring.source_ = dir;
  LARCH_ASSIGN_OR_RETURN(std::vector<std::string> names, ListKeyFiles(dir));
  for (const std::string& name : names) {
    const std::string path = dir + "/" + name;
    LARCH_ASSIGN_OR_RETURN(std::string pem, ReadSmallFile(path, kMaxKeyFile));
    Result<crypto::Ed25519PublicKey> key = crypto::Ed25519PublicKey::FromPem(pem);
    if (!key.ok()) return Status::InvalidArgument("keyring " + dir + ": " + name + ": " + key.status().message());
    ring.keys_.emplace(key->id(), *key);
  }
  struct stat st;
  const std::string revoked_path = dir + "/revoked";
  if (::stat(revoked_path.c_str(), &st) == 0) {
    LARCH_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(revoked_path, kMaxRevokedFile));
    Result<std::set<crypto::KeyId>> revoked = ParseRevokedList(text);
    if (!revoked.ok()) return Status::InvalidArgument("keyring " + dir + ": " + revoked.status().message());
    ring.revoked_ = std::move(revoked).value();
  } else if (errno != ENOENT) {
    return Status::FromErrno(errno, "keyring " + revoked_path);
  }
  if (ring.keys_.empty()) return Status::InvalidArgument("keyring " + dir + " holds no public keys (*.pub)");
  return ring;
}

Keyring Keyring::FromKeys(const std::vector<crypto::Ed25519PublicKey>& keys,
                          const std::set<crypto::KeyId>& revoked) {
  Keyring ring;
  ring.source_ = "(in memory)";
  for (const auto& key : keys) ring.keys_.emplace(key.id(), key);
  ring.revoked_ = revoked;
  return ring;
}

const crypto::Ed25519PublicKey* Keyring::Find(const crypto::KeyId& id) const {
  auto it = keys_.find(id);
  return it == keys_.end() ? nullptr : &it->second;
}

}  // namespace larch::trust
