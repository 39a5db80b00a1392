// File: repo/delta/base_selection_test.cc
#include "repo/delta/base_selection.h"

#include <gtest/gtest.h>

namespace larch::delta {
namespace {

repo::ObjectId Id(const std::string& s) { return repo::ObjectId::HashOf(AsBytes(s)); }

TEST(BaseSelectionTest, StripsVersionNumbers) {
  EXPECT_EQ(StripVersion("libfoo.so.3.0.11"), StripVersion("libfoo.so.3.0.13"));
  EXPECT_NE(StripVersion("libfoo.so.3"), StripVersion("libbar.so.3"));
}

TEST(BaseSelectionTest, SamePathThenVersionlessPathThenName) {
  BaseIndex index;
  index.Add({"/usr/bin/tool", Id("tool"), 100});
  index.Add({"/usr/lib/libfoo.so.3.0.11", Id("foo11"), 100});
  index.Add({"/opt/lib/libbar.so.1", Id("bar-small"), 10});
  index.Add({"/srv/lib/libbar.so.2", Id("bar-big"), 1000});
  EXPECT_EQ(index.Select("/usr/bin/tool", 5)->id, Id("tool"));
  EXPECT_EQ(index.Select("/usr/lib/libfoo.so.3.0.13", 5)->id, Id("foo11"));
  EXPECT_EQ(index.Select("/usr/lib/libbar.so.7", 900)->id, Id("bar-big"));
  EXPECT_EQ(index.Select("/usr/lib/libbar.so.7", 20)->id, Id("bar-small"));
  EXPECT_FALSE(index.Select("/usr/lib/other", 5));
}

}  // namespace
}  // namespace larch::delta
