// File: repo/store_config.h
// StoreConfig: the store's `config` file, a few "key=value" lines:
//   format=larch-store-1
//   mode=archive|bare
//   compression-level=N      (archive only; zstd level 1..19)
//   dictionary=XXXXXXXX      (archive only, optional) id, in 8 hex digits, of
//                            the zstd dictionary new file objects use
//   verity=off|opportunistic|required   (bare only, optional; off when absent)
//                            whether file objects are sealed with fs-verity
//                            as they enter the store (docs/verity.md)
// The parser is the one decoder of that file: unknown keys, duplicate keys,
// missing mode or malformed lines are errors naming the line.
#pragma once

#include <cstdint>
#include <string>

#include "src/base/bytes.h"
#include "src/base/result.h"

namespace larch::repo {

enum class StoreMode { kArchive, kBare };

std::string_view StoreModeName(StoreMode mode);
Result<StoreMode> ParseStoreMode(std::string_view name);

// What a bare store does with fs-verity as file objects enter it:
//   off            nothing (archive stores: always)
//   opportunistic  seal where the filesystem can; go on unsealed where not
//   required       refuse to store a file object it cannot seal
enum class VerityMode { kOff, kOpportunistic, kRequired };

std::string_view VerityModeName(VerityMode mode);
Result<VerityMode> ParseVerityMode(std::string_view name);

struct StoreConfig {
  StoreMode mode = StoreMode::kArchive;
  int compression_level = 7;
  uint32_t dictionary = 0;  // 0: none yet
  VerityMode verity = VerityMode::kOff;
  bool operator==(const StoreConfig&) const = default;
};

inline constexpr std::string_view kStoreFormat = "larch-store-1";

std::string EncodeStoreConfig(const StoreConfig& config);
Result<StoreConfig> DecodeStoreConfig(std::string_view text);

}  // namespace larch::repo
