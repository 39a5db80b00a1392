// File: repo/objects/objects_test_util.h
// Helpers shared by the object codec tests (test-only; not in the library).
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "repo/objects/object_id.h"
#include "src/base/bytes.h"
#include "src/base/result.h"

namespace larch::repo::testing {

// A recognisable id: every byte is `seed`.
inline ObjectId TestId(uint8_t seed) {
  Bytes b(ObjectId::kSize, seed);
  return *ObjectId::FromBytes(b);
}

// Decodes `bytes` and re-encodes; nullopt if the decoder refused them.
using Recode = std::function<std::optional<Bytes>(ByteSpan)>;

template <typename T>
Recode MakeRecode(Result<T> (*decode)(ByteSpan), Bytes (*encode)(const T&)) {
  return [decode, encode](ByteSpan bytes) -> std::optional<Bytes> {
    auto r = decode(bytes);
    if (!r.ok()) {
      EXPECT_TRUE(r.status().IsCorruption()) << r.status().ToString();
      return std::nullopt;
    }
    return encode(*r);
  };
}

// The properties every valid encoding must have: it re-encodes to itself;
// every strict prefix and any trailing byte make it invalid; and every
// single-byte change is either refused or re-encodes to exactly the changed
// bytes (no second encoding of any value).
inline void ExpectCanonical(const Bytes& valid, const Recode& recode) {
  auto same = recode(valid);
  ASSERT_TRUE(same.has_value()) << "valid encoding refused";
  EXPECT_EQ(*same, valid);
  for (size_t n = 0; n < valid.size(); ++n) {
    EXPECT_FALSE(recode(ByteSpan(valid).first(n)).has_value()) << "prefix of " << n << " bytes";
  }
  Bytes longer = valid;
  longer.push_back(0);
  EXPECT_FALSE(recode(longer).has_value()) << "trailing byte accepted";
  for (size_t i = 0; i < valid.size(); ++i) {
    for (uint8_t delta : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xff}}) {
      Bytes changed = valid;
      changed[i] = static_cast<uint8_t>(changed[i] ^ delta);
      auto re = recode(changed);
      if (re) {
        EXPECT_EQ(*re, changed) << "byte " << i << " ^ " << int{delta};
      }
    }
  }
}

// Asserts a kCorruption whose message contains `needle`.
template <typename T>
void ExpectCorruption(const Result<T>& r, const std::string& needle) {
  ASSERT_FALSE(r.ok()) << "accepted; expected: " << needle;
  EXPECT_TRUE(r.status().IsCorruption()) << r.status().ToString();
  EXPECT_NE(r.status().message().find(needle), std::string::npos)
      << "message: " << r.status().message() << "\nwanted: " << needle;
}

// Asserts kInvalidArgument whose message contains `needle`.
inline void ExpectInvalid(const Status& s, const std::string& needle) {
  ASSERT_FALSE(s.ok()) << "accepted; expected: " << needle;
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find(needle), std::string::npos)
      << "message: " << s.message() << "\nwanted: " << needle;
}

}  // namespace larch::repo::testing
