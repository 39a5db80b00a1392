// File: tools/larch/common.cc
// Helpers shared by the verbs: opening the store, formatting, JSON.
#include <sys/stat.h>

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>

#include "src/base/units.h"
#include "tools/larch/command.h"
#include "src/base/text_format.h"
#include "src/fs/fs.h"

namespace larch::cli {

Result<std::unique_ptr<repo::Store>> OpenStore(const GlobalOptions& global) {
  // --repo, $LARCH_REPO or "." alike: errors name the absolute path.
  return repo::Store::Open(*fs::DefaultFs(), AbsolutePathOf(global.repo));
}

std::string AbsolutePathOf(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  std::error_code ec;
  std::filesystem::path p = std::filesystem::absolute(path, ec);
  if (ec) return path;  // no working directory: keep what was given
  if (p.filename() == ".") p = p.parent_path();
  return p.string();
}

const CLI::Validator& AsAbsolutePath() {
  static const CLI::Validator absolute(
      [](std::string& path) {
        path = AbsolutePathOf(path);
        return std::string();
      },
      "", "absolute path");
  return absolute;
}

Result<std::unique_ptr<trust::TrustState>> OpenTrustState(const repo::Store& store) {
  return trust::TrustState::Open(trust::TrustState::DefaultPath(store));
}

namespace {

// A transform, not a throwing callback: CLI11 reports what it returns as
// "--max-rate: expects a size ..." (main.cc keeps exceptions to itself). The
// text becomes the plain decimal value for CLI11 to convert.
CLI::Validator UnitsValidator(std::function<Result<uint64_t>(std::string_view)> parse, const std::string& desc,
                              const std::string& name) {
  return CLI::Validator(
      [parse = std::move(parse)](std::string& text) -> std::string {
        Result<uint64_t> n = parse(text);
        if (!n.ok()) return n.status().message();
        text = std::to_string(*n);
        return {};
      },
      desc, name);
}

}  // namespace

CLI::Option* AddSizeOption(CLI::App* app, const std::string& name, uint64_t& bytes, const std::string& help) {
  return app->add_option(name, bytes, help)->transform(UnitsValidator([](std::string_view t) { return ParseSize(t); }, "SIZE", "size"))
      ->type_name("SIZE");
}

CLI::Validator CountValidator(uint64_t max) {
  return UnitsValidator([max](std::string_view t) { return ParseCount(t, max); }, "", "count");
}

std::string FormatTime(uint64_t epoch_seconds) { return FormatUtc(epoch_seconds); }

std::string FormatMode(uint32_t mode) {
  std::string s = S_ISDIR(mode) ? "d" : S_ISLNK(mode) ? "l" : "-";
  const char* rwx = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i) s += (mode & (0400u >> i)) ? rwx[i] : '-';
  if (mode & S_ISUID) s[3] = (mode & S_IXUSR) ? 's' : 'S';
  if (mode & S_ISGID) s[6] = (mode & S_IXGRP) ? 's' : 'S';
  if (mode & S_ISVTX) s[9] = (mode & S_IXOTH) ? 't' : 'T';
  return s;
}

std::string FormatBytes(uint64_t bytes) {
  if (bytes < 10000) return fmt::format("{} B", bytes);
  if (bytes < 10'000'000) return fmt::format("{:.1f} kB", static_cast<double>(bytes) / 1e3);
  return fmt::format("{:.1f} MB", static_cast<double>(bytes) / 1e6);
}

nlohmann::json CommitToJson(const repo::ObjectId& id, const repo::Commit& commit) {
  nlohmann::json j;
  j["commit"] = id.Hex();
  j["parent"] = commit.parent ? nlohmann::json(commit.parent->Hex()) : nlohmann::json(nullptr);
  j["timestamp"] = commit.timestamp;
  j["date"] = FormatTime(commit.timestamp);
  j["subject"] = commit.subject;
  j["body"] = commit.body;
  j["root_tree"] = commit.root_tree.Hex();
  j["root_meta"] = commit.root_meta.Hex();
  j["metadata"] = commit.metadata;
  return j;
}

void PrintJson(const nlohmann::json& value) {
  // Names come from filesystems and may not be UTF-8: replace, never throw.
  std::string text = value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
}

}  // namespace larch::cli
