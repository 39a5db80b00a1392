// File: repo/pull/fetched_file.cc
#include "repo/pull/fetched_file.h"

#include <zstd.h>

#include "repo/file_object.h"
#include "repo/objects/limits.h"
#include "src/compress/zstd_stream.h"

namespace larch::pull {

uint64_t FetchedFileLimit(uint64_t size) { return 4 + repo::kMaxFileHeaderSize + ZSTD_compressBound(size) + 1024; }

Status DecodeFetchedFile(ByteSpan bytes, const repo::ObjectId& id, uint64_t size, const std::string& what,
                         const DictionaryLookup& dictionary, repo::FileHeader* header, Bytes* content) {
  LARCH_ASSIGN_OR_RETURN(repo::ParsedHeaderFrame frame, repo::DecodeFileHeaderFrame(bytes));
  if (frame.header.size != size) {
    return Status::Corruption(what + ": its header says " + std::to_string(frame.header.size) +
                              " bytes, the signed tree says " + std::to_string(size));
  }
  ByteSpan compressed = bytes.subspan(frame.frame_size);
  content->clear();
  if (frame.header.kind == repo::FileKind::kRegular) {
    LARCH_ASSIGN_OR_RETURN(auto dict, dictionary(compressed));
    auto sink = [content](ByteSpan chunk) {
      content->insert(content->end(), chunk.begin(), chunk.end());
      return Status::Ok();
    };
    LARCH_ASSIGN_OR_RETURN(auto z, compress::ZstdDecompressStream::Create(size, sink, dict.get()));
    LARCH_RETURN_IF_ERROR(z->Write(compressed).WithContext(what));
    LARCH_RETURN_IF_ERROR(z->Finish().WithContext(what));
  } else if (!compressed.empty()) {
    return Status::Corruption(what + ": trailing bytes after a symlink's header");
  }
  if (content->size() != size || repo::ObjectId(repo::HashFileObject(frame.header, *content)) != id)
    return Status::Corruption(what + " does not match its id");
  *header = frame.header;
  return Status::Ok();
}

}  // namespace larch::pull
