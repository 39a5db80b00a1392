// File: src/base/units.h
// The one parser for sizes, durations and counts people type: command-line
// options (--max-rate 1M, --lifetime 7d, --limit 50) and config files
// (larch.conf's min-free-space=512M) all accept the same forms and refuse
// the same mistakes, with the same message.
#pragma once

#include <cstdint>
#include <limits>
#include <string_view>

#include "src/base/result.h"

namespace larch {

// "4096", "500k", "1M", "2G", "1T": bytes, the suffix a binary unit (k =
// 1024, as curl's --limit-rate and larch.conf), upper or lower case. Refuses
// signs, spaces, fractions, other suffixes, and values above `max` (an
// overflow of 64 bits included) with InvalidArgument naming the text; the
// caller prefixes what it was ("--max-rate: ...").
Result<uint64_t> ParseSize(std::string_view text, uint64_t max = std::numeric_limits<uint64_t>::max());

// "3600", "45s", "90m", "12h", "7d": seconds. The same refusals as ParseSize.
Result<uint64_t> ParseDuration(std::string_view text, uint64_t max = std::numeric_limits<uint64_t>::max());

// "0", "3", "20": a count or an index, decimal digits only (no sign, no
// suffix, no "0x"), at most `max`. The same refusals as ParseSize.
Result<uint64_t> ParseCount(std::string_view text, uint64_t max = std::numeric_limits<uint64_t>::max());

}  // namespace larch
