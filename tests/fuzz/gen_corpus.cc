// File: tests/fuzz/gen_corpus.cc
// Writes the seed corpus in tests/fuzz/corpus/<fuzzer>/ : a few valid
// encodings per fuzzer, so fuzzing starts from inputs that pass the prefix
// and framing checks. Not built by CMake (only fuzz_*.cc are); the seeds are
// checked in. After a format change, rebuild and rerun it from the source
// root, after building the libraries in build-codec (normal, non-fuzz):
//   c++ -std=c++20 -I. tests/fuzz/gen_corpus.cc -o /tmp/gen_corpus
//       build-codec/repo/liblarch_delta.a build-codec/repo/liblarch_objects.a
//       build-codec/src/liblarch_compress.a
//       build-codec/src/liblarch_encoding.a build-codec/src/liblarch_crypto.a
//       build-codec/src/liblarch_base.a -lcrypto -lzstd -llzma
//   /tmp/gen_corpus tests/fuzz/corpus
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "repo/delta/bsdiff.h"
#include "repo/delta/elf_patch_header.h"
#include "repo/delta/part.h"
#include "repo/delta/part_xz.h"
#include "repo/delta/part_zstd.h"
#include "repo/delta/superblock.h"
#include "repo/delta/zstd_patch.h"
#include "repo/objects/commit.h"
#include "repo/objects/commitmeta.h"
#include "repo/objects/dirmeta.h"
#include "repo/objects/verity_list.h"
#include "repo/objects/dirtree.h"
#include "repo/objects/file_header.h"
#include "src/compress/zstd_stream.h"
#include "src/encoding/encoding.h"
#include "tests/fuzz/patch_fuzz_input.h"

