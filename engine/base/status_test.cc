#include "engine/base/status.h"

#include <gtest/gtest.h>

namespace credsweep {
namespace {

Result<int> ParsePositive(int v) {
  if (v <= 0) return Status::InvalidArgument("not positive");
  return v;
}

Status Chain(int v) {
  CS_ASSIGN_OR_RETURN(int x, ParsePositive(v));
  if (x > 10) return Status::FailedPrecondition("too big");
  return Status::Ok();
}

TEST(StatusTest, ExitCodesFollowTheReadmeContract) {
  EXPECT_EQ(ExitCodeFor(Status::Ok()), 0);
  EXPECT_EQ(ExitCodeFor(Status::InvalidArgument("x")), 2);
  EXPECT_EQ(ExitCodeFor(Status::Corruption("x")), 3);
  EXPECT_EQ(ExitCodeFor(Status::Unavailable("x")), 3);
}

TEST(StatusTest, ContextIsPrefixedAndCodeKept) {
  Status s = Status::Corruption("bad magic").WithContext("store/filter.csbf");
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_EQ(s.ToString(), "Corruption: store/filter.csbf: bad magic");
  EXPECT_TRUE(Status::Ok().WithContext("x").ok());
}

TEST(StatusTest, MacrosPropagateErrors) {
  EXPECT_TRUE(Chain(5).ok());
  EXPECT_EQ(Chain(-1).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Chain(11).code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace credsweep
