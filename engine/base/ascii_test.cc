// ASCII folding: the word-at-a-time fold agrees with the per-character one on every byte, and
// the case-insensitive hash map key treats "CN=Domain Admins" and "cn=domain admins" as one
// key (the audit joins accounts and groups through it).
#include "engine/base/ascii.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

namespace credsweep {
namespace {

TEST(AsciiTest, WordFoldMatchesCharFoldForEveryByteInEveryPosition) {
  for (int b = 0; b < 256; ++b) {
    for (int pos = 0; pos < 8; ++pos) {
      unsigned char in[8] = {'Q', 'z', '@', '[', 0xC3, 0x85, '`', '{'};  // neighbours of A-Z too
      in[pos] = static_cast<unsigned char>(b);
      uint64_t w;
      std::memcpy(&w, in, 8);
      const uint64_t folded = AsciiLowerWord(w);
      unsigned char out[8];
      std::memcpy(out, &folded, 8);
      for (int k = 0; k < 8; ++k) {
        ASSERT_EQ(out[k], static_cast<unsigned char>(AsciiLower(static_cast<char>(in[k]))))
            << "byte " << b << " at " << pos << ", checking " << k;
      }
    }
  }
}

TEST(AsciiTest, CaseFoldHashAndEqualKeyMapsCaseInsensitively) {
  CaseFoldHash hash;
  CaseFoldEqual eq;
  const std::string a = "CN=Domain Admins,CN=Users,DC=Kommune,DC=DK";
  const std::string b = "cn=domain admins,cn=users,dc=kommune,dc=dk";
  EXPECT_EQ(hash(a), hash(b));
  EXPECT_TRUE(eq(a, b));
  EXPECT_FALSE(eq(a, "CN=Domain Admins,CN=Users,DC=Kommune,DC=DE"));
  // UTF-8 is kept byte for byte: Æ and æ are different keys (only A-Z fold).
  EXPECT_FALSE(eq("\xC3\x86SE", "\xC3\xA6se"));
  std::unordered_map<std::string_view, int, CaseFoldHash, CaseFoldEqual> m;
  m.emplace(a, 1);
  m.emplace("u000001", 2);
  EXPECT_EQ(m.count(b), 1u);
  EXPECT_EQ(m.count("U000001"), 1u);
  EXPECT_EQ(m.count("u00000"), 0u);
  EXPECT_EQ(m.count("u0000011"), 0u);
  // Lengths around the 8-byte step hash their tails: no two of these collide into one key.
  std::unordered_map<std::string_view, int, CaseFoldHash, CaseFoldEqual> lengths;
  std::vector<std::string> keys;
  for (int i = 0; i < 20; ++i) keys.push_back(std::string(static_cast<size_t>(i), 'x'));
  for (const std::string& k : keys) lengths.emplace(k, 0);
  EXPECT_EQ(lengths.size(), keys.size());
}

}  // namespace
}  // namespace credsweep
