// Status: the codes the CLI's exit-code table branches on, errno mapping,
// and context that keeps code and errno.
#include "src/base/status.h"

#include <cerrno>
#include <cstring>

#include <gtest/gtest.h>

namespace larch {
namespace {

TEST(Status, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.ToString(), "OK");
  EXPECT_TRUE(Status::Ok().ok());
}

TEST(Status, FactoriesSetTheirCode) {
  EXPECT_EQ(Status::NotFound("x").code(), StatusCode::kNotFound);
  EXPECT_EQ(Status::AlreadyExists("x").code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(Status::Corruption("x").code(), StatusCode::kCorruption);
  EXPECT_EQ(Status::VerifyFailed("x").code(), StatusCode::kVerifyFailed);
  EXPECT_EQ(Status::InvalidArgument("x").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Status::Unsupported("x").code(), StatusCode::kUnsupported);
  EXPECT_EQ(Status::NoSpace("x").code(), StatusCode::kNoSpace);
  EXPECT_EQ(Status::Cancelled("x").code(), StatusCode::kCancelled);
  Status io = Status::IoError("disk", EIO);
  EXPECT_EQ(io.code(), StatusCode::kIoError);
  EXPECT_EQ(io.sys_errno(), EIO);
  EXPECT_EQ(io.message(), "disk");
  EXPECT_FALSE(io.ok());
}

TEST(Status, FromErrnoMapsTheErrorsCallersBranchOn) {
  struct Case {
    int err;
    StatusCode code;
  };
  for (Case c : {Case{ENOENT, StatusCode::kNotFound}, Case{EEXIST, StatusCode::kAlreadyExists},
                 Case{ENOSPC, StatusCode::kNoSpace}, Case{EDQUOT, StatusCode::kNoSpace},
                 Case{EIO, StatusCode::kIoError}, Case{EACCES, StatusCode::kIoError}}) {
    Status s = Status::FromErrno(c.err, "open 'x'");
    EXPECT_EQ(s.code(), c.code) << c.err;
    EXPECT_EQ(s.sys_errno(), c.err);
    EXPECT_EQ(s.message(), std::string("open 'x': ") + std::strerror(c.err));
  }
  EXPECT_TRUE(Status::FromErrno(ENOENT, "x").IsNotFound());
  EXPECT_TRUE(Status::FromErrno(EEXIST, "x").IsAlreadyExists());
}

TEST(Status, WithContextPrefixesAndKeepsCodeAndErrno) {
  Status s = Status::FromErrno(ENOSPC, "write").WithContext("committing tree").WithContext("larch");
  EXPECT_EQ(s.code(), StatusCode::kNoSpace);
  EXPECT_EQ(s.sys_errno(), ENOSPC);
  EXPECT_EQ(s.message(), std::string("larch: committing tree: write: ") + std::strerror(ENOSPC));
  EXPECT_EQ(s.ToString(), s.message());
  EXPECT_TRUE(Status::Ok().WithContext("anything").ok());
  EXPECT_TRUE(Status::Corruption("bad").WithContext("reading").IsCorruption());
}

TEST(Status, EveryCodeHasAName) {
  for (StatusCode c : {StatusCode::kOk, StatusCode::kNotFound, StatusCode::kAlreadyExists, StatusCode::kCorruption,
                       StatusCode::kVerifyFailed, StatusCode::kIoError, StatusCode::kNoSpace,
                       StatusCode::kInvalidArgument, StatusCode::kUnsupported, StatusCode::kCancelled})
    EXPECT_NE(StatusCodeName(c), "unknown");
  EXPECT_EQ(StatusCodeName(StatusCode::kCorruption), "corruption");
}

}  // namespace
}  // namespace larch
