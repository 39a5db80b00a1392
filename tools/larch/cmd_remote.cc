// File: tools/larch/cmd_remote.cc
// `larch remote add|list|show|remove`: where updates come from and whom to
// trust there (repo/trust/remote_config.h).
#include <climits>
#include <cstdio>
#include <cstdlib>

#include "repo/objects/limits.h"
#include "repo/refs.h"
#include "repo/trust/remote_config.h"
#include "tools/larch/command.h"

namespace larch::cli {

namespace {

struct RemoteArgs {
  std::string name, url, keyring, ca_file, client_cert, client_key;
  uint32_t threshold = 1;
  std::vector<std::string> compatible;
  bool replace = false, json = false;
};

Result<std::string> AbsolutePath(const std::string& path, const std::string& what) {
  if (path.empty()) return std::string();
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) == nullptr) return Status::FromErrno(errno, what + " " + path);
  return std::string(buf);
}

Status Add(const GlobalOptions& global, const RemoteArgs& a) {
  LARCH_ASSIGN_OR_RETURN(auto store, OpenStore(global));
  trust::RemoteConfig c;
  c.name = a.name;
  c.url = a.url;
  while (c.url.size() > 8 && c.url.back() == '/') c.url.pop_back();
  LARCH_ASSIGN_OR_RETURN(c.keyring, AbsolutePath(a.keyring, "keyring"));
  LARCH_ASSIGN_OR_RETURN(c.ca_file, AbsolutePath(a.ca_file, "CA file"));
  LARCH_ASSIGN_OR_RETURN(c.client_cert, AbsolutePath(a.client_cert, "client certificate"));
  LARCH_ASSIGN_OR_RETURN(c.client_key, AbsolutePath(a.client_key, "client key"));
  c.threshold = a.threshold;
  c.compatible = a.compatible;
  LARCH_RETURN_IF_ERROR(trust::ValidateRemoteConfig(c));
  // Refuse now what a pull would refuse later: an unreadable keyring or one
  // with fewer keys than the threshold.
  LARCH_RETURN_IF_ERROR(trust::LoadPolicy(c).status());
  return trust::WriteRemote(*store, c, a.replace);
}

nlohmann::json ToJson(const trust::RemoteConfig& c) {
  return {{"name", c.name},         {"url", c.url},         {"keyring", c.keyring},
          {"threshold", c.threshold}, {"compatible", c.compatible}, {"ca_file", c.ca_file},
          {"client_cert", c.client_cert}, {"client_key", c.client_key}};
}

Status List(const GlobalOptions& global, const RemoteArgs& a, bool one) {
  LARCH_ASSIGN_OR_RETURN(auto store, OpenStore(global));
  std::vector<trust::RemoteConfig> remotes;
  if (one) {
    LARCH_ASSIGN_OR_RETURN(trust::RemoteConfig c, trust::ReadRemote(*store, a.name));
    remotes.push_back(c);
  } else {
    LARCH_ASSIGN_OR_RETURN(remotes, trust::ListRemotes(*store));
  }
  if (a.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& c : remotes) out.push_back(ToJson(c));
    PrintJson(one ? out[0] : out);
    return Status::Ok();
  }
  for (const auto& c : remotes) {
    if (!one) {
      std::printf("%s %s\n", c.name.c_str(), c.url.c_str());
      continue;
    }
    std::fwrite(trust::EncodeRemoteConfig(c).data(), 1, trust::EncodeRemoteConfig(c).size(), stdout);
  }
  return Status::Ok();
}

