// File: deploy/key_value.h
//
// The line syntax shared by the sysroot's small text files (larch.conf,
// <deployment>.origin): "key=value" lines, each ending in "\n"; '#' starts a
// comment line; blank lines are allowed. Stricter than it needs to be on
// purpose: a key the reader does not know, a key given twice, a line
// without '=', a CR or a NUL is an error naming the file and the line, so a
// typo never silently falls back to a default.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "src/base/result.h"

namespace larch::deploy {

using KeyValues = std::map<std::string, std::string, std::less<>>;

// `what` names the file in messages ("sysroot config /ostree/larch.conf").
// Errors are kCorruption.
Result<KeyValues> ParseKeyValues(std::string_view text, const std::vector<std::string_view>& known_keys,
                                 const std::string& what);

}  // namespace larch::deploy
