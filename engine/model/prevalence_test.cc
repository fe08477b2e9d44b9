#include "engine/model/prevalence.h"

#include <gtest/gtest.h>

#include <string>

namespace credsweep {
namespace {

TEST(PrevalenceTest, BandsAreDecadesWithInclusiveLowerBounds) {
  const std::pair<uint64_t, const char*> cases[] = {
      {0, "1–9"},          {1, "1–9"},          {9, "1–9"},
      {10, "10–99"},       {99, "10–99"},       {100, "100–999"},
      {999, "100–999"},    {1000, "1 k–10 k"},  {9999, "1 k–10 k"},
      {10000, "10 k–100 k"}, {99999, "10 k–100 k"}, {100000, "100 k–1 M"},
      {999999, "100 k–1 M"}, {1000000, "≥ 1 M"},  {UINT64_MAX, "≥ 1 M"},
  };
  for (const auto& [count, label] : cases) {
    EXPECT_STREQ(PrevalenceBandLabel(PrevalenceBandOf(count)), label) << count;
  }
}

TEST(PrevalenceTest, LabelsParseBackAndNumbersDoNot) {
  for (int i = 0; i <= static_cast<int>(PrevalenceBand::kAtLeast1M); ++i) {
    const auto band = static_cast<PrevalenceBand>(i);
    EXPECT_EQ(ParsePrevalenceBand(PrevalenceBandLabel(band)), band);
    EXPECT_EQ(PrevalenceDecade(band), i);
  }
  EXPECT_EQ(ParsePrevalenceBand("1234"), std::nullopt);
  EXPECT_EQ(ParsePrevalenceBand(""), std::nullopt);
  EXPECT_EQ(ParsePrevalenceBand("1-9"), std::nullopt);  // ASCII hyphen is not the label
}

}  // namespace
}  // namespace credsweep
