#include "repo/refs.h"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "repo/repo_test_util.h"
#include "tests/support/fault_fs.h"

namespace larch::repo {
namespace {

using testing::CommitTo;
using testing::FailsWith;
using testing::Must;
using testing::ReadTestFile;
using testing::NewStore;
using testing::TempDir;
using testing::WriteTestFile;

// ------------------------------------------------------------ ValidateRefName

TEST(ValidateRefNameTest, AcceptsTypicalNames) {
  for (const char* name : {"main", "os/x86_64/stable", "v1.0_rc-2", "debian/12/x86_64/stable", "_x"}) {
    EXPECT_TRUE(ValidateRefName(name).ok()) << name << ": " << ValidateRefName(name).ToString();
  }
}

TEST(ValidateRefNameTest, AcceptsExactly255Bytes) {
  EXPECT_TRUE(ValidateRefName(std::string(255, 'r')).ok());
}

struct BadRefName {
  std::string name;
  std::string why;  // part of the message that names the problem
};

void PrintTo(const BadRefName& bad, std::ostream* os) { *os << ::testing::PrintToString(bad.name); }

class BadRefNameTest : public ::testing::TestWithParam<BadRefName> {};

TEST_P(BadRefNameTest, IsRejectedWithTheReason) {
  Status s = ValidateRefName(GetParam().name);
  EXPECT_TRUE(FailsWith(s, StatusCode::kInvalidArgument, "invalid ref name"));
  EXPECT_TRUE(FailsWith(s, StatusCode::kInvalidArgument, GetParam().why));
}

INSTANTIATE_TEST_SUITE_P(
    Names, BadRefNameTest,
    ::testing::Values(BadRefName{"", "empty"}, BadRefName{"..", "\"..\" are not allowed"},
                      BadRefName{"a/../b", "\"..\" are not allowed"},
                      BadRefName{"a/./b", "are not allowed"},
                      BadRefName{"a//b", "empty path component"},
                      BadRefName{"/a", "empty path component"},
                      BadRefName{"a/", "empty path component"},
                      BadRefName{".hidden", "do not start with . or -"},
                      BadRefName{"a/.hidden", "do not start with . or -"},
                      BadRefName{"-x", "do not start with . or -"},
                      BadRefName{std::string("a\0b", 3), "NUL"},
                      BadRefName{std::string(256, 'r'), "longer than 255 bytes"},
                      BadRefName{"has space", "A-Z a-z 0-9"},
                      BadRefName{"tab\there", "A-Z a-z 0-9"},
                      BadRefName{"star*", "A-Z a-z 0-9"}));

TEST(ValidateRefNameTest, ShowsNulEscapedInMessage) {
  Status s = ValidateRefName(std::string("a\0b", 3));
  EXPECT_TRUE(FailsWith(s, StatusCode::kInvalidArgument, "\"a\\0b\""));
}

// -------------------------------------------------------------- DecodeRefFile

const std::string kHex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

TEST(DecodeRefFileTest, AcceptsHexAndNewline) {
  Result<ObjectId> id = DecodeRefFile(AsBytes(kHex + "\n"));
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->Hex(), kHex);
}

TEST(DecodeRefFileTest, RejectsMalformedFiles) {
  std::string upper = kHex;
  upper[10] = 'A';
  std::string non_hex = kHex;
  non_hex[0] = 'g';
  const std::vector<std::string> bad = {
      "",                     // empty
      kHex,                   // missing newline
      kHex.substr(1) + "\n",  // 63 digits
      kHex + "0\n",           // 65 digits
      kHex + "\n\n",          // trailing line
      kHex + " ",             // space instead of newline
      upper + "\n",           // upper-case hex is not canonical
      non_hex + "\n",
  };
  for (const std::string& text : bad) {
    Result<ObjectId> id = DecodeRefFile(AsBytes(text));
    ASSERT_FALSE(id.ok()) << "accepted \"" << text << "\"";
    EXPECT_TRUE(id.status().IsCorruption()) << id.status().ToString();
  }
}

// ------------------------------------------------------- refs in a real store

class RefStoreTest : public ::testing::Test {
 protected:
  ObjectId Id(char c) { return Must(ObjectId::FromHex(std::string(64, c))); }
  std::string HeadsDir() { return dir_.Sub("store/refs/heads"); }

