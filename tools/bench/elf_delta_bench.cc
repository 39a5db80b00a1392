// File: tools/bench/elf_delta_bench.cc
//
// larch-bench-elf-delta: the ELF engine on one pair of files, outside a
// store, for measuring (docs/delta.md, "ELF engine"):
//
//   larch-bench-elf-delta create BASE TARGET OUT_PREFIX
//       writes OUT_PREFIX.bsdiff (the bsdiff engine's patch) and
//       OUT_PREFIX.elf (the ELF engine's), prints their sizes and times
//   larch-bench-elf-delta apply BASE PATCH TARGET_SIZE OUT
//       applies an ELF patch as a device does: base and patch read from
//       files, the rewritten base in a scratch file next to OUT, the
//       target written to OUT as produced (run under /usr/bin/time -v for
//       the peak RSS)
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "repo/delta/bsdiff.h"
#include "repo/delta/elf_patch.h"
#include "repo/delta/elf_patch_header.h"
#include "repo/delta/random_access.h"
#include "src/fs/fs.h"

namespace larch::delta {
namespace {

Bytes ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::string& path, ByteSpan data) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int Fail(const Status& s) {
  std::fprintf(stderr, "error: %s\n", s.message().c_str());
  return 1;
}

int Create(const std::string& base_path, const std::string& target_path, const std::string& prefix) {
  Bytes base = ReadFile(base_path), target = ReadFile(target_path);
  auto start = std::chrono::steady_clock::now();
  Result<Bytes> raw = BsdiffCreate(base, target);
  if (!raw.ok()) return Fail(raw.status());
  double bsdiff_s = Since(start);
  start = std::chrono::steady_clock::now();
  Result<Bytes> elf = ElfPatchCreate(base, target, *raw);
  if (!elf.ok()) return Fail(elf.status());
  double elf_s = Since(start);
  WriteFile(prefix + ".bsdiff", *raw);
  WriteFile(prefix + ".elf", *elf);
  SpanSource head(*elf);
  Result<ElfPatchHeader> header = ReadElfPatchHeader(head, base.size(), target.size());
  if (!header.ok()) return Fail(header.status());
  std::printf("anchors %zu, header %zu bytes, ranges %zu + %zu\n", header->anchors.size(),
              EncodeElfPatchHeader(*header).size(), header->base.ranges.size(), header->target.ranges.size());
  if (std::getenv("ELF_BENCH_RANGES"))
    for (const ScanRange& r : header->base.ranges)
      std::printf("  base range kind %d offset %#llx size %#llx\n", static_cast<int>(r.kind),
                  static_cast<unsigned long long>(r.offset), static_cast<unsigned long long>(r.size));
  if (std::getenv("ELF_BENCH_ANCHORS"))
    for (const AddressAnchor& a : header->anchors)
      std::printf("  %#llx %+lld\n", static_cast<unsigned long long>(a.old_vaddr), static_cast<long long>(a.shift));
  std::printf("bsdiff %zu bytes %.1f s\nelf %zu bytes %.1f s (after bsdiff; includes a check apply)\n",
              raw->size(), bsdiff_s, elf->size(), elf_s);
  return 0;
}

int Apply(const std::string& base_path, const std::string& patch_path, uint64_t target_size,
          const std::string& out_path) {
  fs::Fs& fs = *fs::DefaultFs();
  UniqueFd base_fd(open(base_path.c_str(), O_RDONLY | O_CLOEXEC));
  UniqueFd patch_fd(open(patch_path.c_str(), O_RDONLY | O_CLOEXEC));
  UniqueFd out_fd(open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!base_fd.valid() || !patch_fd.valid() || !out_fd.valid()) return Fail(Status::FromErrno(errno, "open"));
  FdRandomAccess base(fs, base_fd.get(), static_cast<uint64_t>(lseek(base_fd.get(), 0, SEEK_END)));
  FdSource patch(fs, patch_fd.get(), UINT64_MAX);
  std::string scratch_path = out_path + ".scratch";
  UniqueFd scratch_fd;
  auto start = std::chrono::steady_clock::now();
  Status s = ElfPatchApplyStream(base, patch, target_size, [&](ByteSpan chunk) {
    return fs.Write(out_fd.get(), chunk);
  }, [&](const ScratchWriter& produce) -> Result<std::unique_ptr<RandomAccess>> {
    scratch_fd = UniqueFd(open(scratch_path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    unlink(scratch_path.c_str());
    if (!scratch_fd.valid()) return Status::FromErrno(errno, "scratch");
    uint64_t size = 0;
    LARCH_RETURN_IF_ERROR(produce([&](ByteSpan chunk) {
      size += chunk.size();
      return fs.Write(scratch_fd.get(), chunk);
    }));
    return std::unique_ptr<RandomAccess>(new FdRandomAccess(fs, scratch_fd.get(), size));
  });
  if (!s.ok()) return Fail(s);
  std::printf("applied in %.1f s\n", Since(start));
  return 0;
}

}  // namespace
}  // namespace larch::delta

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "create" && argc == 5) return larch::delta::Create(argv[2], argv[3], argv[4]);
  if (mode == "apply" && argc == 6)
    return larch::delta::Apply(argv[2], argv[3], std::strtoull(argv[4], nullptr, 10), argv[5]);
  std::fprintf(stderr, "usage: larch-bench-elf-delta create BASE TARGET OUT_PREFIX\n"
                       "       larch-bench-elf-delta apply BASE PATCH TARGET_SIZE OUT\n");
  return 2;
}
