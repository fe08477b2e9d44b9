#include "engine/base/hex.h"

#include <gtest/gtest.h>

namespace credsweep {
namespace {

TEST(HexTest, LowerCaseTwoDigitsPerByte) {
  const uint8_t bytes[] = {0x00, 0x0f, 0xa5, 0xff};
  EXPECT_EQ(HexEncode(bytes, sizeof bytes), "000fa5ff");
  EXPECT_EQ(HexEncode(bytes, 0), "");
}

}  // namespace
}  // namespace credsweep
