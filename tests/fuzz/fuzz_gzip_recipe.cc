// File: tests/fuzz/fuzz_gzip_recipe.cc
// The gzip recipe decoder and both encoders behind it. The first bytes are
// a recipe: anything accepted must re-encode byte for byte. The rest is
// content: the member the recipe rebuilds from it must be a plain gzip
// member that decompresses to exactly that content (the GNU gzip encoder's
// round trip on hostile input: every window, block and tree path).
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "repo/delta/gzip_recipe.h"
#include "src/encoding/encoding.h"
#include "tests/fuzz/canonical_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const larch::ByteSpan input(data, size);
  if (size < larch::delta::kGzipRecipeSize) return 0;
  larch::encoding::Decoder dec(input.first(larch::delta::kGzipRecipeSize), "fuzz");
  auto recipe = larch::delta::DecodeGzipRecipe(dec);
  if (!recipe.ok()) return 0;
  larch::encoding::Encoder enc;
  larch::delta::EncodeGzipRecipe(enc, *recipe);
  larch::fuzz::TrapUnlessSame(input.first(larch::delta::kGzipRecipeSize), enc.bytes());
  const larch::ByteSpan content = input.subspan(larch::delta::kGzipRecipeSize);
  auto member = larch::delta::RebuildGzip(*recipe, content);
  if (!member.ok()) __builtin_trap();
  auto back = larch::delta::Gunzip(*member, content.size());
  if (!back.ok() || !std::equal(back->begin(), back->end(), content.begin(), content.end())) __builtin_trap();
  return 0;
}
