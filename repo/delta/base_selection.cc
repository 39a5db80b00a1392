// File: repo/delta/base_selection.cc
#include "repo/delta/base_selection.h"

#include <cctype>

namespace larch::delta {

namespace {

std::string_view BaseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

uint64_t Distance(uint64_t a, uint64_t b) { return a > b ? a - b : b - a; }

std::optional<BaseCandidate> Closest(const std::vector<BaseCandidate>& list, uint64_t size) {
  const BaseCandidate* best = nullptr;
  for (const BaseCandidate& c : list)
    if (best == nullptr || Distance(c.size, size) < Distance(best->size, size)) best = &c;
  if (best == nullptr) return std::nullopt;
  return *best;
}

}  // namespace

std::string StripVersion(std::string_view name) {
  std::string out;
  for (char c : name)
    if (!std::isdigit(static_cast<unsigned char>(c))) out += c;
  return out;
}

void BaseIndex::Add(const BaseCandidate& file) {
  by_path_[file.path] = file;
  by_stripped_path_[StripVersion(file.path)].push_back(file);
  by_stripped_name_[StripVersion(BaseName(file.path))].push_back(file);
}

std::optional<BaseCandidate> BaseIndex::Select(const std::string& path, uint64_t target_size) const {
  if (auto it = by_path_.find(path); it != by_path_.end()) return it->second;
  if (auto it = by_stripped_path_.find(StripVersion(path)); it != by_stripped_path_.end())
    return Closest(it->second, target_size);
  if (auto it = by_stripped_name_.find(StripVersion(BaseName(path))); it != by_stripped_name_.end())
    return Closest(it->second, target_size);
  return std::nullopt;
}

}  // namespace larch::delta
