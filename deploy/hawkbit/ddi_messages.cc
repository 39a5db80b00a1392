// File: deploy/hawkbit/ddi_messages.cc
#include "deploy/hawkbit/ddi_messages.h"

#include <nlohmann/json.hpp>

#include <charconv>

namespace larch::hawkbit {

namespace {

using nlohmann::json;

// A parsed document and the name of what it is, for messages.
Result<json> Parse(std::string_view text, std::string_view what) {
  if (text.size() > kMaxDocumentSize)
    return Status::InvalidArgument(std::string(what) + ": larger than " + std::to_string(kMaxDocumentSize) + " bytes");
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument(std::string(what) + ": not valid JSON");
  if (!j.is_object()) return Status::InvalidArgument(std::string(what) + ": not a JSON object");
  return j;
}

Status Bad(std::string_view what, std::string_view path, std::string_view problem) {
  return Status::InvalidArgument(std::string(what) + ": " + std::string(path) + " " + std::string(problem));
}

// The member `key` of object `j` as a string; nullptr when absent.
Result<const std::string*> OptionalString(const json& j, const char* key, std::string_view what,
                                          const std::string& path) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return static_cast<const std::string*>(nullptr);
  if (!it->is_string()) return Bad(what, path + key, "is not a string");
  return &it->get_ref<const std::string&>();
}

Result<std::string> RequiredString(const json& j, const char* key, std::string_view what, const std::string& path) {
  LARCH_ASSIGN_OR_RETURN(const std::string* s, OptionalString(j, key, what, path));
  if (s == nullptr) return Bad(what, path + key, "is missing");
  return *s;
}

// The member `key` of `j` as an object; nullptr when absent.
Result<const json*> OptionalObject(const json& j, const char* key, std::string_view what, const std::string& path) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return static_cast<const json*>(nullptr);
  if (!it->is_object()) return Bad(what, path + key, "is not an object");
  return &*it;
}

// _links.<key>.href, "" when the link is absent.
Result<std::string> LinkHref(const json& links, const char* key, std::string_view what) {
  LARCH_ASSIGN_OR_RETURN(const json* link, OptionalObject(links, key, what, "_links."));
  if (link == nullptr) return std::string();
  const std::string path = std::string("_links.") + key + ".";
  LARCH_ASSIGN_OR_RETURN(std::string href, RequiredString(*link, "href", what, path));
  if (href.rfind("http://", 0) != 0 && href.rfind("https://", 0) != 0)
    return Bad(what, path + "href", "is not an http(s) URL");
  return href;
}

bool IsLowerHex(std::string_view s, size_t size) {
  if (s.size() != size) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

Result<Handling> DecodeHandling(const json& deployment, const char* key, std::string_view what) {
  LARCH_ASSIGN_OR_RETURN(std::string value, RequiredString(deployment, key, what, "deployment."));
  if (value == "skip") return Handling::kSkip;
  if (value == "attempt") return Handling::kAttempt;
  if (value == "forced") return Handling::kForced;
  return Bad(what, std::string("deployment.") + key, "is '" + value + "', not skip, attempt or forced");
}

Result<Artifact> DecodeArtifact(const json& a, std::string_view what, const std::string& path) {
  if (!a.is_object()) return Bad(what, path, "is not an object");
  Artifact artifact;
  LARCH_ASSIGN_OR_RETURN(artifact.filename, RequiredString(a, "filename", what, path + "."));
  if (artifact.filename.empty() || artifact.filename.find('/') != std::string::npos || artifact.filename == "." ||
      artifact.filename == "..")
    return Bad(what, path + ".filename", "is not a plain file name");
  auto size = a.find("size");
  if (size == a.end() || !size->is_number_unsigned()) return Bad(what, path + ".size", "is not a byte count");
  artifact.size = size->get<uint64_t>();
  LARCH_ASSIGN_OR_RETURN(const json* hashes, OptionalObject(a, "hashes", what, path + "."));
  if (hashes == nullptr) return Bad(what, path + ".hashes", "is missing");
  LARCH_ASSIGN_OR_RETURN(artifact.sha256, RequiredString(*hashes, "sha256", what, path + ".hashes."));
  if (!IsLowerHex(artifact.sha256, 64)) {
    std::string lower = artifact.sha256;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!IsLowerHex(lower, 64)) return Bad(what, path + ".hashes.sha256", "is not 64 hex digits");
    artifact.sha256 = lower;
  }
  LARCH_ASSIGN_OR_RETURN(const json* links, OptionalObject(a, "_links", what, path + "."));
  if (links == nullptr) return Bad(what, path + "._links", "is missing");
  // Plain HTTP first when offered, as hawkBit's own clients do: the
  // artifact is checked against the SHA-256 of the (authenticated) action.
  LARCH_ASSIGN_OR_RETURN(artifact.href, LinkHref(*links, "download-http", what));
  if (artifact.href.empty()) {
    LARCH_ASSIGN_OR_RETURN(artifact.href, LinkHref(*links, "download", what));
  }
  if (artifact.href.empty()) return Bad(what, path + "._links", "has no download link");
  return artifact;
}

