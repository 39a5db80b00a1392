// File: src/base/units.cc
#include "src/base/units.h"

#include <charconv>
#include <string>

namespace larch {

namespace {

struct Unit {
  char suffix;
  uint64_t scale;
};

// Digits, then at most one suffix from `units` (no suffix: scale 1).
Result<uint64_t> ParseScaled(std::string_view text, uint64_t max, std::initializer_list<Unit> units,
                             const char* expected, const char* base_unit) {
  const std::string shown(text);
  uint64_t scale = 1;
  if (!text.empty() && !(text.back() >= '0' && text.back() <= '9')) {
    const char s = static_cast<char>(text.back() | 0x20);  // ASCII lower case
    scale = 0;
    for (const Unit& u : units)
      if (u.suffix == s) scale = u.scale;
    text.remove_suffix(1);
  }
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  const bool digits_only = !text.empty() && end == text.data() + text.size();
  if (scale == 0 || !digits_only || (ec != std::errc() && ec != std::errc::result_out_of_range))
    return Status::InvalidArgument(std::string("expects ") + expected + ", got '" + shown + "'");
  // Checked before multiplying: value * scale must not wrap around.
  if (ec == std::errc::result_out_of_range || value > max / scale)
    return Status::InvalidArgument("'" + shown + "' is too large (at most " + std::to_string(max) + base_unit + ")");
  return value * scale;
}

}  // namespace

Result<uint64_t> ParseSize(std::string_view text, uint64_t max) {
  return ParseScaled(text, max, {{'k', 1ull << 10}, {'m', 1ull << 20}, {'g', 1ull << 30}, {'t', 1ull << 40}},
                     "a size in bytes like 4096, 500k, 1M or 2G", " bytes");
}

Result<uint64_t> ParseDuration(std::string_view text, uint64_t max) {
  return ParseScaled(text, max, {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}},
                     "a duration like 3600, 90m, 12h or 7d", " seconds");
}

Result<uint64_t> ParseCount(std::string_view text, uint64_t max) {
  return ParseScaled(text, max, {}, "a whole number like 0, 3 or 20", "");
}

}  // namespace larch
