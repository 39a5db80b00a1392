// File: repo/delta/apply_in_memory.h
//
// The in-memory form of a streamed patch applier (bsdiff, ELF): the patch
// and the result both in memory, for small files, tests and fuzzers. The
// device applies big files through the streamed forms and never calls this.
#pragma once

#include <functional>

#include "repo/delta/byte_source.h"
#include "src/base/bytes.h"
#include "src/base/result.h"
#include "src/compress/zstd_stream.h"

namespace larch::delta {

// Reads the patch through `apply`, collecting what it writes; a patch with
// bytes left after `apply` is done is refused with `trailing` (a patch says
// how long it is: more is corruption, not padding to ignore).
Result<Bytes> ApplyInMemory(ByteSpan patch, size_t target_size,
                            const std::function<Status(ByteSource&, const compress::Sink&)>& apply,
                            const Status& trailing);

}  // namespace larch::delta
