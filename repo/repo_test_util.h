// File: repo/repo_test_util.h
// Helpers shared by the repo/*_test.cc files (test-only; not in the
// library): stores in temporary directories, commits of small trees, and
// ways to damage stored bytes the way a bad disk or a bad server would.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <memory>
#include <ostream>
#include <source_location>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "repo/commit_builder.h"
#include "repo/store.h"
#include "repo/tree_lookup.h"
#include "src/base/result.h"
#include "src/fs/fs.h"
#include "tests/support/temp_dir.h"

namespace larch::repo {

// Readable names for parameterized tests.
inline void PrintTo(StoreMode mode, std::ostream* os) { *os << StoreModeName(mode); }

}  // namespace larch::repo

namespace larch::repo::testing {

using ::larch::testing::ReadTestFile;
using ::larch::testing::TempDir;
using ::larch::testing::WriteTestFile;

// A fixed commit time, so ids do not depend on the clock.
inline constexpr uint64_t kTestTimestamp = 1700000000;

// The value of `r`, or a test failure at the caller's line. The exception
// ends the test body (GoogleTest reports it) where ASSERT_* cannot be used:
// in helpers that return a value.
template <typename T>
T Must(Result<T> r, std::source_location loc = std::source_location::current()) {
  if (!r.ok()) {
    ADD_FAILURE_AT(loc.file_name(), static_cast<int>(loc.line())) << r.status().ToString();
    throw std::runtime_error("Must: " + r.status().ToString());
  }
  return std::move(r).value();
}

inline void Must(const Status& s, std::source_location loc = std::source_location::current()) {
  if (!s.ok()) {
    ADD_FAILURE_AT(loc.file_name(), static_cast<int>(loc.line())) << s.ToString();
    throw std::runtime_error("Must: " + s.ToString());
  }
}

// Asserts a failed status (or result) with `code` whose message contains
// `needle`.
inline ::testing::AssertionResult FailsWith(const Status& s, StatusCode code,
                                            const std::string& needle) {
  if (s.ok()) return ::testing::AssertionFailure() << "succeeded; wanted: " << needle;
  if (s.code() != code)
    return ::testing::AssertionFailure() << "wrong code " << StatusCodeName(s.code()) << ": "
                                         << s.ToString();
  if (s.message().find(needle) == std::string::npos)
    return ::testing::AssertionFailure() << "message \"" << s.message() << "\" lacks \"" << needle
                                         << "\"";
  return ::testing::AssertionSuccess();
}
template <typename T>
::testing::AssertionResult FailsWith(const Result<T>& r, StatusCode code,
                                     const std::string& needle) {
  if (r.ok()) return ::testing::AssertionFailure() << "succeeded; wanted: " << needle;
  return FailsWith(r.status(), code, needle);
}

// Creates a store at `path` (a fast compression level) and opens it.
inline std::unique_ptr<Store> NewStore(const std::string& path, StoreMode mode) {
  Must(Store::Create(*fs::DefaultFs(), path, StoreConfig{mode, 3}));
  return Must(Store::Open(*fs::DefaultFs(), path));
}

inline CommitOptions TestCommitOptions(const std::string& branch) {
  CommitOptions options;
  options.branch = branch;
  options.subject = "test commit";
  options.timestamp = kTestTimestamp;
  return options;
}

inline CommitStats CommitTo(Store& store, const std::string& tree, const std::string& branch) {
  return Must(CommitTree(store, tree, TestCommitOptions(branch)));
}

// The key of the file object at `path` ("/etc/motd") in `commit`.
inline ObjectKey FileKeyAt(const Store& store, const ObjectId& commit, const std::string& path) {
  TreeNode node = Must(LookupPath(store, Must(store.ReadCommit(commit)), path));
  if (!node.file) throw std::runtime_error(path + " is not a file in the commit");
  return {node.file->file, ObjectType::kFile};
}

// Absolute path of an object's file.
inline std::string ObjectPath(const Store& store, const ObjectKey& key) {
  return store.path() + "/" + Store::ObjectRelPath(key);
}

inline off_t FileSize(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) throw std::runtime_error("lstat " + path);
  return st.st_size;
}

// XORs the byte at `offset` (counted from the end when negative) with 0xff,
// in place: same inode, same mode (root may write read-only files).
inline void FlipByte(const std::string& path, off_t offset) {
  if (offset < 0) offset += FileSize(path);
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC));
  ASSERT_TRUE(fd.valid()) << "open " << path;
  uint8_t byte = 0;
  ASSERT_EQ(::pread(fd.get(), &byte, 1, offset), 1) << path << " @" << offset;
  byte ^= 0xff;
  ASSERT_EQ(::pwrite(fd.get(), &byte, 1, offset), 1) << path << " @" << offset;
}

inline void TruncateTo(const std::string& path, off_t size) {
  ASSERT_EQ(::truncate(path.c_str(), size), 0) << path;
}

// Sorted names in a directory (without "." and "..").
inline std::vector<std::string> ListNames(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Every path below `root` (relative, sorted) with its type, mode and size:
// equal snapshots mean nothing was created, removed or resized there.
inline std::vector<std::string> SnapshotTree(const std::string& root) {
  std::vector<std::string> out;
  namespace stdfs = std::filesystem;
  for (auto it = stdfs::recursive_directory_iterator(root); it != stdfs::recursive_directory_iterator();
       ++it) {
    struct stat st;
    if (::lstat(it->path().c_str(), &st) != 0) throw std::runtime_error("lstat " + it->path().string());
    out.push_back(it->path().lexically_relative(root).string() + " " + std::to_string(st.st_mode) +
                  " " + std::to_string(st.st_size));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The xattrs of `path`, read without following a symlink, sorted.
inline fs::Xattrs ReadXattrs(const std::string& path) {
  ssize_t size = ::llistxattr(path.c_str(), nullptr, 0);
  if (size < 0) throw std::runtime_error("llistxattr " + path);
  std::vector<char> names(static_cast<size_t>(size) + 1);
  ssize_t len = ::llistxattr(path.c_str(), names.data(), names.size());
  if (len < 0) throw std::runtime_error("llistxattr " + path);
  fs::Xattrs out;
  for (ssize_t i = 0; i < len; i += static_cast<ssize_t>(std::strlen(names.data() + i)) + 1) {
    std::string name(names.data() + i);
    ssize_t value_size = ::lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
    Bytes value(static_cast<size_t>(std::max<ssize_t>(value_size, 0)));
    if (value_size > 0 &&
        ::lgetxattr(path.c_str(), name.c_str(), value.data(), value.size()) != value_size)
      throw std::runtime_error("lgetxattr " + path);
    out.push_back({name, value});
  }
  std::sort(out.begin(), out.end(), [](const fs::Xattr& a, const fs::Xattr& b) { return a.name < b.name; });
  return out;
}

inline void SetXattr(const std::string& path, const std::string& name, std::string_view value) {
  ASSERT_EQ(::lsetxattr(path.c_str(), name.c_str(), value.data(), value.size(), 0), 0)
      << "setxattr " << name << " on " << path;
}

}  // namespace larch::repo::testing
