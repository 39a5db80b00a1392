// File: repo/delta/elf_patch.h
//
// The ELF engine (in the spirit of Chrome's Courgette and Zucchini): the
// base with its references rewritten to absolute targets mapped into the
// target's layout, the target with its references rewritten to absolute
// targets (elf_refs.h), and a bsdiff patch between the two. Code that only
// moved then diffs as equal bytes. The patch is the header
// (elf_patch_header.h) followed by the bsdiff blocks.
//
// Applying streams in bounded memory: the rewritten base is produced
// sequentially into scratch space the caller provides (a temporary file on
// a device), the bsdiff blocks are applied against it with positioned
// reads, and the rewrite is undone on the output as it is handed on.
#pragma once

#include <functional>
#include <memory>

#include "repo/delta/byte_source.h"
#include "repo/delta/random_access.h"
#include "src/base/bytes.h"
#include "src/base/result.h"
#include "src/compress/zstd_stream.h"

namespace larch::delta {

// kUnsupported unless both files are ELF of the same supported machine
// within the rewrite's limits. `raw_bsdiff`: a bsdiff patch of base against
// target as they are, whose matches give the address map. The result is
// applied once before it is returned: a patch that does not reproduce the
// target is never handed out (kUnsupported, so the caller falls back).
Result<Bytes> ElfPatchCreate(ByteSpan base, ByteSpan target, ByteSpan raw_bsdiff);

// Takes bytes handed to the sink `produce` is given and keeps them where
// they can be read back at any position.
using ScratchWriter = std::function<Status(const compress::Sink&)>;
using Scratch = std::function<Result<std::unique_ptr<RandomAccess>>(const ScratchWriter& produce)>;

// Strict (kCorruption on a malformed patch). Reads the header and the
// bsdiff blocks that make target_size bytes; the caller checks that
// nothing follows.
Status ElfPatchApplyStream(RandomAccess& base, ByteSource& patch, uint64_t target_size,
                           const compress::Sink& out, const Scratch& scratch);
// The same in memory; the patch must end with its last block.
Result<Bytes> ElfPatchApply(ByteSpan base, ByteSpan patch, size_t target_size);

}  // namespace larch::delta
