// File: repo/delta/elf_delta_test.cc
// ELF files through whole deltas: a compiled program (patched in memory)
// and the same program padded past kMaxPatchInput (streamed, the rewritten
// base in tmp/) travel as ELF patches in a version 3 superblock and apply
// into both store modes; --zstd-only deltas use no ELF patch; a wrong base,
// a truncated or an altered patch is refused with the store as before.
#include <algorithm>

#include <gtest/gtest.h>

#include "repo/delta/delta_test_util.h"
#include "repo/delta/elf_test_util.h"
#include "repo/delta/limits.h"
#include "repo/fsck.h"

namespace larch::delta {
namespace {

using namespace testing;  // NOLINT

constexpr char kProgram[] = "/usr/bin/prog";
constexpr char kBigElf[] = "/usr/lib/libbigelf.so.1";

// The program with kMaxPatchInput + 1 MiB of the same data appended (the
// ELF tables come before it): big enough to be streamed.
std::string Padded(const Bytes& program) {
  std::string s(program.begin(), program.end());
  s += Binary(3, kMaxPatchInput + (1u << 20));
  return s;
}

OpKind OpOf(const GeneratedDelta& d, const ObjectKey& key) {
  for (const PartInfo& part : d.superblock.parts)
    for (const PartObject& o : part.objects)
      if (o.key == key) return o.op;
  return OpKind::kNew;
}

class ElfDeltaTest : public ::testing::TestWithParam<StoreMode> {
 protected:
  static void SetUpTestSuite() {
    static TempDir build;
    std::optional<Bytes> p1, p2;
    if (HaveCompiler("gcc")) {
      p1 = CompileProgram(build, "gcc", 1);
      p2 = CompileProgram(build, "gcc", 2);
    }
    if (!p1 || !p2) return;
    pub_ = new Publisher(StoreMode::kArchive, false, [&](const std::string& root, int v) {
      const Bytes& program = v == 1 ? *p1 : *p2;
      WriteTestFile(root + kProgram, std::string(program.begin(), program.end()), 0755);
      WriteTestFile(root + kBigElf, Padded(program));
    });
    delta_ = new GeneratedDelta(pub_->Build(pub_->v1));
  }
  static void TearDownTestSuite() {
    delete delta_;
    delete pub_;
    delta_ = nullptr;
    pub_ = nullptr;
  }

  void SetUp() override {
    if (delta_ == nullptr) GTEST_SKIP() << "no gcc";
    if (GetParam() == StoreMode::kBare && ::geteuid() != 0) GTEST_SKIP() << "bare stores need root";
    name_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(name_.begin(), name_.end(), '/', '-');
    device = pub_->Device("device-" + name_, GetParam());
  }

  template <typename Edit>
  void EditPatch(const char* path, Edit edit) {
    EditObjectOp(d, FileKeyAt(*pub_->store, pub_->v2, path), OpKind::kPatchElf, edit);
  }

  void ExpectRefused(const std::string& needle) { ExpectApplyRefused(*pub_, *device, name_, d, needle); }

  static Publisher* pub_;
  static GeneratedDelta* delta_;
  GeneratedDelta d = delta_ ? *delta_ : GeneratedDelta{};
  std::string name_;
  std::unique_ptr<Store> device;
};

Publisher* ElfDeltaTest::pub_ = nullptr;
GeneratedDelta* ElfDeltaTest::delta_ = nullptr;

TEST_P(ElfDeltaTest, ElfFilesTravelAsElfPatchesAndApply) {
  for (const char* path : {kProgram, kBigElf})
    EXPECT_EQ(OpOf(d, FileKeyAt(*pub_->store, pub_->v2, path)), OpKind::kPatchElf) << path;
  // 4: the commits carry verity lists; appliers that predate them, or the
  // engine, refuse the delta up front.
  EXPECT_EQ(EncodeSuperblock(d.superblock)[4], 4);
  auto source = Publish(pub_->dir, "delta-" + name_, d);
  Must(ApplyDelta(*device, *source, Unverified()));
  EXPECT_EQ(*Must(ReadRef(*device, kBranch)), pub_->v2);
  auto report = Must(Fsck(*device, FsckOptions{}));  // re-hashes every object
  EXPECT_TRUE(report.ok()) << (report.problems.empty() ? "" : report.problems[0]);
  EXPECT_TRUE(SnapshotTree(device->path() + "/tmp").empty());  // no scratch file left
}

TEST_P(ElfDeltaTest, ZstdOnlyDeltasUseNoElfPatch) {
  if (GetParam() == StoreMode::kBare) GTEST_SKIP() << "generation only";
  GenerateOptions options;
  options.from = pub_->v1;
  options.to = pub_->v2;
  options.threads = 1;
  options.xz_parts = false;  // what --zstd-only sets
  options.elf_patches = false;
  GeneratedDelta compat = Must(BuildDelta(*pub_->store, options));
  for (const PartInfo& part : compat.superblock.parts)
    for (const PartObject& o : part.objects) EXPECT_NE(o.op, OpKind::kPatchElf);
  // Version 4 only for the verity list these commits carry (a commit made
  // with --no-verity-list gives version 1: ApplyTest).
  EXPECT_EQ(EncodeSuperblock(compat.superblock)[4], 4);
}

TEST_P(ElfDeltaTest, WrongBase) {
  ObjectId other = FileKeyAt(*pub_->store, pub_->v1, kProgram).id;
  EditPatch(kBigElf, [&](PartOp& op) { op.head.base = other; });
  ExpectRefused("does not reproduce it (wrong base?)");
}

TEST_P(ElfDeltaTest, TruncatedBigPatch) {
  EditPatch(kBigElf, [](PartOp& op) {
    ASSERT_GT(op.payload.size(), 1000u);
    op.payload.erase(op.payload.end() - 1000, op.payload.end());  // (not resize: GCC 12 warns under ASan)
  });
  ExpectRefused("truncated");
}

TEST_P(ElfDeltaTest, AlteredBigPatch) {
  EditPatch(kBigElf, [](PartOp& op) { op.payload[op.payload.size() / 2] ^= 0x01; });
  ExpectRefused("does not reproduce it");
}

TEST_P(ElfDeltaTest, AlteredSmallPatchHeader) {
  EditPatch(kProgram, [](PartOp& op) { op.payload[4] = 9; });
  ExpectRefused("unknown version 9");
}

INSTANTIATE_TEST_SUITE_P(Modes, ElfDeltaTest, ::testing::Values(StoreMode::kArchive, StoreMode::kBare),
                         [](const ::testing::TestParamInfo<StoreMode>& param_info) {
                           return std::string(StoreModeName(param_info.param));
                         });

}  // namespace
}  // namespace larch::delta
