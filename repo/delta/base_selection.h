// File: repo/delta/base_selection.h
//
// Which file of the old tree a changed file is patched against:
//   1. the file at the same path;
//   2. else the file whose path is the same once version numbers are
//      removed (/usr/lib/x86_64-linux-gnu/libfoo.so.3.0.11 for
//      .../libfoo.so.3.0.13; /usr/lib/modules/6.1.0-13/x.ko for .../6.1.0-15/x.ko);
//   3. else a file of the same name without version numbers anywhere in
//      the tree, the closest in size;
//   4. else none (the file travels whole).
// Only regular files with content, within kMaxBsdiffBase, are bases.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "repo/objects/object_id.h"

namespace larch::delta {

// Every run of decimal digits removed: "libfoo.so.3.0.11" -> "libfoo.so...".
std::string StripVersion(std::string_view name);

struct BaseCandidate {
  std::string path;  // "/usr/lib/libfoo.so.3"
  repo::ObjectId id;
  uint64_t size = 0;
};

class BaseIndex {
 public:
  // Files of the old tree that may serve as bases.
  void Add(const BaseCandidate& file);
  std::optional<BaseCandidate> Select(const std::string& path, uint64_t target_size) const;

 private:
  std::map<std::string, BaseCandidate> by_path_;
  std::map<std::string, std::vector<BaseCandidate>> by_stripped_path_;
  std::map<std::string, std::vector<BaseCandidate>> by_stripped_name_;
};

}  // namespace larch::delta
