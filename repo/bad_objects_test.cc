// Hostile trees: dirtree objects whose entry names could make a checkout
// write outside its target ("..", "a/b") or fail oddly (".", "", NUL). They
// are encoded by hand (the encoder refuses them) and stored under their
// true SHA-256, so the checksum passes and only the decoder stands between
// them and the filesystem. Every reader must refuse them, naming the name,
// and a checkout must write nothing, neither at its target nor beside it.
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "repo/checkout.h"
#include "repo/diff.h"
#include "repo/fsck.h"
#include "repo/objects/commit.h"
#include "repo/objects/dirtree.h"
#include "repo/prune.h"
#include "repo/repo_test_util.h"
#include "repo/transaction.h"
#include "src/encoding/encoding.h"

namespace larch::repo {
namespace {

using testing::FailsWith;
using testing::Must;
using testing::NewStore;
using testing::TempDir;
using testing::WriteTestFile;
namespace stdfs = std::filesystem;

// The dirtree layout of docs/formats.md, without any of the encoder's
// checks: u8 tag 2, u8 version 1, u32 file count, per file (str name, id,
// u64 size, u32 link_slot), u32 dir count, per dir (str name, tree id,
// meta id).
Bytes HandEncodeDirTree(const DirTree& tree) {
  encoding::Encoder enc;
  enc.U8(static_cast<uint8_t>(ObjectType::kDirTree));
  enc.U8(1);
  enc.U32(static_cast<uint32_t>(tree.files.size()));
  for (const DirTreeFile& f : tree.files) {
    enc.Str(f.name);
    enc.Raw(f.file.bytes());
    enc.U64(f.size);
    enc.U32(f.link_slot);
  }
  enc.U32(static_cast<uint32_t>(tree.dirs.size()));
  for (const DirTreeDir& d : tree.dirs) {
    enc.Str(d.name);
    enc.Raw(d.tree.bytes());
    enc.Raw(d.meta.bytes());
  }
  return enc.Take();
}

// How the decoder's message shows a name (non-printable bytes as \xNN).
std::string Quoted(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '\0' ? std::string("\\x00") : std::string(1, c);
  return out + "\"";
}

struct BadName {
  std::string label;
  std::string name;
  bool as_dir;  // a directory entry, else a file entry
  bool nested;  // the bad tree is /sub, else the root tree
};

void PrintTo(const BadName& bad, std::ostream* os) { *os << bad.label; }

std::vector<BadName> AllCases() {
  const std::vector<std::pair<std::string, std::string>> names = {
      {"DotDot", ".."}, {"Dot", "."}, {"Empty", ""}, {"Slash", "a/b"},
      {"DotDotSlash", "../escape"}, {"Nul", std::string("a\0b", 3)}};
  std::vector<BadName> cases;
  for (const auto& [label, name] : names) {
    for (bool as_dir : {false, true}) {
      for (bool nested : {false, true}) {
        cases.push_back({label + (as_dir ? "Dir" : "File") + (nested ? "InSubdir" : "AtRoot"), name,
                         as_dir, nested});
      }
    }
  }
  return cases;
}

class BadObjectTest : public ::testing::TestWithParam<BadName> {
 protected:
  // A real commit supplies a real file object, dirmeta and empty dirtree;
  // then a crafted tree with the bad name is committed to ref "bad".
  void SetUp() override {
    const std::string src = dir_.Sub("src");
    stdfs::create_directories(src + "/sub");
    WriteTestFile(src + "/hello", "hi\n");
    good_ = testing::CommitTo(*store_, src, "good").commit;
    Commit good = Must(store_->ReadCommit(good_));
    DirTree root = Must(store_->ReadDirTree(good.root_tree));
    ASSERT_EQ(root.files.size(), 1u);
    ASSERT_EQ(root.dirs.size(), 1u);

    DirTree bad;
    if (GetParam().as_dir) {
      bad.dirs.push_back({GetParam().name, root.dirs[0].tree, root.dirs[0].meta});
    } else {
      bad.files.push_back({GetParam().name, root.files[0].file, root.files[0].size, 0});
    }
    auto txn = Must(Transaction::Begin(*store_));
    bad_tree_ = Must(txn->WriteMetadata(ObjectType::kDirTree, HandEncodeDirTree(bad)));
    Commit crafted = good;
    crafted.subject = "crafted";
    crafted.parent.reset();
    if (GetParam().nested) {
      root.dirs[0].tree = bad_tree_;
      crafted.root_tree = Must(txn->WriteMetadata(ObjectType::kDirTree, EncodeDirTree(root)));
    } else {
      crafted.root_tree = bad_tree_;
    }
    bad_ = Must(txn->WriteMetadata(ObjectType::kCommit, EncodeCommit(crafted)));
    txn->SetRef("bad", bad_);
    Must(txn->Commit());
    stdfs::create_directories(parent_);
    WriteTestFile(parent_ + "/neighbour", "untouched\n");
  }

