// File: repo/delta/elf_test_util.h
//
// Real ELF pairs for the ELF engine's tests: two versions of a generated C
// program compiled here with -O2. Version 2 inserts a function early and
// grows every 25th function, so the code after each change moves by a
// different amount and most calls (each function calls one far away) and
// string references cross a change.
#pragma once

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

#include "src/base/bytes.h"
#include "tests/support/temp_dir.h"

namespace larch::delta::testing {

using ::larch::testing::TempDir;
using ::larch::testing::WriteTestFile;

inline constexpr int kProgramFunctions = 600;

inline std::string ProgramSource(int version) {
  std::string s = "#include <stdio.h>\n";
  if (version >= 2)
    s += "__attribute__((noinline)) int inserted(int x) { int s = 0; for (int i = 0; i < x; i++) "
         "{ s += i * i ^ x; if (s > 1000) s -= x * 3; } return s; }\n";
  const int n = kProgramFunctions;
  for (int i = 0; i < n; ++i) s += "int f" + std::to_string(i) + "(int);\n";
  for (int i = 0; i < n; ++i) {
    std::string is = std::to_string(i);
    s += "__attribute__((noinline)) int f" + is + "(int x) { int s = x; for (int k = 0; k < (x & 7) + " +
         std::to_string(i % 5) + "; k++) s = s * " + std::to_string(i + 3) + " + k; ";
    if (version >= 2 && i % 25 == 7) s += "if (s % 13 == 5) { s += x * x - " + is + "; puts(\"grown\"); } ";
    s += "if (s & 1) puts(\"odd " + is + "\"); ";
    s += "return x > 100 ? s : s + f" + std::to_string((i * 37 + 11) % n) + "(x + 1); }\n";
  }
  s += "int main(int argc, char** argv) { int t = 0; (void)argv;\n";
  if (version >= 2) s += "  t += inserted(argc);\n";
  for (int i = 0; i < n; i += 7) s += "  t += f" + std::to_string(i) + "(argc + 90);\n";
  s += "  printf(\"%d\\n\", t); return 0; }\n";
  return s;
}

inline bool HaveCompiler(const std::string& compiler) {
  return std::system(("command -v " + compiler + " >/dev/null 2>&1").c_str()) == 0;
}

inline Bytes ReadTestBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

// The program of `version` built by `compiler`; nullopt if it fails.
inline std::optional<Bytes> CompileProgram(const TempDir& dir, const std::string& compiler, int version) {
  std::string base = dir.Sub(compiler + "-v" + std::to_string(version));
  WriteTestFile(base + ".c", ProgramSource(version));
  std::string cmd = compiler + " -O2 -o " + base + " " + base + ".c";
  if (std::system(cmd.c_str()) != 0) return std::nullopt;
  return ReadTestBytes(base);
}

}  // namespace larch::delta::testing