// What the device has accepted from a remote: the summary serial and, per
// pulled ref, the version installed (the trust state's records).
Status RemoteStatus(const GlobalOptions& global, const RemoteArgs& a) {
  LARCH_ASSIGN_OR_RETURN(auto store, OpenStore(global));
  LARCH_ASSIGN_OR_RETURN(trust::RemoteConfig c, trust::ReadRemote(*store, a.name));
  LARCH_ASSIGN_OR_RETURN(auto state, OpenTrustState(*store));
  LARCH_ASSIGN_OR_RETURN(auto remote, state->GetRemote(c.name));
  nlohmann::json out{{"remote", c.name}, {"url", c.url}};
  out["summary_serial"] = remote ? nlohmann::json(remote->summary_serial) : nlohmann::json(nullptr);
  out["summary_sha256"] = remote ? nlohmann::json(remote->summary_sha256) : nlohmann::json(nullptr);
  out["refs"] = nlohmann::json::object();
  LARCH_ASSIGN_OR_RETURN(auto refs, repo::ListRefs(*store));
  for (const auto& [name, id] : refs) {
    if (name.rfind(c.name + ":", 0) != 0) continue;
    const std::string ref = name.substr(c.name.size() + 1);
    LARCH_ASSIGN_OR_RETURN(auto installed, state->GetRef(c.name, ref));
    out["refs"][ref] = {{"commit", id.Hex()},
                        {"version", installed ? nlohmann::json(installed->version) : nlohmann::json(nullptr)}};
  }
  if (a.json) {
    PrintJson(out);
    return Status::Ok();
  }
  std::printf("remote %s: summary serial %s\n", c.name.c_str(), remote ? std::to_string(remote->summary_serial).c_str() : "none yet");
  for (const auto& [ref, v] : out["refs"].items()) {
    std::printf("  %s %s version %s\n", ref.c_str(), v["commit"].get<std::string>().c_str(),
                v["version"].is_null() ? "-" : v["version"].get<std::string>().c_str());
  }
  return Status::Ok();
}

}  // namespace

Command RegisterRemote(CLI::App& parent, const GlobalOptions& global) {
  auto a = std::make_shared<RemoteArgs>();
  CLI::App* app = parent.add_subcommand("remote", "Manage remotes (URL, keyring, threshold, compatible ids)");
  app->require_subcommand(1);
  CLI::App* add = app->add_subcommand("add", "Add a remote");
  add->add_option("NAME", a->name, "Remote name")->required();
  add->add_option("URL", a->url, "http(s):// or file:// URL of the repository")->required();
  add->add_option("--keyring", a->keyring, "Keyring directory (*.pub, revoked)")->required();
  AddCountOption(add, "--threshold", a->threshold, repo::kMaxSignatures, "Valid signatures required (default 1)");
  add->add_option("--compatible", a->compatible, "This device's compatible ids")->expected(1, -1);
  add->add_option("--ca-file", a->ca_file, "Pinned CA certificate (PEM) instead of the system CAs");
  add->add_option("--client-cert", a->client_cert, "TLS client certificate (PEM)");
  add->add_option("--client-key", a->client_key, "TLS client key (PEM)");
  add->add_flag("--replace", a->replace, "Replace an existing remote of that name");
  CLI::App* list = app->add_subcommand("list", "List remotes");
  list->add_flag("--json", a->json, "Machine-readable output");
  CLI::App* show = app->add_subcommand("show", "Show one remote's settings");
  show->add_option("NAME", a->name, "Remote name")->required();
  show->add_flag("--json", a->json, "Machine-readable output");
  CLI::App* status = app->add_subcommand("status", "What the device accepted from a remote: summary serial, versions");
  status->add_option("NAME", a->name, "Remote name")->required();
  status->add_flag("--json", a->json, "Machine-readable output");
  CLI::App* remove = app->add_subcommand("remove", "Remove a remote (its pulled refs stay)");
  remove->add_option("NAME", a->name, "Remote name")->required();
  return {app, [=, &global]() -> Status {
            if (add->parsed()) return Add(global, *a);
            if (list->parsed()) return List(global, *a, false);
            if (show->parsed()) return List(global, *a, true);
            if (status->parsed()) return RemoteStatus(global, *a);
            LARCH_ASSIGN_OR_RETURN(auto store, OpenStore(global));
            return trust::DeleteRemote(*store, a->name);
          }};
}

}  // namespace larch::cli
