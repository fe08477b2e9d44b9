#include "engine/base/nt_hash.h"

#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <string>
#include <vector>

namespace credsweep {
namespace {

std::string Md4Hex(std::string_view s) { return NtHashToHex(Md4(s)); }

// RFC 1320 appendix A.5, the complete test suite.
TEST(Md4Test, Rfc1320Suite) {
  EXPECT_EQ(Md4Hex(""), "31D6CFE0D16AE931B73C59D7E0C089C0");
  EXPECT_EQ(Md4Hex("a"), "BDE52CB31DE33E46245E05FBDBD6FB24");
  EXPECT_EQ(Md4Hex("abc"), "A448017AAF21D8525FC10AE87AA6729D");
  EXPECT_EQ(Md4Hex("message digest"), "D9130A8164549FE818874806E1C7014B");
  EXPECT_EQ(Md4Hex("abcdefghijklmnopqrstuvwxyz"), "D79E1C308AA5BBCDEEA8ED63DF412DA9");
  EXPECT_EQ(Md4Hex("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
            "043F8582F241DB351CE627E153E7F0E4");
  EXPECT_EQ(Md4Hex("1234567890123456789012345678901234567890123456789012345678901234567890"
                   "1234567890"),
            "E33B4DDC9C38F2199C3E7B164FCC0536");
}

// Lengths around the 56- and 64-byte padding boundaries must all hash consistently: the
// message of length n processed as one call equals the known multi-block structure. We check
// that different lengths give different digests and that 55/56/63/64/65 do not crash or collide.
TEST(Md4Test, PaddingBoundariesGiveDistinctDigests) {
  std::set<std::string> seen;
  for (size_t n : {55u, 56u, 57u, 63u, 64u, 65u, 119u, 120u, 128u}) {
    seen.insert(Md4Hex(std::string(n, 'x')));
  }
  EXPECT_EQ(seen.size(), 9u);
}

TEST(NtHashTest, KnownVectors) {
  auto pw = NtHashOfUtf8("password");
  ASSERT_TRUE(pw.ok());
  EXPECT_EQ(NtHashToHex(*pw), "8846F7EAEE8FB117AD06BDD830B7586C");
  auto empty = NtHashOfUtf8("");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(NtHashToHex(*empty), "31D6CFE0D16AE931B73C59D7E0C089C0");
  EXPECT_EQ(*empty, kEmptyNtHash);
}

TEST(NtHashTest, NonAsciiBecomesUtf16Le) {
  // U+00E9 (2 UTF-8 bytes) -> E9 00; U+20AC (3 bytes) -> AC 20.
  auto e = NtHashOfUtf8("\xC3\xA9\xE2\x82\xAC");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(*e, Md4(std::string("\xE9\x00\xAC\x20", 4)));
}

TEST(NtHashTest, BeyondBmpBecomesSurrogatePair) {
  // U+1F600 -> D83D DE00 -> bytes 3D D8 00 DE.
  auto e = NtHashOfUtf8("a\xF0\x9F\x98\x80");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(*e, Md4(std::string("a\x00\x3D\xD8\x00\xDE", 6)));
}

TEST(NtHashTest, InvalidUtf8IsRejectedWithoutEchoingInput) {
  for (std::string bad : {std::string("secret\xFF"), std::string("secr\xC3"),
                          std::string("\xC0\xAF"),            // overlong '/'
                          std::string("\xED\xA0\x80"),        // encoded surrogate
                          std::string("\xF4\x90\x80\x80"),    // > U+10FFFF
                          std::string("\x80secret")}) {
    auto r = NtHashOfUtf8(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message().find("secr"), std::string::npos);
  }
}

// The inline comparisons give memcmp's order and equality, on hashes that differ in any byte
// (both 8-byte halves, the byte-order-sensitive cases included).
TEST(NtHashTest, LessAndEqualAreMemcmpOrder) {
  std::vector<NtHash> hs;
  for (int i = 0; i < 16; ++i) {
    for (uint8_t v : {uint8_t{0x00}, uint8_t{0x01}, uint8_t{0x7F}, uint8_t{0x80}, uint8_t{0xFF}}) {
      NtHash h = kEmptyNtHash;
      h[static_cast<size_t>(i)] = v;
      hs.push_back(h);
    }
  }
  hs.push_back(NtHash{});
  for (const NtHash& a : hs) {
    for (const NtHash& b : hs) {
      const int c = std::memcmp(a.data(), b.data(), 16);
      ASSERT_EQ(NtHashLess(a, b), c < 0) << NtHashToHex(a) << " " << NtHashToHex(b);
      ASSERT_EQ(NtHashEqual(a, b), c == 0) << NtHashToHex(a) << " " << NtHashToHex(b);
    }
  }
}

TEST(NtHashTest, ParseHex) {
  auto h = ParseNtHashHex("8846f7eaee8fb117AD06BDD830B7586C");
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(NtHashToHex(*h), "8846F7EAEE8FB117AD06BDD830B7586C");
  EXPECT_FALSE(ParseNtHashHex("8846f7eaee8fb117AD06BDD830B7586").has_value());
  EXPECT_FALSE(ParseNtHashHex("8846f7eaee8fb117AD06BDD830B7586C0").has_value());
  EXPECT_FALSE(ParseNtHashHex("8846f7eaee8fb117AD06BDD830B7586G").has_value());
  EXPECT_FALSE(ParseNtHashHex("").has_value());
}

}  // namespace
}  // namespace credsweep