  std::string Needle() const { return "invalid entry name " + Quoted(GetParam().name); }

  TempDir dir_;
  std::unique_ptr<Store> store_ = NewStore(dir_.Sub("store"), StoreMode::kArchive);
  // The checkout goes to outer/parent/target: anything written at, beside
  // or above the target shows up in a snapshot of outer.
  std::string outer_ = dir_.Sub("outer");
  std::string parent_ = outer_ + "/parent";
  ObjectId good_;
  ObjectId bad_;
  ObjectId bad_tree_;
};

TEST_P(BadObjectTest, CheckoutFailsNamingTheNameAndWritesNothing) {
  const std::vector<std::string> outer_before = testing::SnapshotTree(outer_);
  const std::vector<std::string> top_before = testing::ListNames(dir_.path());
  CheckoutOptions options;
  options.sync = false;
  Result<CheckoutStats> r = CheckoutCommit(*store_, bad_, parent_ + "/target", options);
  EXPECT_TRUE(FailsWith(r, StatusCode::kCorruption, Needle()));
  EXPECT_TRUE(FailsWith(r, StatusCode::kCorruption, Store::ObjectRelPath({bad_tree_, ObjectType::kDirTree})));
  EXPECT_EQ(testing::SnapshotTree(outer_), outer_before);
  EXPECT_EQ(testing::ListNames(dir_.path()), top_before);
}

TEST_P(BadObjectTest, FsckReportsTheTreeAndTheName) {
  FsckReport report = Must(Fsck(*store_, FsckOptions{}));
  ASSERT_FALSE(report.ok());
  std::string all;
  for (const std::string& p : report.problems) all += p + "\n";
  EXPECT_NE(all.find(Store::ObjectRelPath({bad_tree_, ObjectType::kDirTree})), std::string::npos) << all;
  EXPECT_NE(all.find(Needle()), std::string::npos) << all;
}

INSTANTIATE_TEST_SUITE_P(Names, BadObjectTest, ::testing::ValuesIn(AllCases()),
                         [](const auto& p) { return p.param.label; });

// Other readers of trees, on a few of the cases.
class BadObjectReaderTest : public BadObjectTest {};

TEST_P(BadObjectReaderTest, DiffRefusesTheTree) {
  EXPECT_TRUE(FailsWith(DiffCommits(*store_, good_, bad_), StatusCode::kCorruption, Needle()));
}

// Prune cannot tell what a tree it cannot read keeps alive: it must refuse
// rather than delete.
TEST_P(BadObjectReaderTest, PruneRefusesAndDeletesNothing) {
  size_t before = Must(store_->ListObjects()).size();
  EXPECT_TRUE(FailsWith(Prune(*store_, PruneOptions{}), StatusCode::kCorruption, Needle()));
  EXPECT_EQ(Must(store_->ListObjects()).size(), before);
}

INSTANTIATE_TEST_SUITE_P(Names, BadObjectReaderTest,
                         ::testing::Values(BadName{"DotDotDirInSubdir", "..", true, true},
                                           BadName{"SlashFileAtRoot", "a/b", false, false}),
                         [](const auto& p) { return p.param.label; });

// The hand encoder is the real layout: for a valid tree it produces the
// encoder's bytes, so the crafted trees above differ only in their names.
TEST(HandEncodeDirTreeTest, MatchesTheEncoderForValidTrees) {
  ObjectId a = ObjectId::HashOf(AsBytes("a"));
  ObjectId b = ObjectId::HashOf(AsBytes("b"));
  DirTree tree;
  tree.files = {{"file", a, 42, 0}, {"link", b, 0, 1}};
  tree.dirs = {{"dir", a, b}};
  EXPECT_EQ(HandEncodeDirTree(tree), EncodeDirTree(tree));
  EXPECT_EQ(Must(DecodeDirTree(HandEncodeDirTree(tree))), tree);
}

}  // namespace
}  // namespace larch::repo
