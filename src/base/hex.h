// File: src/base/hex.h
// Lower-case hexadecimal, the only textual form of checksums.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "src/base/bytes.h"

namespace larch {

std::string HexEncode(ByteSpan data);
// Accepts lower-case hex only (canonical form); nullopt on anything else.
std::optional<Bytes> HexDecode(std::string_view hex);

}  // namespace larch
