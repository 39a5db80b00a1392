// File: repo/trust/version_compare.h
//
// Orders release versions for rollback protection, the way dpkg orders
// upstream versions (no epochs, no revisions): the strings are split into
// alternating non-digit and digit runs; digit runs compare as numbers
// ("1.10" > "1.9"), non-digit runs compare character by character with
// letters before other characters and '~' before everything, even the end
// ("2.0~rc1" < "2.0"). Equal strings are equal; "1.0" and "1.00" are equal.
#pragma once

#include <string_view>

namespace larch::trust {

// < 0, 0, > 0 like strcmp.
int CompareVersions(std::string_view a, std::string_view b);

}  // namespace larch::trust
