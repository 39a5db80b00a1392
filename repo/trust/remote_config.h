// File: repo/trust/remote_config.h
//
// A remote: where a device fetches from and whom it trusts there. Stored as
// <store>/remotes/<name>.conf, one "key=value" per line ('#' comments):
//   url=https://updates.example.com/repo      (http, https or file)
//   keyring=/usr/share/larch/keyrings/example (a Keyring directory)
//   threshold=2                               (signatures required, >= 1)
//   compatible=board-a board-a-rev2           (the device's ids; optional)
//   ca-file=/etc/larch/ca.pem                 (pinned CA; optional)
//   client-cert=/etc/larch/device.crt         (TLS client auth; optional,
//   client-key=/etc/larch/device.key           both or neither)
// Unknown keys are refused: a typo in a security setting must not pass
// silently. The file is replaced atomically.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "repo/store.h"
#include "repo/trust/trust_policy.h"

namespace larch::trust {

struct RemoteConfig {
  std::string name;
  std::string url;
  std::string keyring;
  uint32_t threshold = 1;
  std::vector<std::string> compatible;
  std::string ca_file;
  std::string client_cert;
  std::string client_key;
  bool operator==(const RemoteConfig&) const = default;
};

Status ValidateRemoteName(std::string_view name);
Status ValidateRemoteConfig(const RemoteConfig& config);
std::string EncodeRemoteConfig(const RemoteConfig& config);
// The decoder of a .conf file; `name` comes from the file name.
Result<RemoteConfig> DecodeRemoteConfig(std::string_view name, std::string_view text);

Result<RemoteConfig> ReadRemote(const repo::Store& store, const std::string& name);
Result<std::vector<RemoteConfig>> ListRemotes(const repo::Store& store);
// kAlreadyExists unless `replace`.
Status WriteRemote(repo::Store& store, const RemoteConfig& config, bool replace);
Status DeleteRemote(repo::Store& store, const std::string& name);

// The remote's policy with its keyring loaded.
Result<TrustPolicy> LoadPolicy(const RemoteConfig& config);

}  // namespace larch::trust
