#include "src/compress/zstd_dict.h"

#define ZDICT_STATIC_LINKING_ONLY
#include <zdict.h>
#include <zstd.h>

#include <string>

namespace larch::compress {

Result<std::shared_ptr<const ZstdDictionary>> ZstdDictionary::Load(Bytes content, int level) {
  uint32_t id = ZSTD_getDictID_fromDict(content.data(), content.size());
  if (id == 0) return Status::Corruption("zstd dictionary: not a dictionary (no id)");
  std::shared_ptr<ZstdDictionary> dict(new ZstdDictionary());
  dict->id_ = id;
  dict->content_ = std::move(content);
  dict->cdict_ = ZSTD_createCDict(dict->content_.data(), dict->content_.size(), level);
  dict->ddict_ = ZSTD_createDDict(dict->content_.data(), dict->content_.size());
  if (dict->cdict_ == nullptr || dict->ddict_ == nullptr)
    return Status::Corruption("zstd dictionary " + std::to_string(id) + " does not load");
  return std::shared_ptr<const ZstdDictionary>(std::move(dict));
}

ZstdDictionary::~ZstdDictionary() {
  ZSTD_freeCDict(cdict_);
  ZSTD_freeDDict(ddict_);
}

Result<Bytes> TrainDictionary(const std::vector<Bytes>& samples, size_t max_size,
                              uint32_t dict_id, int level) {
  if (dict_id < kMinDictionaryId || dict_id > kMaxDictionaryId)
    return Status::InvalidArgument("zstd dictionary id out of range");
  Bytes flat;
  std::vector<size_t> sizes;
  for (const Bytes& s : samples) {
    flat.insert(flat.end(), s.begin(), s.end());
    sizes.push_back(s.size());
  }
  ZDICT_fastCover_params_t params{};
  params.k = 1024;  // segment size; d and f as zstd's own defaults
  params.d = 8;
  params.f = 20;
  params.accel = 4;  // trades a little ratio for ~4x faster training
  params.splitPoint = 1.0;
  params.zParams.compressionLevel = level;
  params.zParams.dictID = dict_id;
  Bytes dict(max_size);
  size_t n = ZDICT_trainFromBuffer_fastCover(dict.data(), dict.size(), flat.data(), sizes.data(),
                                             static_cast<unsigned>(sizes.size()), params);
  if (ZDICT_isError(n))
    return Status::InvalidArgument(std::string("zstd dictionary training: ") +
                                   ZDICT_getErrorName(n));
  dict.resize(n);
  return dict;
}

uint32_t FrameDictionaryId(ByteSpan frame_head) {
  return ZSTD_getDictID_fromFrame(frame_head.data(), frame_head.size());
}

}  // namespace larch::compress
