// File: src/base/text_format.h
// Text forms of values that several layers print: one definition each, so
// the CLI's output, error messages and the trust checks agree. Built on fmt
// (docs/decisions.md, "Dependencies").
#pragma once

#include <cstdint>
#include <string>

namespace larch {

// ISO 8601 in UTC, to the second: "2026-11-21T22:26:20Z".
std::string FormatUtc(uint64_t epoch_seconds);

// Bytes in binary megabytes with one decimal: "12.3 MiB" (space checks,
// where the figures are compared with df's).
std::string FormatMib(uint64_t bytes);

}  // namespace larch
