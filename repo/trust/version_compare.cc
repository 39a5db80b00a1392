// File: repo/trust/version_compare.cc
#include "repo/trust/version_compare.h"

#include <cctype>

namespace larch::trust {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// dpkg's character order: '~' first (before the end of the run), then the
// end, then letters, then everything else.
int Order(int c) {
  if (c == '~') return -1;
  if (c == 0) return 0;
  if (std::isalpha(c)) return c;
  return c + 256;
}

int CompareNonDigits(std::string_view& a, std::string_view& b) {
  while ((!a.empty() && !IsDigit(a[0])) || (!b.empty() && !IsDigit(b[0]))) {
    int ca = a.empty() || IsDigit(a[0]) ? 0 : Order(static_cast<unsigned char>(a[0]));
    int cb = b.empty() || IsDigit(b[0]) ? 0 : Order(static_cast<unsigned char>(b[0]));
    if (ca != cb) return ca < cb ? -1 : 1;
    if (!a.empty() && !IsDigit(a[0])) a.remove_prefix(1);
    if (!b.empty() && !IsDigit(b[0])) b.remove_prefix(1);
  }
  return 0;
}

std::string_view TakeDigits(std::string_view& s) {
  size_t n = 0;
  while (n < s.size() && IsDigit(s[n])) ++n;
  std::string_view digits = s.substr(0, n);
  s.remove_prefix(n);
  while (!digits.empty() && digits[0] == '0') digits.remove_prefix(1);
  return digits;
}

// Numeric comparison of arbitrarily long digit runs: longer is larger once
// leading zeros are gone, else lexicographic.
int CompareDigits(std::string_view& a, std::string_view& b) {
  std::string_view da = TakeDigits(a);
  std::string_view db = TakeDigits(b);
  if (da.size() != db.size()) return da.size() < db.size() ? -1 : 1;
  int c = da.compare(db);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

}  // namespace

int CompareVersions(std::string_view a, std::string_view b) {
  while (!a.empty() || !b.empty()) {
    if (int c = CompareNonDigits(a, b); c != 0) return c;
    if (int c = CompareDigits(a, b); c != 0) return c;
  }
  return 0;
}

}  // namespace larch::trust
