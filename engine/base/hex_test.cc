#include "engine/base/hex.h"

#include <gtest/gtest.h>

#include <cstring>

namespace credsweep {
namespace {

TEST(HexTest, LowerCaseTwoDigitsPerByte) {
  const uint8_t bytes[] = {0x00, 0x0f, 0xa5, 0xff};
  EXPECT_EQ(HexEncode(bytes, sizeof bytes), "000fa5ff");
  EXPECT_EQ(HexEncode(bytes, 0), "");
}

TEST(HexTest, DecodeAcceptsExactlyTheTwentyTwoHexDigits) {
  uint8_t out[1];
  int accepted = 0;
  for (int c = 0; c < 256; ++c) {
    char s[2] = {'0', static_cast<char>(c)};
    accepted += HexDecode(s, 1, out) ? 1 : 0;
    EXPECT_EQ(HexDigitValue(static_cast<char>(c)) >= 0, HexDecode(s, 1, out)) << c;
  }
  EXPECT_EQ(accepted, 22);  // 0-9, a-f, A-F
}

TEST(HexTest, DecodeRoundTripsEncodeInEitherCase) {
  const uint8_t bytes[] = {0x00, 0x0f, 0xa5, 0xff, 0x31, 0xd6};
  uint8_t back[6];
  ASSERT_TRUE(HexDecodeExact("000fa5ff31d6", back, 6));
  EXPECT_EQ(0, memcmp(back, bytes, 6));
  ASSERT_TRUE(HexDecodeExact("000FA5FF31D6", back, 6));
  EXPECT_EQ(0, memcmp(back, bytes, 6));
  EXPECT_EQ(HexEncode(back, 6), "000fa5ff31d6");
}

TEST(HexTest, DecodeExactRefusesWrongLengthAndStrayCharacters) {
  uint8_t out[2];
  EXPECT_FALSE(HexDecodeExact("abc", out, 2));
  EXPECT_FALSE(HexDecodeExact("abcde", out, 2));
  EXPECT_FALSE(HexDecodeExact("ab c", out, 2));
  EXPECT_FALSE(HexDecodeExact("0x12", out, 2));
  EXPECT_TRUE(HexDecodeExact("beef", out, 2));
}

}  // namespace
}  // namespace credsweep
