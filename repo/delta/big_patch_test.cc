// File: repo/delta/big_patch_test.cc
// Files over kMaxPatchInput: patched by bsdiff and applied as a stream
// (base read in place or from a decompressed copy, target spooled), into
// both store modes, by a worker (the patch read out of the part first) and
// without workers (the patch streamed from the part); and a wrong base, a
// truncated, an altered and a padded patch refused with the store exactly
// as before.
#include <algorithm>
#include <tuple>

#include <gtest/gtest.h>

#include "repo/delta/bsdiff.h"
#include "repo/delta/delta_test_util.h"
#include "repo/delta/limits.h"
#include "repo/fsck.h"

namespace larch::delta {
namespace {

using namespace testing;  // NOLINT

constexpr char kBigPath[] = "/usr/lib/libbig.so.1";

// The one operation of `d` producing the big file.
const PartObject* BigOp(const GeneratedDelta& d, const ObjectKey& key) {
  for (const PartInfo& part : d.superblock.parts)
    for (const PartObject& o : part.objects)
      if (o.key == key) return &o;
  return nullptr;
}

// One publisher and delta for every case (a 10 MiB suffix sort each time
// would add up); each case edits its own copy and has its own device.
// Parameters: the device's store mode, the applier's worker threads.
class BigPatchTest : public ::testing::TestWithParam<std::tuple<StoreMode, unsigned>> {
 protected:
  static void SetUpTestSuite() {
    pub_ = new Publisher(StoreMode::kArchive, true);
    delta_ = new GeneratedDelta(pub_->Build(pub_->v1));
  }
  static void TearDownTestSuite() {
    delete delta_;
    delete pub_;
  }

  void SetUp() override {
    if (mode() == StoreMode::kBare && ::geteuid() != 0) GTEST_SKIP() << "bare stores need root";
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    name_ = std::string(info->name());
    std::replace(name_.begin(), name_.end(), '/', '-');
    device = pub_->Device("device-" + name_, mode());
  }

  StoreMode mode() const { return std::get<0>(GetParam()); }
  unsigned threads() const { return std::get<1>(GetParam()); }

  // Lets `edit` change the big file's patch operation.
  template <typename Edit>
  void EditBigPatch(Edit edit) {
    EditObjectOp(d, FileKeyAt(*pub_->store, pub_->v2, kBigPath), OpKind::kPatchBsdiff, edit);
  }

  void ExpectRefused(const std::string& needle) { ExpectApplyRefused(*pub_, *device, name_, d, needle, threads()); }

  ObjectId V1File(const std::string& path) { return FileKeyAt(*pub_->store, pub_->v1, path).id; }

  static Publisher* pub_;
  static GeneratedDelta* delta_;
  GeneratedDelta d = *delta_;
  std::string name_;
  std::unique_ptr<Store> device;
};

Publisher* BigPatchTest::pub_ = nullptr;
GeneratedDelta* BigPatchTest::delta_ = nullptr;

TEST_P(BigPatchTest, BigFileTravelsAsABsdiffPatchAndAppliesInBothModes) {
  ObjectKey big = FileKeyAt(*pub_->store, pub_->v2, kBigPath);
  const PartObject* op = BigOp(d, big);
  ASSERT_NE(op, nullptr);
  EXPECT_EQ(op->op, OpKind::kPatchBsdiff);
  // 10 MiB of pseudo-random bytes; what changed is a few hundred kB at most.
  EXPECT_LT(d.stats.parts_bytes, 400000u);
  auto source = Publish(pub_->dir, "delta-" + name_, d);
  ApplyStats stats = Must(ApplyDelta(*device, *source, Unverified(threads())));
  // With workers the patch (a few hundred kB) is held and streamed by one.
  EXPECT_EQ(stats.patches_streamed_inline, threads() == 0 ? 1u : 0u);
  EXPECT_EQ(stats.patches_streamed_by_workers, threads() == 0 ? 0u : 1u);
  auto ref = Must(ReadRef(*device, kBranch));
  ASSERT_TRUE(ref.has_value());
  EXPECT_EQ(*ref, pub_->v2);
  auto report = Must(Fsck(*device, FsckOptions{}));  // re-hashes every object
  EXPECT_TRUE(report.ok()) << (report.problems.empty() ? "" : report.problems[0]);
  EXPECT_EQ(FileKeyAt(*device, pub_->v2, kBigPath), big);
  // The decompressed base and the spooled target are gone.
  EXPECT_TRUE(SnapshotTree(device->path() + "/tmp").empty());
}

TEST_P(BigPatchTest, WrongBaseOfTheSameSize) {
  ObjectId other = V1File("/usr/lib/big-data");
  EditBigPatch([&](PartOp& op) { op.head.base = other; });
  ExpectRefused("does not reproduce it (wrong base?)");
}

TEST_P(BigPatchTest, SmallWrongBase) {
  ObjectId other = V1File("/usr/bin/tool");
  EditBigPatch([&](PartOp& op) { op.head.base = other; });
  ExpectRefused("does not reproduce it (wrong base?)");
}

TEST_P(BigPatchTest, TruncatedPatch) {
  EditBigPatch([](PartOp& op) { op.payload.resize(op.payload.size() - 1000); });
  ExpectRefused("truncated");
}

TEST_P(BigPatchTest, AlteredDiffByte) {
  EditBigPatch([](PartOp& op) { op.payload[op.payload.size() / 2] ^= 0x01; });
  ExpectRefused("does not reproduce it");
}

TEST_P(BigPatchTest, AlteredControl) {
  // The first control's seek (bytes 12..19 of the patch) sent far away.
  EditBigPatch([](PartOp& op) { op.payload[19] ^= 0x40; });
  ExpectRefused("bsdiff patch");
}

TEST_P(BigPatchTest, BytesAfterTheLastBlock) {
  EditBigPatch([](PartOp& op) { op.payload.insert(op.payload.end(), 16, 0); });
  ExpectRefused("stream lengths do not match");
}

INSTANTIATE_TEST_SUITE_P(Modes, BigPatchTest,
                         ::testing::Combine(::testing::Values(StoreMode::kArchive, StoreMode::kBare),
                                            ::testing::Values(0u, 4u)),
                         [](const auto& param_info) {
                           return std::string(StoreModeName(std::get<0>(param_info.param))) +
                                  (std::get<1>(param_info.param) == 0 ? "_inline" : "_workers");
                         });

}  // namespace
}  // namespace larch::delta
