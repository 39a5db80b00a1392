// File: tests/support/temp_dir.h
// TempDir: a fresh directory under $TMPDIR (or /var/tmp) removed at scope
// exit. Real directories, not an in-memory filesystem: hard-link and rename
// semantics are what the tests are about.
#pragma once

#include <string>

namespace larch::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

// Writes `content` to `path` (creating or truncating), for test fixtures.
void WriteTestFile(const std::string& path, const std::string& content, int mode = 0644);
// Reads a whole file; aborts the test on error.
std::string ReadTestFile(const std::string& path);

}  // namespace larch::testing
