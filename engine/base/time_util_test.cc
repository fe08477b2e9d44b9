#include "engine/base/time_util.h"

#include <gtest/gtest.h>

namespace credsweep {
namespace {

TEST(TimeUtilTest, AccountExpiresNeverHasTwoSpellings) {
  EXPECT_FALSE(FileTimeToUnix(0).has_value());
  EXPECT_FALSE(FileTimeToUnix(kFileTimeNever).has_value());
}

TEST(TimeUtilTest, FileTimeRoundTripsThroughUnix) {
  // 2026-11-22T00:00:00Z; FILETIME computed independently: (1795305600 + 11644473600) * 1e7.
  EXPECT_EQ(UnixToFileTime(1795305600), 134397792000000000LL);
  EXPECT_EQ(FileTimeToUnix(134397792000000000LL).value(), 1795305600);
  EXPECT_EQ(FormatUtcIso(1795305600), "2026-11-22T00:00:00Z");
}

TEST(TimeUtilTest, ParsesIsoAndGeneralizedTime) {
  EXPECT_EQ(ParseUtcIso("2026-11-22").value(), 1795305600);
  EXPECT_EQ(ParseUtcIso("2026-11-22T00:00:10Z").value(), 1795305610);
  EXPECT_EQ(ParseGeneralizedTime("20261122000010Z").value(), 1795305610);
  EXPECT_EQ(ParseGeneralizedTime("20261122000010.0Z").value(), 1795305610);
  EXPECT_FALSE(ParseUtcIso("22/11/2026").ok());
  EXPECT_FALSE(ParseUtcIso("2026-13-01").ok());
  EXPECT_FALSE(ParseGeneralizedTime("2026").ok());
}

}  // namespace
}  // namespace credsweep