Result<Chunk> DecodeChunk(const json& c, std::string_view what, const std::string& path) {
  if (!c.is_object()) return Bad(what, path, "is not an object");
  Chunk chunk;
  LARCH_ASSIGN_OR_RETURN(const std::string* part, OptionalString(c, "part", what, path + "."));
  if (part) chunk.part = *part;
  LARCH_ASSIGN_OR_RETURN(const std::string* name, OptionalString(c, "name", what, path + "."));
  if (name) chunk.name = *name;
  LARCH_ASSIGN_OR_RETURN(const std::string* version, OptionalString(c, "version", what, path + "."));
  if (version) chunk.version = *version;
  auto artifacts = c.find("artifacts");
  if (artifacts == c.end() || artifacts->is_null()) return chunk;
  if (!artifacts->is_array()) return Bad(what, path + ".artifacts", "is not an array");
  for (size_t i = 0; i < artifacts->size(); ++i) {
    LARCH_ASSIGN_OR_RETURN(Artifact a, DecodeArtifact((*artifacts)[i], what, path + ".artifacts[" + std::to_string(i) + "]"));
    chunk.artifacts.push_back(std::move(a));
  }
  return chunk;
}

std::string LastPathSegment(std::string_view href) {
  href = href.substr(0, href.find_first_of("?#"));
  const size_t slash = href.rfind('/');
  return std::string(slash == std::string_view::npos ? href : href.substr(slash + 1));
}

}  // namespace

Result<uint32_t> ParsePollingSleep(std::string_view text) {
  uint32_t parts[3] = {0, 0, 0};
  size_t at = 0;
  for (int i = 0; i < 3; ++i) {
    const size_t end = i < 2 ? text.find(':', at) : text.size();
    if (end == std::string_view::npos || end == at) break;
    std::string_view digits = text.substr(at, end - at);
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), parts[i]);
    if (ec != std::errc() || ptr != digits.data() + digits.size() || (i > 0 && (digits.size() != 2 || parts[i] > 59)) ||
        parts[0] > 100000)
      break;
    if (i == 2) return parts[0] * 3600 + parts[1] * 60 + parts[2];
    at = end + 1;
  }
  return Status::InvalidArgument("polling interval '" + std::string(text) + "' is not HH:MM:SS");
}

Result<ControllerBase> DecodeControllerBase(std::string_view text) {
  constexpr std::string_view what = "controller base";
  LARCH_ASSIGN_OR_RETURN(json j, Parse(text, what));
  ControllerBase base;
  LARCH_ASSIGN_OR_RETURN(const json* config, OptionalObject(j, "config", what, ""));
  if (config == nullptr) return Bad(what, "config", "is missing");
  LARCH_ASSIGN_OR_RETURN(const json* polling, OptionalObject(*config, "polling", what, "config."));
  if (polling == nullptr) return Bad(what, "config.polling", "is missing");
  LARCH_ASSIGN_OR_RETURN(std::string sleep, RequiredString(*polling, "sleep", what, "config.polling."));
  LARCH_ASSIGN_OR_RETURN(base.poll_seconds, ParsePollingSleep(sleep));
  LARCH_ASSIGN_OR_RETURN(const json* links, OptionalObject(j, "_links", what, ""));
  if (links == nullptr) return base;
  LARCH_ASSIGN_OR_RETURN(base.deployment_href, LinkHref(*links, "deploymentBase", what));
  LARCH_ASSIGN_OR_RETURN(base.cancel_href, LinkHref(*links, "cancelAction", what));
  LARCH_ASSIGN_OR_RETURN(base.installed_href, LinkHref(*links, "installedBase", what));
  LARCH_ASSIGN_OR_RETURN(base.config_data_href, LinkHref(*links, "configData", what));
  return base;
}

Result<Deployment> DecodeDeployment(std::string_view text) {
  constexpr std::string_view what = "deploymentBase";
  LARCH_ASSIGN_OR_RETURN(json j, Parse(text, what));
  Deployment d;
  LARCH_ASSIGN_OR_RETURN(d.action_id, RequiredString(j, "id", what, ""));
  if (d.action_id.empty() || d.action_id.size() > 64) return Bad(what, "id", "is not an action id");
  LARCH_ASSIGN_OR_RETURN(const json* deployment, OptionalObject(j, "deployment", what, ""));
  if (deployment == nullptr) return Bad(what, "deployment", "is missing");
  LARCH_ASSIGN_OR_RETURN(d.download, DecodeHandling(*deployment, "download", what));
  LARCH_ASSIGN_OR_RETURN(d.update, DecodeHandling(*deployment, "update", what));
  LARCH_ASSIGN_OR_RETURN(const std::string* window,
                         OptionalString(*deployment, "maintenanceWindow", what, "deployment."));
  if (window != nullptr) {
    if (*window == "available") d.window = Window::kAvailable;
    else if (*window == "unavailable") d.window = Window::kUnavailable;
    else return Bad(what, "deployment.maintenanceWindow", "is '" + *window + "', not available or unavailable");
  }
  auto chunks = deployment->find("chunks");
  if (chunks == deployment->end() || !chunks->is_array()) return Bad(what, "deployment.chunks", "is not an array");
  for (size_t i = 0; i < chunks->size(); ++i) {
    LARCH_ASSIGN_OR_RETURN(Chunk c, DecodeChunk((*chunks)[i], what, "deployment.chunks[" + std::to_string(i) + "]"));
    d.chunks.push_back(std::move(c));
  }
  return d;
}

