// File: repo/pull/fetched_file.h
//
// A file object as a remote serves it (archive form: header frame, then one
// zstd frame, or nothing for a symlink), checked before anything uses it:
// the header's size against the signed tree's, the content decompressed
// with at most that many bytes, and SHA-256 of header and content against
// the id. The one decoder of fetched file objects, for pull and repair.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "repo/objects/file_header.h"
#include "repo/objects/object_id.h"
#include "src/compress/zstd_dict.h"

namespace larch::pull {

// The dictionary a zstd frame names, by the frame's first bytes (null for
// a frame without one).
using DictionaryLookup = std::function<Result<std::shared_ptr<const compress::ZstdDictionary>>(ByteSpan frame_head)>;

// kCorruption, naming `what`, when anything does not hold.
Status DecodeFetchedFile(ByteSpan bytes, const repo::ObjectId& id, uint64_t size, const std::string& what,
                         const DictionaryLookup& dictionary, repo::FileHeader* header, Bytes* content);

// The most bytes a fetched object of `size` content bytes may take.
uint64_t FetchedFileLimit(uint64_t size);

}  // namespace larch::pull
