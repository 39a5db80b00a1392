// File: repo/delta/apply_in_memory.cc
#include "repo/delta/apply_in_memory.h"

#include <algorithm>

#include "repo/delta/limits.h"

namespace larch::delta {

Result<Bytes> ApplyInMemory(ByteSpan patch, size_t target_size,
                            const std::function<Status(ByteSource&, const compress::Sink&)>& apply,
                            const Status& trailing) {
  SpanSource src(patch);
  Bytes out;
  // target_size comes from the patch's operation, not yet proven: a hostile
  // one may claim terabytes. Reserve what a real in-memory patch can reach
  // and let anything bigger grow as the patch really produces it (every
  // produced byte costs a patch byte or a base byte, and both are bounded).
  out.reserve(std::min<size_t>(target_size, kMaxPatchInput));
  LARCH_RETURN_IF_ERROR(apply(src, [&](ByteSpan chunk) {
    out.insert(out.end(), chunk.begin(), chunk.end());
    return Status::Ok();
  }));
  uint8_t extra;
  LARCH_ASSIGN_OR_RETURN(size_t n, src.Read(MutableByteSpan(&extra, 1)));
  if (n != 0) return trailing;
  return out;
}

}  // namespace larch::delta
