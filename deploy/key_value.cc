// File: deploy/key_value.cc
#include "deploy/key_value.h"

#include <algorithm>

namespace larch::deploy {

Result<KeyValues> ParseKeyValues(std::string_view text, const std::vector<std::string_view>& known_keys,
                                 const std::string& what) {
  KeyValues out;
  size_t line_no = 0;
  auto bad = [&](const std::string& why) {
    return Status::Corruption(what + ": line " + std::to_string(line_no) + ": " + why);
  };
  while (!text.empty()) {
    ++line_no;
    size_t nl = text.find('\n');
    if (nl == std::string_view::npos) return bad("no newline at the end");
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    if (line.find('\r') != std::string_view::npos || line.find('\0') != std::string_view::npos)
      return bad("carriage return or NUL byte");
    if (line.empty() || line[0] == '#') continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) return bad("not key=value");
    std::string_view key = line.substr(0, eq);
    if (std::find(known_keys.begin(), known_keys.end(), key) == known_keys.end())
      return bad("unknown key '" + std::string(key) + "'");
    if (!out.emplace(std::string(key), std::string(line.substr(eq + 1))).second)
      return bad("key '" + std::string(key) + "' given twice");
  }
  return out;
}

}  // namespace larch::deploy