  TempDir dir_;
  std::unique_ptr<Store> store_ = NewStore(dir_.Sub("store"), StoreMode::kArchive);
};

TEST_F(RefStoreTest, WriteReadListDeleteRoundTrip) {
  const std::map<std::string, ObjectId> refs = {
      {"main", Id('1')}, {"os/x86_64/stable", Id('2')}, {"os/x86_64/testing", Id('3')}};
  for (const auto& [name, id] : refs) Must(WriteRef(*store_, name, id));
  for (const auto& [name, id] : refs) {
    std::optional<ObjectId> read = Must(ReadRef(*store_, name));
    ASSERT_TRUE(read.has_value()) << name;
    EXPECT_EQ(*read, id) << name;
  }
  EXPECT_EQ(Must(ListRefs(*store_)), refs);
  EXPECT_EQ(ReadTestFile(HeadsDir() + "/os/x86_64/stable"), std::string(64, '2') + "\n");

  Must(DeleteRef(*store_, "os/x86_64/stable"));
  EXPECT_FALSE(Must(ReadRef(*store_, "os/x86_64/stable")).has_value());
  std::map<std::string, ObjectId> left = refs;
  left.erase("os/x86_64/stable");
  EXPECT_EQ(Must(ListRefs(*store_)), left);
}

TEST_F(RefStoreTest, RemoteRefsLiveApartFromBranches) {
  Must(WriteRef(*store_, "os/stable", Id('1')));
  Must(WriteRef(*store_, "origin:os/stable", Id('2')));
  EXPECT_EQ(*Must(ReadRef(*store_, "os/stable")), Id('1'));
  EXPECT_EQ(*Must(ReadRef(*store_, "origin:os/stable")), Id('2'));
  EXPECT_EQ(ReadTestFile(dir_.Sub("store/refs/remotes/origin/os/stable")), std::string(64, '2') + "\n");
  const std::map<std::string, ObjectId> both = {{"os/stable", Id('1')}, {"origin:os/stable", Id('2')}};
  EXPECT_EQ(Must(ListRefs(*store_)), both);
  Must(DeleteRef(*store_, "origin:os/stable"));
  EXPECT_FALSE(Must(ReadRef(*store_, "origin:os/stable")).has_value());
  EXPECT_TRUE(DeleteRef(*store_, "other:x").IsNotFound());
  for (const char* bad : {"a/b:c", ":c", "a:", "..:x", "a:b:c"}) {
    EXPECT_FALSE(ValidateRefName(bad).ok()) << bad;
  }
}

TEST_F(RefStoreTest, WriteReplacesExistingRef) {
  Must(WriteRef(*store_, "main", Id('1')));
  Must(WriteRef(*store_, "main", Id('2')));
  EXPECT_EQ(Must(ReadRef(*store_, "main")), Id('2'));
  EXPECT_EQ(testing::ListNames(HeadsDir()), std::vector<std::string>{"main"});
}

TEST_F(RefStoreTest, MissingRefsReadAsNullopt) {
  EXPECT_FALSE(Must(ReadRef(*store_, "nothing")).has_value());
  EXPECT_FALSE(Must(ReadRef(*store_, "no/such/dir")).has_value());
}

TEST_F(RefStoreTest, DeleteOfMissingRefIsNotFound) {
  EXPECT_TRUE(FailsWith(DeleteRef(*store_, "ghost"), StatusCode::kNotFound, "ghost"));
}

TEST_F(RefStoreTest, InvalidNamesNeverReachTheFilesystem) {
  for (const char* name : {"../escape", "a/../../b", "/abs", "x/"}) {
    EXPECT_EQ(WriteRef(*store_, name, Id('1')).code(), StatusCode::kInvalidArgument) << name;
    EXPECT_EQ(ReadRef(*store_, name).status().code(), StatusCode::kInvalidArgument) << name;
    EXPECT_EQ(DeleteRef(*store_, name).code(), StatusCode::kInvalidArgument) << name;
  }
  EXPECT_TRUE(testing::ListNames(HeadsDir()).empty());
  EXPECT_EQ(testing::ListNames(dir_.Sub("store/refs")), (std::vector<std::string>{"heads", "remotes"}));
}

TEST_F(RefStoreTest, GarbageRefFileIsCorruptionNamingTheRef) {
  WriteTestFile(HeadsDir() + "/junk", "not a checksum\n");
  EXPECT_TRUE(FailsWith(ReadRef(*store_, "junk"), StatusCode::kCorruption, "junk"));
  EXPECT_TRUE(FailsWith(ListRefs(*store_), StatusCode::kCorruption, "junk"));
}

// ValidateRefName accepts 255 bytes, so WriteRef must be able to write such
// a ref (its temporary file must not need a longer name than the ref).
TEST_F(RefStoreTest, WritesTheLongestValidName) {
  const std::string name(255, 'r');
  ASSERT_TRUE(ValidateRefName(name).ok());
  Status s = WriteRef(*store_, name, Id('1'));
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Must(ReadRef(*store_, name)), Id('1'));
}

