#include "repo/store_config.h"

#include <charconv>
#include <cstdio>
#include <set>

namespace larch::repo {

std::string_view StoreModeName(StoreMode mode) {
  return mode == StoreMode::kArchive ? "archive" : "bare";
}

Result<StoreMode> ParseStoreMode(std::string_view name) {
  if (name == "archive") return StoreMode::kArchive;
  if (name == "bare") return StoreMode::kBare;
  return Status::InvalidArgument("unknown store mode \"" + std::string(name) +
                                 "\" (expected archive or bare)");
}

std::string_view VerityModeName(VerityMode mode) {
  switch (mode) {
    case VerityMode::kOff: return "off";
    case VerityMode::kOpportunistic: return "opportunistic";
    case VerityMode::kRequired: return "required";
  }
  return "off";
}

Result<VerityMode> ParseVerityMode(std::string_view name) {
  if (name == "off") return VerityMode::kOff;
  if (name == "opportunistic") return VerityMode::kOpportunistic;
  if (name == "required") return VerityMode::kRequired;
  return Status::InvalidArgument("unknown verity mode \"" + std::string(name) +
                                 "\" (expected off, opportunistic or required)");
}

std::string EncodeStoreConfig(const StoreConfig& config) {
  std::string out = "format=" + std::string(kStoreFormat) + "\n";
  out += "mode=" + std::string(StoreModeName(config.mode)) + "\n";
  out += "compression-level=" + std::to_string(config.compression_level) + "\n";
  if (config.dictionary != 0) {
    char hex[9];
    std::snprintf(hex, sizeof(hex), "%08x", config.dictionary);
    out += "dictionary=" + std::string(hex) + "\n";
  }
  // Written only when on, so a store that never asked for it reads the same
  // to a Larch that predates the key.
  if (config.verity != VerityMode::kOff) out += "verity=" + std::string(VerityModeName(config.verity)) + "\n";
  return out;
}

static Status ApplyConfigLine(std::string_view key, std::string_view value,
                              StoreConfig& config) {
  if (key == "format") {
    if (value != kStoreFormat)
      return Status::Unsupported("store format \"" + std::string(value) +
                                 "\" is not " + std::string(kStoreFormat));
    return Status::Ok();
  }
  if (key == "mode") {
    Result<StoreMode> mode = ParseStoreMode(value);
    if (!mode.ok()) return Status::Corruption(mode.status().message());
    config.mode = *mode;
    return Status::Ok();
  }
  if (key == "compression-level") {
    int level = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), level);
    if (ec != std::errc() || ptr != value.data() + value.size() || level < 1 || level > 19)
      return Status::Corruption("compression-level must be 1..19, got \"" +
                                std::string(value) + "\"");
    config.compression_level = level;
    return Status::Ok();
  }
  if (key == "dictionary") {
    uint32_t id = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), id, 16);
    if (value.size() != 8 || ec != std::errc() || ptr != value.data() + value.size() || id == 0)
      return Status::Corruption("dictionary must be 8 hex digits, got \"" + std::string(value) + "\"");
    config.dictionary = id;
    return Status::Ok();
  }
  if (key == "verity") {
    Result<VerityMode> mode = ParseVerityMode(value);
    if (!mode.ok()) return Status::Corruption(mode.status().message());
    config.verity = *mode;
    return Status::Ok();
  }
  return Status::Corruption("unknown key \"" + std::string(key) + "\"");
}

Result<StoreConfig> DecodeStoreConfig(std::string_view text) {
  StoreConfig config;
  std::set<std::string, std::less<>> seen;
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    size_t nl = text.find('\n');
    if (nl == std::string_view::npos)
      return Status::Corruption("store config: line " + std::to_string(line_no) +
                                " has no newline");
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    size_t eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0)
      return Status::Corruption("store config: line " + std::to_string(line_no) +
                                " is not key=value");
    std::string_view key = line.substr(0, eq);
    if (!seen.insert(std::string(key)).second)
      return Status::Corruption("store config: duplicate key \"" + std::string(key) + "\"");
    Status s = ApplyConfigLine(key, line.substr(eq + 1), config);
    if (!s.ok()) return s.WithContext("store config line " + std::to_string(line_no));
  }
  if (!seen.contains("format") || !seen.contains("mode"))
    return Status::Corruption("store config: missing format or mode");
  // An archive store holds compressed objects: there is no file to seal.
  if (config.mode == StoreMode::kArchive && config.verity != VerityMode::kOff)
    return Status::Corruption("store config: verity=" + std::string(VerityModeName(config.verity)) +
                              " needs a bare store (this one is archive)");
  return config;
}

}  // namespace larch::repo