Result<CancelAction> DecodeCancelAction(std::string_view text) {
  constexpr std::string_view what = "cancelAction";
  LARCH_ASSIGN_OR_RETURN(json j, Parse(text, what));
  CancelAction c;
  LARCH_ASSIGN_OR_RETURN(c.id, RequiredString(j, "id", what, ""));
  LARCH_ASSIGN_OR_RETURN(const json* cancel, OptionalObject(j, "cancelAction", what, ""));
  if (cancel == nullptr) return Bad(what, "cancelAction", "is missing");
  LARCH_ASSIGN_OR_RETURN(c.stop_id, RequiredString(*cancel, "stopId", what, "cancelAction."));
  if (c.id.empty() || c.stop_id.empty() || c.stop_id.size() > 64) return Bad(what, "cancelAction.stopId", "is not an action id");
  return c;
}

Result<Pointer> DecodePointer(std::string_view text) {
  constexpr std::string_view what = "pointer artifact";
  LARCH_ASSIGN_OR_RETURN(json j, Parse(text, what));
  for (const auto& [key, value] : j.items()) {
    if (key != "format" && key != "remote" && key != "ref" && key != "commit" && key != "version")
      return Bad(what, key, "is not a pointer field (format, remote, ref, commit, version)");
  }
  LARCH_ASSIGN_OR_RETURN(std::string format, RequiredString(j, "format", what, ""));
  if (format != "larch-pointer-1") return Bad(what, "format", "is '" + format + "', not larch-pointer-1");
  Pointer p;
  LARCH_ASSIGN_OR_RETURN(p.remote, RequiredString(j, "remote", what, ""));
  LARCH_ASSIGN_OR_RETURN(p.ref, RequiredString(j, "ref", what, ""));
  LARCH_ASSIGN_OR_RETURN(p.commit, RequiredString(j, "commit", what, ""));
  LARCH_ASSIGN_OR_RETURN(const std::string* version, OptionalString(j, "version", what, ""));
  if (version) p.version = *version;
  if (p.remote.empty()) return Bad(what, "remote", "is empty");
  if (p.ref.empty()) return Bad(what, "ref", "is empty");
  if (!IsLowerHex(p.commit, 64)) return Bad(what, "commit", "is not a commit id (64 lower-case hex digits)");
  return p;
}

std::string EncodePointer(const Pointer& p) {
  json j = {{"format", "larch-pointer-1"}, {"remote", p.remote}, {"ref", p.ref}, {"commit", p.commit}};
  if (!p.version.empty()) j["version"] = p.version;
  return j.dump(2) + "\n";
}

Result<std::string> ActionIdFromHref(std::string_view href) {
  std::string id = LastPathSegment(href);
  if (id.empty() || id.size() > 64) return Status::InvalidArgument("link '" + std::string(href) + "' names no action");
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_')
      return Status::InvalidArgument("link '" + std::string(href) + "' names no action");
  return id;
}

std::string_view ExecutionName(Execution e) {
  switch (e) {
    case Execution::kProceeding: return "proceeding";
    case Execution::kDownload: return "download";
    case Execution::kDownloaded: return "downloaded";
    case Execution::kClosed: return "closed";
    case Execution::kCanceled: return "canceled";
    case Execution::kRejected: return "rejected";
    case Execution::kScheduled: return "scheduled";
    case Execution::kResumed: return "resumed";
  }
  return "proceeding";
}

std::string_view FinishedName(Finished f) {
  switch (f) {
    case Finished::kNone: return "none";
    case Finished::kSuccess: return "success";
    case Finished::kFailure: return "failure";
  }
  return "none";
}

std::string EncodeFeedback(const Feedback& f, std::string_view time) {
  json result = {{"finished", FinishedName(f.finished)}};
  if (f.progress) result["progress"] = {{"cnt", f.progress->first}, {"of", f.progress->second}};
  json status = {{"execution", ExecutionName(f.execution)}, {"result", result}, {"details", f.details}};
  json j = {{"id", f.action_id}, {"time", time}, {"status", status}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string EncodeConfigData(const std::map<std::string, std::string>& attributes) {
  json j = {{"mode", "merge"}, {"data", attributes}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace larch::hawkbit
