// File: repo/trust/remote_config.cc
#include "repo/trust/remote_config.h"

#include <sstream>

#include "repo/objects/limits.h"
#include "repo/refs.h"
#include "src/base/units.h"
#include "src/fs/atomic.h"

namespace larch::trust {

namespace {

constexpr char kDir[] = "remotes";
constexpr size_t kMaxConfigSize = 64 * 1024;

Status Bad(std::string_view name, const std::string& why) {
  return Status::InvalidArgument("remote " + std::string(name) + ": " + why);
}

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> words;
  std::istringstream in{std::string(text)};
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

Status SetField(RemoteConfig& c, const std::string& key, const std::string& value) {
  if (key == "url") c.url = value;
  else if (key == "keyring") c.keyring = value;
  else if (key == "compatible") c.compatible = Words(value);
  else if (key == "ca-file") c.ca_file = value;
  else if (key == "client-cert") c.client_cert = value;
  else if (key == "client-key") c.client_key = value;
  else if (key == "threshold") {
    // No more than a commit can carry signatures: a higher one is never met.
    Result<uint64_t> n = ParseCount(value, repo::kMaxSignatures);
    if (!n.ok()) return Bad(c.name, "threshold " + n.status().message());
    c.threshold = static_cast<uint32_t>(*n);
  } else {
    return Bad(c.name, "unknown setting '" + key + "'");
  }
  return Status::Ok();
}

Result<UniqueFd> OpenRemotesDir(const repo::Store& store, bool create) {
  fs::Fs& fs = store.fs();
  if (create) LARCH_RETURN_IF_ERROR(fs::EnsureDir(fs, store.root_fd(), kDir));
  return fs.OpenDirPath(store.root_fd(), kDir);
}

}  // namespace

Status ValidateRemoteName(std::string_view name) {
  if (name.find('/') != std::string_view::npos || name.find(':') != std::string_view::npos ||
      !repo::ValidateRefName(name).ok()) {
    return Status::InvalidArgument("invalid remote name '" + std::string(name) +
                                   "': use A-Z a-z 0-9 _ . - and do not start with . or -");
  }
  return Status::Ok();
}

Status ValidateRemoteConfig(const RemoteConfig& c) {
  LARCH_RETURN_IF_ERROR(ValidateRemoteName(c.name));
  if (!StartsWith(c.url, "http://") && !StartsWith(c.url, "https://") && !StartsWith(c.url, "file://")) {
    return Bad(c.name, "url must start with http://, https:// or file:// (got '" + c.url + "')");
  }
  if (c.keyring.empty() || c.keyring[0] != '/') return Bad(c.name, "keyring must be an absolute directory path");
  if (c.threshold < 1) return Bad(c.name, "threshold must be at least 1");
  if (c.threshold > repo::kMaxSignatures)
    return Bad(c.name, "threshold must be at most " + std::to_string(repo::kMaxSignatures) + " (the signatures a commit carries)");
  if (c.client_cert.empty() != c.client_key.empty()) {
    return Bad(c.name, "client-cert and client-key go together");
  }
  for (const std::string* v : {&c.url, &c.keyring, &c.ca_file, &c.client_cert, &c.client_key}) {
    if (v->find('\n') != std::string::npos) return Bad(c.name, "values cannot contain newlines");
  }
  return Status::Ok();
}

std::string EncodeRemoteConfig(const RemoteConfig& c) {
  std::string out = "url=" + c.url + "\nkeyring=" + c.keyring + "\nthreshold=" + std::to_string(c.threshold) + "\n";
  if (!c.compatible.empty()) {
    out += "compatible=";
    for (size_t i = 0; i < c.compatible.size(); ++i) out += (i ? " " : "") + c.compatible[i];
    out += "\n";
  }
  if (!c.ca_file.empty()) out += "ca-file=" + c.ca_file + "\n";
  if (!c.client_cert.empty()) out += "client-cert=" + c.client_cert + "\nclient-key=" + c.client_key + "\n";
  return out;
}

Result<RemoteConfig> DecodeRemoteConfig(std::string_view name, std::string_view text) {
  RemoteConfig c;
  c.name = std::string(name);
  std::istringstream in{std::string(text)};
  size_t line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    size_t eq = line.find('=');
    if (eq == std::string::npos) return Bad(name, "line " + std::to_string(line_no) + " is not key=value");
    LARCH_RETURN_IF_ERROR(SetField(c, line.substr(0, eq), line.substr(eq + 1)));
  }
  LARCH_RETURN_IF_ERROR(ValidateRemoteConfig(c));
  return c;
}

