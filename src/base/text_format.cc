// File: src/base/text_format.cc
#include "src/base/text_format.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <ctime>

namespace larch {

std::string FormatUtc(uint64_t epoch_seconds) {
  // fmt::gmtime is the thread-safe gmtime_r behind a value-returning call.
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(static_cast<std::time_t>(epoch_seconds)));
}

std::string FormatMib(uint64_t bytes) {
  return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20));
}

}  // namespace larch
