// File: repo/objects/object_id_test.cc
#include "repo/objects/object_id.h"

#include <gtest/gtest.h>

#include <set>
#include <unordered_set>

namespace larch::repo {
namespace {

constexpr std::string_view kAbcHex =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

TEST(ObjectIdTest, HashOfAndHex) {
  const ObjectId id = ObjectId::HashOf(AsBytes("abc"));
  EXPECT_EQ(id.Hex(), kAbcHex);
  EXPECT_EQ(*ObjectId::FromHex(kAbcHex), id);
  EXPECT_EQ(*ObjectId::FromBytes(id.bytes()), id);
}

TEST(ObjectIdTest, DefaultIsZero) {
  EXPECT_EQ(ObjectId().Hex(), std::string(64, '0'));
}

TEST(ObjectIdTest, FromHexRejects) {
  const std::string upper = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";
  for (std::string_view bad : {std::string_view(""), kAbcHex.substr(0, 63), kAbcHex.substr(0, 62),
                               std::string_view(upper)}) {
    auto r = ObjectId::FromHex(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  }
  std::string with_g(kAbcHex);
  with_g[10] = 'g';
  EXPECT_FALSE(ObjectId::FromHex(with_g).ok());
  EXPECT_FALSE(ObjectId::FromHex(std::string(kAbcHex) + "00").ok());
  // Long junk is shortened in the message.
  auto r = ObjectId::FromHex(std::string(10000, 'z'));
  ASSERT_FALSE(r.ok());
  EXPECT_LT(r.status().message().size(), 200u);
}

TEST(ObjectIdTest, FromBytesRejectsWrongSize) {
  EXPECT_FALSE(ObjectId::FromBytes(Bytes(31, 0)).ok());
  EXPECT_FALSE(ObjectId::FromBytes(Bytes(33, 0)).ok());
  EXPECT_TRUE(ObjectId::FromBytes(Bytes(32, 0)).ok());
}

TEST(ObjectIdTest, OrderIsBytewise) {
  Bytes a(32, 0), b(32, 0);
  a[0] = 0x01;
  b[0] = 0xf0;
  EXPECT_LT(*ObjectId::FromBytes(a), *ObjectId::FromBytes(b));
  std::set<ObjectId> ordered{*ObjectId::FromBytes(b), *ObjectId::FromBytes(a)};
  EXPECT_EQ(*ordered.begin(), *ObjectId::FromBytes(a));
  std::unordered_set<ObjectId, ObjectIdHash> hashed{*ObjectId::FromBytes(a)};
  EXPECT_TRUE(hashed.count(*ObjectId::FromBytes(a)));
}

TEST(ObjectIdTest, TypeNames) {
  for (ObjectType t : {ObjectType::kFile, ObjectType::kDirTree, ObjectType::kDirMeta,
                       ObjectType::kCommit, ObjectType::kCommitMeta}) {
    EXPECT_EQ(ObjectTypeFromName(ObjectTypeName(t)), t);
  }
  EXPECT_EQ(ObjectTypeName(ObjectType::kDirTree), "dirtree");
  EXPECT_EQ(ObjectTypeName(ObjectType::kCommitMeta), "commitmeta");
  EXPECT_FALSE(ObjectTypeFromName("tree").has_value());
  EXPECT_FALSE(ObjectTypeFromName("").has_value());
  EXPECT_FALSE(ObjectTypeFromName("File").has_value());
}

TEST(ObjectKeyTest, CommitAndCommitMetaDiffer) {
  const ObjectId id = ObjectId::HashOf(AsBytes("x"));
  const ObjectKey commit{id, ObjectType::kCommit};
  const ObjectKey meta{id, ObjectType::kCommitMeta};
  EXPECT_NE(commit, meta);
  EXPECT_LT(commit, meta);
}

}  // namespace
}  // namespace larch::repo
