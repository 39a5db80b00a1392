// File: tests/fuzz/fuzz_ref_file.cc
// Ref files and ref names: an accepted ref file is exactly the canonical
// "<64 hex>\n" of its id; ref-name validation never crashes and never
// accepts "..", an empty component or a NUL.
#include <cstddef>
#include <cstdint>
#include <string>

#include "repo/refs.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const larch::ByteSpan input(data, size);
  auto id = larch::repo::DecodeRefFile(input);
  if (id.ok() && id->Hex() + "\n" != std::string(reinterpret_cast<const char*>(data), size))
    __builtin_trap();
  std::string name(reinterpret_cast<const char*>(data), size);
  if (!larch::repo::ValidateRefName(name).ok()) return 0;
  if (name.find('\0') != std::string::npos) __builtin_trap();
  size_t start = 0;
  for (;;) {  // every component is a real name: never "", "." or ".."
    size_t slash = name.find('/', start);
    std::string part = name.substr(start, slash == std::string::npos ? slash : slash - start);
    if (part.empty() || part == "." || part == "..") __builtin_trap();
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return 0;
}
