// Result<T> and the macros that keep call sites short.
#include "src/base/result.h"

#include <memory>
#include <string>

#include <gtest/gtest.h>

namespace larch {
namespace {

Result<int> Half(int n) {
  if (n % 2 != 0) return Status::InvalidArgument(std::to_string(n) + " is odd");
  return n / 2;
}

Result<int> Quarter(int n) {
  LARCH_ASSIGN_OR_RETURN(int half, Half(n));
  LARCH_ASSIGN_OR_RETURN(int quarter, Half(half));  // two in one scope: distinct temporaries
  return quarter;
}

Status CheckEven(int n) {
  LARCH_RETURN_IF_ERROR(Half(n));  // a Result works as well as a Status
  LARCH_RETURN_IF_ERROR(Status::Ok());
  return Status::Ok();
}

TEST(Result, ValueOrStatus) {
  Result<int> good = Half(8);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 4);
  EXPECT_EQ(good.value(), 4);
  EXPECT_TRUE(good.status().ok());
  Result<int> bad = Half(3);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "3 is odd");
}

TEST(Result, MacrosReturnTheFirstError) {
  EXPECT_EQ(*Quarter(12), 3);
  EXPECT_EQ(Quarter(6).status().message(), "3 is odd");
  EXPECT_EQ(Quarter(5).status().message(), "5 is odd");
  EXPECT_TRUE(CheckEven(2).ok());
  EXPECT_EQ(CheckEven(7).message(), "7 is odd");
}

TEST(Result, MoveOnlyValuesAndArrow) {
  Result<std::unique_ptr<std::string>> r = std::make_unique<std::string>("abc");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->size(), 3u);
  std::unique_ptr<std::string> taken = std::move(r).value();
  EXPECT_EQ(*taken, "abc");
  Result<std::string> s = std::string("xyz");
  EXPECT_EQ(s->front(), 'x');
}

TEST(Result, WithContextOnlyTouchesErrors) {
  EXPECT_EQ(*Half(4).WithContext("halving"), 2);
  Result<int> bad = Half(1).WithContext("halving");
  EXPECT_EQ(bad.status().message(), "halving: 1 is odd");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  // status() of a temporary is a copy, not a dangling reference.
  Status moved = Half(9).status();
  EXPECT_EQ(moved.message(), "9 is odd");
}

}  // namespace
}  // namespace larch
