#include "repo/store.h"

#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "repo/objects/dirmeta.h"
#include "repo/repo_test_util.h"
#include "repo/transaction.h"

namespace larch::repo {
namespace {

using testing::FailsWith;
using testing::Must;
using testing::NewStore;
using testing::ReadTestFile;
using testing::TempDir;
using testing::WriteTestFile;
namespace stdfs = std::filesystem;

fs::Fs& Posix() { return *fs::DefaultFs(); }

// ------------------------------------------------------------ Create and Open

class StoreModeTest : public ::testing::TestWithParam<StoreMode> {
 protected:
  TempDir dir_;
};

TEST_P(StoreModeTest, CreateThenOpenKeepsTheConfig) {
  const StoreConfig config{GetParam(), 7};
  Must(Store::Create(Posix(), dir_.Sub("store"), config));
  std::unique_ptr<Store> store = Must(Store::Open(Posix(), dir_.Sub("store")));
  EXPECT_EQ(store->config(), config);
  EXPECT_EQ(store->mode(), GetParam());
  EXPECT_EQ(store->path(), dir_.Sub("store"));
  EXPECT_TRUE(Must(store->ListObjects()).empty());
}

TEST_P(StoreModeTest, CreateLaysOutEveryFanOutDirectory) {
  Must(Store::Create(Posix(), dir_.Sub("store"), StoreConfig{GetParam(), 3}));
  for (const char* entry : {"config", "lock", "objects", "refs", "tmp"})
    EXPECT_TRUE(stdfs::exists(dir_.Sub("store/") + entry)) << entry;
  std::vector<std::string> fanout = testing::ListNames(dir_.Sub("store/objects"));
  ASSERT_EQ(fanout.size(), 256u);
  EXPECT_EQ(fanout.front(), "00");
  EXPECT_EQ(fanout.back(), "ff");
  EXPECT_TRUE(stdfs::is_directory(dir_.Sub("store/refs/heads")));
}

TEST_P(StoreModeTest, CreateIntoExistingEmptyDirectory) {
  stdfs::create_directory(dir_.Sub("store"));
  Must(Store::Create(Posix(), dir_.Sub("store"), StoreConfig{GetParam(), 3}));
  EXPECT_EQ(Must(Store::Open(Posix(), dir_.Sub("store")))->mode(), GetParam());
}

INSTANTIATE_TEST_SUITE_P(Modes, StoreModeTest,
                         ::testing::Values(StoreMode::kArchive, StoreMode::kBare),
                         [](const auto& p) { return std::string(StoreModeName(p.param)); });

TEST(StoreTest, CreateRefusesNonEmptyDirectory) {
  TempDir dir;
  stdfs::create_directory(dir.Sub("busy"));
  WriteTestFile(dir.Sub("busy/keep"), "precious");
  Status s = Store::Create(Posix(), dir.Sub("busy"), StoreConfig{});
  EXPECT_TRUE(FailsWith(s, StatusCode::kAlreadyExists, "not empty"));
  EXPECT_EQ(testing::ListNames(dir.Sub("busy")), std::vector<std::string>{"keep"});
  EXPECT_EQ(ReadTestFile(dir.Sub("busy/keep")), "precious");
}

TEST(StoreTest, CreateRefusesARegularFile) {
  TempDir dir;
  WriteTestFile(dir.Sub("file"), "x");
  EXPECT_EQ(Store::Create(Posix(), dir.Sub("file"), StoreConfig{}).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(ReadTestFile(dir.Sub("file")), "x");
}

TEST(StoreTest, OpenOfPlainDirectoryIsNotALarchStore) {
  TempDir dir;
  stdfs::create_directory(dir.Sub("plain"));
  EXPECT_TRUE(FailsWith(Store::Open(Posix(), dir.Sub("plain")), StatusCode::kInvalidArgument,
                        "not a larch store"));
  EXPECT_TRUE(testing::ListNames(dir.Sub("plain")).empty());
}

TEST(StoreTest, OpenOfMissingDirectoryNamesIt) {
  TempDir dir;
  Result<std::unique_ptr<Store>> store = Store::Open(Posix(), dir.Sub("nothing"));
  EXPECT_TRUE(FailsWith(store, StatusCode::kNotFound, dir.Sub("nothing")));
  EXPECT_FALSE(stdfs::exists(dir.Sub("nothing")));
}

TEST(StoreTest, OpenOfIncompleteStoreFails) {
  TempDir dir;
  NewStore(dir.Sub("store"), StoreMode::kArchive);
  stdfs::remove(dir.Sub("store/objects/7f"));
  EXPECT_FALSE(Store::Open(Posix(), dir.Sub("store")).ok());
}

struct BadConfig {
  std::string name;
  std::string text;
  std::string needle;  // what the message must name
};

void PrintTo(const BadConfig& bad, std::ostream* os) { *os << bad.name; }

class BadConfigTest : public ::testing::TestWithParam<BadConfig> {};

// A config file that does not parse is corruption, and the message says
// which store and what is wrong.
TEST_P(BadConfigTest, OpenReportsCorruption) {
  TempDir dir;
  NewStore(dir.Sub("store"), StoreMode::kArchive);
  WriteTestFile(dir.Sub("store/config"), GetParam().text);
  Result<std::unique_ptr<Store>> store = Store::Open(Posix(), dir.Sub("store"));
  EXPECT_TRUE(FailsWith(store, StatusCode::kCorruption, GetParam().needle));
  EXPECT_TRUE(FailsWith(store, StatusCode::kCorruption, dir.Sub("store")));
}

INSTANTIATE_TEST_SUITE_P(
    Configs, BadConfigTest,
    ::testing::Values(
        BadConfig{"Garbage", "\x7f" "ELF\x01\x02 binary junk", "no newline"},
        BadConfig{"GarbageLine", "hello world\n", "not key=value"},
        BadConfig{"Empty", "", "missing format or mode"},
        BadConfig{"UnknownKey", "format=larch-store-1\nmode=archive\ncolour=blue\n",
                  "unknown key \"colour\""},
        BadConfig{"UnknownKeyLine", "format=larch-store-1\nmode=archive\ncolour=blue\n", "line 3"},
        BadConfig{"DuplicateKey", "format=larch-store-1\nmode=archive\nmode=bare\n",
                  "duplicate key \"mode\""},
        BadConfig{"MissingMode", "format=larch-store-1\n", "missing format or mode"},
        BadConfig{"BadLevel", "format=larch-store-1\nmode=archive\ncompression-level=99\n",
                  "compression-level"},
        BadConfig{"UnknownMode", "format=larch-store-1\nmode=tape\n", "tape"},
        BadConfig{"UnknownVerity", "format=larch-store-1\nmode=bare\nverity=sometimes\n", "sometimes"},
        BadConfig{"VerityOnArchive", "format=larch-store-1\nmode=archive\nverity=required\n", "needs a bare store"}),
    [](const auto& p) { return p.param.name; });

// verity= is written only when on, read back as written, and the sysroot's
// override reaches bare stores only.
TEST(StoreTest, VerityModeRoundTripsAndOverridesOnBareStoresOnly) {
  TempDir dir;
  const StoreConfig bare{StoreMode::kBare, 3, 0, VerityMode::kRequired};
  EXPECT_NE(EncodeStoreConfig(bare).find("verity=required\n"), std::string::npos);
  EXPECT_EQ(EncodeStoreConfig(StoreConfig{StoreMode::kBare, 3}).find("verity"), std::string::npos);
  Must(Store::Create(Posix(), dir.Sub("bare"), bare));
  std::unique_ptr<Store> store = Must(Store::Open(Posix(), dir.Sub("bare")));
  EXPECT_EQ(store->config(), bare);
  EXPECT_EQ(store->verity_mode(), VerityMode::kRequired);
  store->OverrideVerityMode(VerityMode::kOff);
  EXPECT_EQ(store->verity_mode(), VerityMode::kOff);
  Must(Store::Create(Posix(), dir.Sub("archive"), StoreConfig{StoreMode::kArchive, 3}));
  std::unique_ptr<Store> archive = Must(Store::Open(Posix(), dir.Sub("archive")));
  archive->OverrideVerityMode(VerityMode::kRequired);
  EXPECT_EQ(archive->verity_mode(), VerityMode::kOff);
}

TEST(StoreTest, NewerFormatIsUnsupported) {
  TempDir dir;
  NewStore(dir.Sub("store"), StoreMode::kArchive);
  WriteTestFile(dir.Sub("store/config"), "format=larch-store-2\nmode=archive\n");
  EXPECT_TRUE(FailsWith(Store::Open(Posix(), dir.Sub("store")), StatusCode::kUnsupported,
                        "larch-store-2"));
}

// ------------------------------------------------------------ object names

const std::string kRest62 = "23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

TEST(ObjectFileNameTest, ParsesEveryType) {
  for (ObjectType type : {ObjectType::kFile, ObjectType::kDirTree, ObjectType::kDirMeta,
                          ObjectType::kCommit, ObjectType::kCommitMeta}) {
    std::string name = kRest62 + "." + std::string(ObjectTypeName(type));
    std::optional<ObjectKey> key = Store::ParseObjectFileName(0x01, name);
    ASSERT_TRUE(key.has_value()) << name;
    EXPECT_EQ(key->type, type);
    EXPECT_EQ(key->id.Hex(), "01" + kRest62);
    EXPECT_EQ(Store::ObjectFileName(*key), name);
    EXPECT_EQ(Store::ObjectRelPath(*key), "objects/01/" + name);
  }
}

TEST(ObjectFileNameTest, RejectsEverythingElse) {
  std::string upper = kRest62;
  upper[3] = 'A';
  const std::vector<std::string> bad = {
      "",
      kRest62,                                  // no type
      kRest62 + ".",                            // empty type
      kRest62 + ".blob",                        // unknown type
      kRest62 + ".file.tmp",                    // a suffix
      kRest62.substr(1) + ".file",              // 61 hex digits
      kRest62 + "0.file",                       // 63 hex digits
      upper + ".file",                          // upper case
      kRest62.substr(0, 61) + "g.file",         // not hex
      "file." + kRest62,
  };
  for (const std::string& name : bad)
    EXPECT_FALSE(Store::ParseObjectFileName(0x01, name).has_value()) << "accepted " << name;
}

// ------------------------------------------------------------ metadata objects

class MetadataObjectTest : public ::testing::Test {
 protected:
  // Stores one dirmeta through a transaction, as a commit would.
  ObjectKey StoreDirMeta() {
    auto txn = Must(Transaction::Begin(*store_));
    ObjectId id = Must(txn->WriteMetadata(ObjectType::kDirMeta, EncodeDirMeta(meta_)));
    Must(txn->Commit());
    return {id, ObjectType::kDirMeta};
  }

  TempDir dir_;
  std::unique_ptr<Store> store_ = NewStore(dir_.Sub("store"), StoreMode::kArchive);
  DirMeta meta_{S_IFDIR | 0755, 1234, 5678, {}};
};

TEST_F(MetadataObjectTest, ReadsBackWhatWasStored) {
  ObjectKey key = StoreDirMeta();
  EXPECT_TRUE(Must(store_->HasObject(key)));
  EXPECT_EQ(Must(store_->ReadMetadataBytes(key)), EncodeDirMeta(meta_));
  EXPECT_EQ(Must(store_->ReadDirMeta(key.id)), meta_);
  EXPECT_EQ(Must(store_->ListObjects()), std::vector<ObjectKey>{key});
}

TEST_F(MetadataObjectTest, FlippedByteIsCorruptionNamingTheObject) {
  ObjectKey key = StoreDirMeta();
  testing::FlipByte(testing::ObjectPath(*store_, key), 5);
  const std::string where = Store::ObjectRelPath(key);
  EXPECT_EQ(where.substr(0, 11), "objects/" + key.id.Hex().substr(0, 2) + "/");
  EXPECT_TRUE(FailsWith(store_->ReadMetadataBytes(key), StatusCode::kCorruption, where));
  EXPECT_TRUE(FailsWith(store_->ReadDirMeta(key.id), StatusCode::kCorruption, where));
}

TEST_F(MetadataObjectTest, MissingObjectIsNotFound) {
  ObjectKey key = StoreDirMeta();
  Must(store_->DeleteObject(key));
  EXPECT_FALSE(Must(store_->HasObject(key)));
  EXPECT_TRUE(FailsWith(store_->ReadMetadataBytes(key), StatusCode::kNotFound, key.id.Hex()));
  EXPECT_TRUE(Must(store_->ListObjects()).empty());
}

// The same bytes stored under another type must not parse as that type.
TEST_F(MetadataObjectTest, ObjectUnderWrongTypeIsCorruption) {
  ObjectKey key = StoreDirMeta();
  ObjectKey as_tree{key.id, ObjectType::kDirTree};
  stdfs::copy_file(testing::ObjectPath(*store_, key), testing::ObjectPath(*store_, as_tree));
  EXPECT_TRUE(FailsWith(store_->ReadDirTree(key.id), StatusCode::kCorruption,
                        Store::ObjectRelPath(as_tree)));
}

}  // namespace
}  // namespace larch::repo
