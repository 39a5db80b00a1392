// File: repo/delta/object_content.cc
#include "repo/delta/object_content.h"

#include "repo/file_object.h"

namespace larch::delta {

Result<Bytes> ReadObjectContent(const repo::Store& store, const repo::ObjectId& id,
                                const repo::FileHeader& header) {
  Bytes out;
  out.reserve(static_cast<size_t>(header.size));
  LARCH_RETURN_IF_ERROR(repo::ReadFileObjectContent(store, id, header, [&](ByteSpan chunk) {
    out.insert(out.end(), chunk.begin(), chunk.end());
    return Status::Ok();
  }));
  return out;
}

}  // namespace larch::delta
