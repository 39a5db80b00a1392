// File: deploy/hawkbit/ddi_config.cc
#include "deploy/hawkbit/ddi_config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>

#include "deploy/key_value.h"

namespace larch::hawkbit {

namespace {

const std::vector<std::string_view> kKeys = {
    "server",      "tenant",     "controller-id", "target-token-file", "gateway-token-file", "client-cert",
    "client-key",  "ca-file",    "os",            "reboot",            "retry-interval",     "retry-max"};

Status BadValue(const std::string& what, std::string_view key, const std::string& value, std::string_view expected) {
  return Status::Corruption(what + ": " + std::string(key) + "=" + value + " is not " + std::string(expected));
}

// An id or tenant goes into a URL path: letters, digits and - _ . only.
bool IsPathSafe(std::string_view s) {
  if (s.empty() || s.size() > 128 || s == "." || s == "..") return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

Result<uint32_t> Seconds(const std::string& what, std::string_view key, const std::string& value) {
  uint32_t n = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || ptr != value.data() + value.size() || n == 0 || n > 86400)
    return BadValue(what, key, value, "a number of seconds (1..86400)");
  return n;
}

Result<std::string> ReadSmallFile(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::FromErrno(errno, "reading " + what + " " + path);
  std::ostringstream s;
  s << in.rdbuf();
  if (s.str().size() > 65536) return Status::InvalidArgument(what + " " + path + " is larger than 64 KiB");
  return s.str();
}

// The one line of a small file, without its newline.
Result<std::string> OneLine(const std::string& text, const std::string& what) {
  std::string line = text;
  if (!line.empty() && line.back() == '\n') line.pop_back();
  if (line.empty() || line.find_first_of("\r\n") != std::string::npos || line.find('\0') != std::string::npos)
    return Status::InvalidArgument(what + " is not one non-empty line");
  return line;
}

}  // namespace

Result<DdiConfig> DecodeDdiConfig(std::string_view text, const std::string& what) {
  LARCH_ASSIGN_OR_RETURN(deploy::KeyValues kv, deploy::ParseKeyValues(text, kKeys, what));
  DdiConfig c;
  auto get = [&](std::string_view key, std::string& out) {
    if (auto it = kv.find(key); it != kv.end()) out = it->second;
  };
  get("server", c.server);
  get("tenant", c.tenant);
  get("controller-id", c.controller_id);
  get("target-token-file", c.target_token_file);
  get("gateway-token-file", c.gateway_token_file);
  get("client-cert", c.client_cert);
  get("client-key", c.client_key);
  get("ca-file", c.ca_file);
  get("os", c.os);
  if (auto it = kv.find("reboot"); it != kv.end()) {
    if (it->second != "yes" && it->second != "no") return BadValue(what, "reboot", it->second, "yes or no");
    c.reboot = it->second == "yes";
  }
  if (auto it = kv.find("retry-interval"); it != kv.end()) {
    LARCH_ASSIGN_OR_RETURN(c.retry_interval, Seconds(what, "retry-interval", it->second));
  }
  if (auto it = kv.find("retry-max"); it != kv.end()) {
    LARCH_ASSIGN_OR_RETURN(c.retry_max, Seconds(what, "retry-max", it->second));
  }
  while (!c.server.empty() && c.server.back() == '/') c.server.pop_back();
  if (c.server.rfind("http://", 0) != 0 && c.server.rfind("https://", 0) != 0)
    return Status::InvalidArgument(what + ": server= must be an http:// or https:// URL");
  if (!IsPathSafe(c.tenant)) return BadValue(what, "tenant", c.tenant, "a tenant name (letters, digits, - _ .)");
  if (!c.controller_id.empty() && !IsPathSafe(c.controller_id))
    return BadValue(what, "controller-id", c.controller_id, "a controller id (letters, digits, - _ .)");
  if (!c.target_token_file.empty() && !c.gateway_token_file.empty())
    return Status::InvalidArgument(what + ": give target-token-file or gateway-token-file, not both");
  if (c.client_cert.empty() != c.client_key.empty())
    return Status::InvalidArgument(what + ": client-cert and client-key go together");
  if (c.retry_max < c.retry_interval)
    return Status::InvalidArgument(what + ": retry-max is smaller than retry-interval");
  return c;
}

Result<DdiConfig> LoadDdiConfig(const std::string& path, const std::string& machine_id_path) {
  const std::string what = "hawkBit config " + path;
  LARCH_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, "hawkBit config"));
  LARCH_ASSIGN_OR_RETURN(DdiConfig c, DecodeDdiConfig(text, what));
  if (c.controller_id.empty()) {
    LARCH_ASSIGN_OR_RETURN(std::string id_file, ReadSmallFile(machine_id_path, "machine id"));
    LARCH_ASSIGN_OR_RETURN(c.controller_id, OneLine(id_file, "machine id " + machine_id_path));
    if (!IsPathSafe(c.controller_id))
      return Status::InvalidArgument("machine id " + machine_id_path + " is not usable as a controller id");
  }
  return c;
}

Result<std::string> ReadTokenFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Status::FromErrno(errno, "reading token file " + path);
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status::InvalidArgument("token file " + path + " has mode " + mode +
                                   ": group and others may read it; chmod 0600 it");
  }
  LARCH_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, "token file"));
  return OneLine(text, "token file " + path);
}

std::string ControllerUrl(const DdiConfig& c) {
  return c.server + "/" + c.tenant + "/controller/v1/" + c.controller_id;
}

}  // namespace larch::hawkbit