Result<RemoteConfig> ReadRemote(const repo::Store& store, const std::string& name) {
  LARCH_RETURN_IF_ERROR(ValidateRemoteName(name));
  Result<UniqueFd> dir = OpenRemotesDir(store, false);
  Result<Bytes> text = dir.ok() ? fs::ReadFileFully(store.fs(), dir->get(), name + ".conf", kMaxConfigSize)
                                : Result<Bytes>(dir.status());
  if (!text.ok() && text.status().IsNotFound()) {
    return Status::NotFound("no remote named " + name + " (see larch remote add)");
  }
  if (!text.ok()) return text.status().WithContext("remote " + name);
  return DecodeRemoteConfig(name, AsStringView(*text));
}

Result<std::vector<RemoteConfig>> ListRemotes(const repo::Store& store) {
  std::vector<RemoteConfig> remotes;
  Result<UniqueFd> dir = OpenRemotesDir(store, false);
  if (!dir.ok() && dir.status().IsNotFound()) return remotes;
  if (!dir.ok()) return dir.status();
  LARCH_ASSIGN_OR_RETURN(auto entries, store.fs().ReadDir(dir->get()));
  for (const auto& e : entries) {
    const std::string& n = e.name;
    if (n.size() <= 5 || n.compare(n.size() - 5, 5, ".conf") != 0) continue;
    LARCH_ASSIGN_OR_RETURN(RemoteConfig c, ReadRemote(store, n.substr(0, n.size() - 5)));
    remotes.push_back(std::move(c));
  }
  std::sort(remotes.begin(), remotes.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return remotes;
}

Status WriteRemote(repo::Store& store, const RemoteConfig& config, bool replace) {
  LARCH_RETURN_IF_ERROR(ValidateRemoteConfig(config));
  if (!replace && ReadRemote(store, config.name).ok()) {
    return Status::AlreadyExists("remote " + config.name + " already exists");
  }
  LARCH_ASSIGN_OR_RETURN(UniqueFd dir, OpenRemotesDir(store, true));
  LARCH_RETURN_IF_ERROR(store.fs().Fsync(store.root_fd()));
  return fs::WriteFileAtomic(store.fs(), dir.get(), config.name + ".conf", AsBytes(EncodeRemoteConfig(config)));
}

Status DeleteRemote(repo::Store& store, const std::string& name) {
  LARCH_RETURN_IF_ERROR(ValidateRemoteName(name));
  Result<UniqueFd> dir = OpenRemotesDir(store, false);
  Status s = dir.ok() ? store.fs().Unlink(dir->get(), name + ".conf") : dir.status();
  if (s.IsNotFound()) return Status::NotFound("no remote named " + name);
  LARCH_RETURN_IF_ERROR(s);
  return store.fs().Fsync(dir->get());
}

Result<TrustPolicy> LoadPolicy(const RemoteConfig& config) {
  Result<Keyring> keyring = Keyring::Load(config.keyring);
  if (!keyring.ok()) return keyring.status().WithContext("remote " + config.name);
  if (keyring->size() < config.threshold) {
    return Status::InvalidArgument("remote " + config.name + ": threshold " + std::to_string(config.threshold) +
                                   " but the keyring holds " + std::to_string(keyring->size()) + " key(s)");
  }
  return TrustPolicy{config.name, std::move(keyring).value(), config.threshold, config.compatible};
}

}  // namespace larch::trust