namespace larch {
namespace {

std::string g_root;

void Write(const std::string& fuzzer, const std::string& name, const Bytes& data) {
  const std::string dir = g_root + "/" + fuzzer;
  ::mkdir(g_root.c_str(), 0755);
  ::mkdir(dir.c_str(), 0755);
  const std::string path = dir + "/" + name;
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr || std::fwrite(data.data(), 1, data.size(), f) != data.size() ||
      std::fclose(f) != 0) {
    std::perror(path.c_str());
    std::exit(1);
  }
}

repo::ObjectId Id(uint8_t seed) { return repo::ObjectId::HashOf(Bytes{seed}); }

// fuzz_bsdiff_patch's input: u32 target size, then the patch.
Bytes WithSize(uint32_t size, const Bytes& patch) {  // fuzz_elf_patch's too
  Bytes out{static_cast<uint8_t>(size), static_cast<uint8_t>(size >> 8),
            static_cast<uint8_t>(size >> 16), static_cast<uint8_t>(size >> 24)};
  out.insert(out.end(), patch.begin(), patch.end());
  return out;
}

// Blocks are cut at 8 MiB by the generator; by hand, two small ones.
Bytes TwoBlocks() {
  encoding::Encoder enc;
  for (uint32_t diff : {100u, 50u}) {
    uint32_t extra = diff == 50 ? 4 : 0;
    enc.U32(1);
    enc.U32(diff);
    enc.U32(extra);
    enc.U64(0);
    enc.Raw(Bytes(diff, 0));
    enc.Raw(Bytes(extra, 't'));
  }
  return enc.Take();
}

void FileHeaders() {
  repo::FileHeader regular;
  regular.mode = S_IFREG | 0644;
  regular.uid = 1000;
  regular.gid = 1000;
  regular.size = 4;
  Bytes frame = repo::EncodeFileHeaderFrame(regular);
  Write("fuzz_file_header", "regular", frame);
  frame.insert(frame.end(), {'d', 'a', 't', 'a'});
  Write("fuzz_file_header", "regular-with-content", frame);
  repo::FileHeader link;
  link.kind = repo::FileKind::kSymlink;
  link.mode = S_IFLNK | 0777;
  link.symlink_target = "../usr/lib/os-release";
  link.xattrs = {{"security.selinux", Bytes{'s', 'y', 's', 0}}, {"user.k", Bytes{1, 2}}};
  Write("fuzz_file_header", "symlink-xattrs", repo::EncodeFileHeaderFrame(link));
}

void Trees() {
  Write("fuzz_dirtree", "empty", repo::EncodeDirTree({}));
  repo::DirTree t;
  t.files = {{"a", Id(1), 10, 0}, {"hard1", Id(2), 3, 1}, {"hard2", Id(2), 3, 1}};
  t.dirs = {{"etc", Id(3), Id(4)}, {"usr", Id(5), Id(4)}};
  Write("fuzz_dirtree", "sample", repo::EncodeDirTree(t));

  repo::DirMeta m;
  m.mode = S_IFDIR | 0755;
  Write("fuzz_dirmeta", "plain", repo::EncodeDirMeta(m));
  m.mode = S_IFDIR | 01777;
  m.xattrs = {{"user.a", Bytes{}}, {"user.b", Bytes{9}}};
  Write("fuzz_dirmeta", "xattrs", repo::EncodeDirMeta(m));

  Write("fuzz_verity_list", "empty", repo::EncodeVerityList({}));
  repo::VerityList list;
  for (uint8_t seed : {uint8_t{1}, uint8_t{2}, uint8_t{9}}) {
    crypto::FsVerityDigest d;
    d.fill(static_cast<uint8_t>(0xa0 + seed));
    list.entries.push_back({Id(seed), d});
  }
  Write("fuzz_verity_list", "sample", repo::EncodeVerityList(list));
}

void Commits() {
  repo::Commit c;
  c.root_tree = Id(1);
  c.root_meta = Id(2);
  c.timestamp = 1700000000;
  c.subject = "Initial";
  Write("fuzz_commit", "root", repo::EncodeCommit(c));
  c.parent = Id(3);
  c.body = "body\n";
  c.metadata = {{"arch", "x86_64"}, {"content-size", "1234"}, {"version", "2"}};
  Write("fuzz_commit", "child", repo::EncodeCommit(c));

  Write("fuzz_commitmeta", "empty", repo::EncodeCommitMeta({}));
  repo::CommitMeta meta;
  for (uint8_t k : {uint8_t{1}, uint8_t{2}}) {
    repo::CommitSignature sig;
    sig.key_id.fill(k);
    sig.signature.fill(static_cast<uint8_t>(k * 3));
    meta.signatures.push_back(sig);
  }
  Write("fuzz_commitmeta", "two", repo::EncodeCommitMeta(meta));
}

void Zstd() {
  const std::string text = "larch larch tree commit object object tree larch\n";
  Write("fuzz_zstd", "empty", *compress::ZstdCompress({}, 3));
  Write("fuzz_zstd", "text", *compress::ZstdCompress(AsBytes(text), 3));
  Bytes two = *compress::ZstdCompress(AsBytes(text), 19);
  const Bytes second = *compress::ZstdCompress(AsBytes("second"), 1);
  two.insert(two.end(), second.begin(), second.end());
  Write("fuzz_zstd", "two-frames", two);
  // Regression: declares 41 bytes of content, holds none (libzstd's
  // streaming decoder accepted it when split; see zstd_stream_test.cc).
  Write("fuzz_zstd", "regress-declared-size",
        Bytes{0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x29, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0});
  // Regression: an empty RLE block; same verdict however it is split.
  Write("fuzz_zstd", "regress-rle0",
        Bytes{0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x00, 0x03, 0x00, 0x00, 0x28});
  // Regression: zstd v0.7 (legacy) magic, refused.
  Write("fuzz_zstd", "regress-legacy", Bytes{0x27, 0xb5, 0x2f, 0xfd, 0x00, 0x29, 0x00, 0x00, 0x00});
}

// Part files as the applier receives them, behind the fuzzer's 3-byte
// prefix: compression kind and declared size (u16, big-endian).
void PartStreams(const Bytes& part) {
  auto with_prefix = [&](delta::PartCompression kind, const Bytes& stream) {
    Bytes out{static_cast<uint8_t>(kind), static_cast<uint8_t>(part.size() >> 8),
              static_cast<uint8_t>(part.size())};
    out.insert(out.end(), stream.begin(), stream.end());
    return out;
  };
  Write("fuzz_delta_part_stream", "zstd",
        with_prefix(delta::PartCompression::kZstd, *delta::CompressPartZstd(part, 3)));
  Write("fuzz_delta_part_stream", "xz",
        with_prefix(delta::PartCompression::kXz, *delta::CompressPartXz(part, delta::PartContent::kData)));
  Write("fuzz_delta_part_stream", "xz-x86",
        with_prefix(delta::PartCompression::kXz, *delta::CompressPartXz(part, delta::PartContent::kX86Code)));
}

// Delta superblocks (a full one and one from a commit) and parts with every
// operation, whose patches really apply to the fuzzer's base of 'b's.
void Deltas() {
  repo::Commit c;
  c.root_tree = Id(1);
  c.root_meta = Id(2);
  c.subject = "v2";
  delta::DeltaSuperblock sb;
  sb.commit = repo::EncodeCommit(c);
  sb.to = repo::ObjectId::HashOf(sb.commit);
  delta::PartInfo p;
  p.compressed_size = 100;
  p.uncompressed_size = 300;
  p.sha256.fill(9);
  p.objects = {{delta::OpKind::kNew, {Id(3), repo::ObjectType::kFile}},
               {delta::OpKind::kMeta, {Id(1), repo::ObjectType::kDirTree}}};
  sb.parts = {p};
  Write("fuzz_delta_superblock", "full", delta::EncodeSuperblock(sb));
  sb.from = Id(4);
  sb.commitmeta = repo::EncodeCommitMeta({});
  sb.parts[0].objects.push_back({delta::OpKind::kPatchZstd, {Id(5), repo::ObjectType::kFile}});
  sb.parts[0].objects.push_back({delta::OpKind::kReuse, {Id(6), repo::ObjectType::kFile}});
  sb.parts[0].objects.push_back({delta::OpKind::kMetaPatch, {Id(7), repo::ObjectType::kDirTree}});
  Write("fuzz_delta_superblock", "from", delta::EncodeSuperblock(sb));
  sb.parts[0].compression = delta::PartCompression::kXz;
  Write("fuzz_delta_superblock", "xz-part", delta::EncodeSuperblock(sb));

  const Bytes base(4096, 'b');
  Bytes target = base;
  target[100] = 'x';
  target.insert(target.end(), {'t', 'a', 'i', 'l'});
  repo::FileHeader file;
  file.mode = S_IFREG | 0755;
  file.size = target.size();
  std::vector<delta::PartOp> ops(3);
  ops[0].head = {delta::OpKind::kPatchZstd, {Id(5), repo::ObjectType::kFile}, file, Id(8), 0};
  ops[0].payload = *delta::ZstdPatchCreate(base, target);
  ops[1].head = {delta::OpKind::kMeta, {Id(1), repo::ObjectType::kDirTree}, {}, {}, 0};
  ops[1].payload = repo::EncodeDirTree({});
  ops[2].head = {delta::OpKind::kReuse, {Id(6), repo::ObjectType::kFile}, {}, {}, 0};
  Write("fuzz_delta_part", "zstd-meta-reuse", delta::EncodePart(ops));
  Result<Bytes> bsdiff = delta::BsdiffCreate(base, target);
  if (bsdiff.ok()) {
    ops.resize(1);
    ops[0].head.kind = delta::OpKind::kPatchBsdiff;
    ops[0].payload = *bsdiff;
    Write("fuzz_delta_part", "bsdiff", delta::EncodePart(ops));
    Write("fuzz_bsdiff_patch", "one-block", WithSize(target.size(), *bsdiff));
  }
  Write("fuzz_bsdiff_patch", "two-blocks", WithSize(154, TwoBlocks()));
  // A block with its diff bytes in sparse form (a target close to the base).
  Bytes close = base;
  close[100] ^= 1;
  Result<Bytes> sparse = delta::BsdiffCreate(base, close, delta::DiffForm::kSparse);
  if (sparse.ok()) Write("fuzz_bsdiff_patch", "one-block-sparse", WithSize(close.size(), *sparse));
  repo::FileHeader small = file;
  small.size = 5;
  ops.resize(1);
  ops[0].head = {delta::OpKind::kNew, {Id(3), repo::ObjectType::kFile}, small, {}, 0};
  ops[0].payload = {'h', 'e', 'l', 'l', 'o'};
  Write("fuzz_delta_part", "new", delta::EncodePart(ops));
  PartStreams(delta::EncodePart(ops));
}

// fuzz_elf_patch's seeds: patches over its 4 KiB base whose ranges cover
// every kind, so fuzzing starts past the header and into the rewrite.
void ElfPatches() {
  const Bytes& base = fuzz::PatchFuzzBase();
  Bytes target = base;
  target[100] ^= 1;
  target.insert(target.begin() + 300, 16, 0x90);
  target.resize(base.size());
  using delta::ScanKind;
  for (delta::ElfMachine machine : {delta::ElfMachine::kX86_64, delta::ElfMachine::kAArch64}) {
    delta::ElfPatchHeader h;
    h.machine = machine;
    h.base = {0x1000, 0x3000,
              {{ScanKind::kCode, 0, 2048, 0x1000},
               {ScanKind::kPointers, 2048, 512, 0x1800},
               {ScanKind::kRela, 2560, 480, 0x1a00},
               {ScanKind::kSymbols, 3040, 240, 0x1be0},
               {ScanKind::kEhFrameHdr, 3280, 200, 0x1cd0},
               {ScanKind::kEhFrame, 3480, 400, 0x1d98},
               {ScanKind::kJumpTables, 3880, 200, 0x1f28}}};
    h.target = {0x1000, 0x3000, {{ScanKind::kCode, 0, 2048, 0x1000}, {ScanKind::kEhFrame, 3480, 400, 0x1d98}}};
    h.anchors = {{0x1100, 16}, {0x1800, -8}};
    delta::AddressMap map(h.anchors);
    Result<Bytes> old_rewritten = delta::TransformRefs(machine, h.base, delta::RefDirection::kToAbsoluteMapped, &map, base);
    Result<Bytes> new_rewritten = delta::TransformRefs(machine, h.target, delta::RefDirection::kToAbsolute, nullptr, target);
    if (!old_rewritten.ok() || !new_rewritten.ok()) std::exit(1);
    Result<Bytes> inner = delta::BsdiffCreate(*old_rewritten, *new_rewritten, delta::DiffForm::kSparse);
    if (!inner.ok()) std::exit(1);
    Bytes patch = delta::EncodeElfPatchHeader(h);
    patch.insert(patch.end(), inner->begin(), inner->end());
    Write("fuzz_elf_patch", machine == delta::ElfMachine::kX86_64 ? "x86-64" : "aarch64",
          WithSize(static_cast<uint32_t>(target.size()), patch));
  }
}

}  // namespace
}  // namespace larch

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
    return 2;
  }
  larch::g_root = argv[1];
  larch::FileHeaders();
  larch::Trees();
  larch::Commits();
  larch::Zstd();
  larch::Deltas();
  larch::ElfPatches();
  return 0;
}
