// File: src/compress/zstd_dict.h
//
// ZstdDictionary: a trained zstd dictionary, ready for compression (a CDict
// at a fixed level) and decompression (a DDict). A root filesystem is mostly
// small files that compress poorly one by one; a dictionary trained on a
// sample of them gives each file the context of all the others (~30% smaller
// small files on a Debian tree; figures in docs/benchmarks.md). Both halves
// are read-only after Load and shared by every thread.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "src/base/bytes.h"
#include "src/base/result.h"

struct ZSTD_CDict_s;
struct ZSTD_DDict_s;

namespace larch::compress {

class ZstdDictionary {
 public:
  // Validates `content` (a zstd dictionary with a non-zero id) and builds
  // its compression tables for `level`.
  static Result<std::shared_ptr<const ZstdDictionary>> Load(Bytes content, int level);
  ~ZstdDictionary();
  ZstdDictionary(const ZstdDictionary&) = delete;
  ZstdDictionary& operator=(const ZstdDictionary&) = delete;

  uint32_t id() const { return id_; }
  const Bytes& content() const { return content_; }
  const ZSTD_CDict_s* cdict() const { return cdict_; }
  const ZSTD_DDict_s* ddict() const { return ddict_; }

 private:
  ZstdDictionary() = default;
  uint32_t id_ = 0;
  Bytes content_;
  ZSTD_CDict_s* cdict_ = nullptr;
  ZSTD_DDict_s* ddict_ = nullptr;
};

// Trains a dictionary of at most max_size bytes from samples (fastCover: a
// fraction of a second on tens of MiB). `dict_id` must be in
// [kMinDictionaryId, kMaxDictionaryId]; zstd reserves the other values.
inline constexpr uint32_t kMinDictionaryId = 32768;
inline constexpr uint32_t kMaxDictionaryId = 0x7fffffff;
Result<Bytes> TrainDictionary(const std::vector<Bytes>& samples, size_t max_size,
                              uint32_t dict_id, int level);

// The dictionary id a zstd frame needs, from its first bytes (at most 18
// are read); 0 when it needs none or the bytes are no frame header (the
// decoder then reports the real problem).
uint32_t FrameDictionaryId(ByteSpan frame_head);

}  // namespace larch::compress