// A writer killed anywhere inside WriteRef (every mutating call from the
// first on fails, and nothing cleans up) leaves its temporary file behind:
// junk, not a ref, and no reason for listing to fail.
TEST_F(RefStoreTest, ListRefsIgnoresWhatAKilledWriterLeaves) {
  Must(WriteRef(*store_, "main", Id('1')));
  for (uint64_t kill_at = 1;; ++kill_at) {
    ASSERT_LT(kill_at, 50u) << "WriteRef never succeeded";
    fs::FaultFs faulty(fs::DefaultFs());
    std::unique_ptr<Store> store = Must(Store::Open(faulty, dir_.Sub("store")));
    faulty.CrashAtMutation(kill_at);
    Status written = WriteRef(*store, "next", Id('2'));
    Result<std::map<std::string, ObjectId>> refs = ListRefs(*store_);
    ASSERT_TRUE(refs.ok()) << "killed at mutation " << kill_at << ": " << refs.status().ToString();
    std::map<std::string, ObjectId> want = {{"main", Id('1')}};
    if (refs->contains("next")) want["next"] = Id('2');  // killed after the rename
    EXPECT_EQ(*refs, want) << "killed at mutation " << kill_at;
    if (written.ok()) break;
  }
}

// ------------------------------------------------------------ ResolveRevision

class ResolveRevisionTest : public RefStoreTest {
 protected:
  void SetUp() override {
    std::filesystem::create_directory(dir_.Sub("tree"));
    WriteTestFile(dir_.Sub("tree/file"), "one\n");
    first_ = CommitTo(*store_, dir_.Sub("tree"), "os/stable").commit;
    WriteTestFile(dir_.Sub("tree/file"), "two\n");
    second_ = CommitTo(*store_, dir_.Sub("tree"), "os/stable").commit;
  }

  ObjectId first_;
  ObjectId second_;
};

TEST_F(ResolveRevisionTest, FullIdResolvesToItself) {
  EXPECT_EQ(Must(ResolveRevision(*store_, first_.Hex())), first_);
}

TEST_F(ResolveRevisionTest, RefResolvesToItsCommit) {
  EXPECT_EQ(Must(ResolveRevision(*store_, "os/stable")), second_);
}

TEST_F(ResolveRevisionTest, CaretFollowsParents) {
  EXPECT_EQ(Must(ResolveRevision(*store_, "os/stable^")), first_);
  EXPECT_EQ(Must(ResolveRevision(*store_, second_.Hex() + "^")), first_);
  EXPECT_TRUE(FailsWith(ResolveRevision(*store_, "os/stable^^"), StatusCode::kNotFound,
                        first_.Hex() + " has no parent"));
}

TEST_F(ResolveRevisionTest, MissingRefIsNotFoundNamingIt) {
  EXPECT_TRUE(FailsWith(ResolveRevision(*store_, "os/unstable"), StatusCode::kNotFound,
                        "\"os/unstable\""));
  EXPECT_TRUE(FailsWith(ResolveRevision(*store_, "nope^"), StatusCode::kNotFound, "\"nope\""));
}

}  // namespace
}  // namespace larch::repo
