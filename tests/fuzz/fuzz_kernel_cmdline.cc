// File: tests/fuzz/fuzz_kernel_cmdline.cc
// The larch= argument of a kernel command line (src/bootstate/boot_state.h): a
// deployment found must print back to the path it was parsed from, and
// that path must appear in the command line.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "src/bootstate/boot_state.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace larch::boot;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Decoded<DeploymentId> d = DeploymentFromCmdline(text);
  if (d.value && !d.error.empty()) __builtin_trap();
  if (!d.value) return 0;
  std::string path = DeploymentPath(*d.value);
  if (text.find("larch=" + path) == std::string_view::npos) __builtin_trap();
  if (ParseDeploymentPath(path) != d.value) __builtin_trap();
  return 0;
}
