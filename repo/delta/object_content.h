// File: repo/delta/object_content.h
// A stored file object's content in memory (re-hashed while read), for the
// engines, which need whole inputs. Callers bound the size first.
#pragma once

#include "repo/objects/file_header.h"
#include "repo/store.h"

namespace larch::delta {

Result<Bytes> ReadObjectContent(const repo::Store& store, const repo::ObjectId& id,
                                const repo::FileHeader& header);

}  // namespace larch::delta
