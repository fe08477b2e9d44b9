// CRC-32C and the four-lane range checksum (range_checksum.h): the standard check values, the
// SSE4.2 and table implementations agreeing byte for byte, the lane layout the sidecar format
// promises, and that damage anywhere in a range changes its checksum.
#include "bloom/range_checksum.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace credsweep::bloom {
namespace {

std::vector<uint8_t> RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

uint32_t Lane(const uint8_t out[kRangeChecksumBytes], int i) {
  uint32_t v = 0;
  for (int b = 0; b < 4; ++b) v |= uint32_t{out[4 * i + b]} << (8 * b);
  return v;
}

TEST(RangeChecksumTest, Crc32cGivesTheStandardCheckValues) {
  const auto* s = reinterpret_cast<const uint8_t*>("123456789");
  EXPECT_EQ(internal::Crc32cPortable(s, 9, 0), 0xE3069283u);
  EXPECT_EQ(Crc32c(s, 9), 0xE3069283u);
  // RFC 3720 B.4: 32 bytes of zeros, 32 bytes of 0xFF.
  const std::vector<uint8_t> zeros(32, 0), ones(32, 0xFF);
  EXPECT_EQ(Crc32c(zeros.data(), 32), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(ones.data(), 32), 0x62A8AB43u);
  EXPECT_EQ(Crc32c(s, 0), 0u);
  // Continuing from a running value equals one pass.
  EXPECT_EQ(Crc32c(s + 4, 5, Crc32c(s, 4)), 0xE3069283u);
}

TEST(RangeChecksumTest, Sse42AndTableAgreeOnEveryLengthAndAlignment) {
  if (!internal::HaveSse42()) GTEST_SKIP() << "no SSE4.2 on this CPU";
  const std::vector<uint8_t> data = RandomBytes(400, 1);
  for (size_t off = 0; off < 8; ++off) {
    for (size_t n = 0; off + n <= data.size(); ++n) {
      ASSERT_EQ(internal::Crc32cSse42(data.data() + off, n, 0),
                internal::Crc32cPortable(data.data() + off, n, 0))
          << off << " " << n;
    }
  }
  for (size_t n : {0u, 1u, 31u, 32u, 33u, 64u, 1000u, 4096u, 65536u + 24u}) {
    const std::vector<uint8_t> big = RandomBytes(n, static_cast<uint32_t>(n));
    uint8_t a[kRangeChecksumBytes], b[kRangeChecksumBytes];
    internal::RangeChecksumSse42(big.data(), n, a);
    internal::RangeChecksumPortable(big.data(), n, b);
    ASSERT_EQ(std::memcmp(a, b, sizeof a), 0) << n;
  }
}

TEST(RangeChecksumTest, LanesAreTheCrcsOfThreeEqualQuartersAndTheRest) {
  // A full 1 MiB range, a short last range, and sizes that are not multiples of 32.
  for (size_t n : {size_t{1} << 20, (size_t{1} << 20) - 64 * 7, size_t{1000}, size_t{37}}) {
    const std::vector<uint8_t> d = RandomBytes(n, 7);
    uint8_t out[kRangeChecksumBytes];
    RangeChecksum(d.data(), n, out);
    const size_t q = n / 32 * 8;
    EXPECT_EQ(Lane(out, 0), Crc32c(d.data(), q)) << n;
    EXPECT_EQ(Lane(out, 1), Crc32c(d.data() + q, q)) << n;
    EXPECT_EQ(Lane(out, 2), Crc32c(d.data() + 2 * q, q)) << n;
    EXPECT_EQ(Lane(out, 3), Crc32c(d.data() + 3 * q, n - 3 * q)) << n;
  }
}

TEST(RangeChecksumTest, AnyFlippedBitOrZeroedBlockChangesTheChecksum) {
  const size_t n = size_t{1} << 20;
  std::vector<uint8_t> d = RandomBytes(n, 11);
  uint8_t want[kRangeChecksumBytes], got[kRangeChecksumBytes];
  RangeChecksum(d.data(), n, want);
  std::mt19937 rng(3);
  for (int i = 0; i < 2000; ++i) {
    const size_t at = i < 8 ? (n / 4) * (i / 2) + (i % 2 ? n / 4 - 1 : 0)  // lane edges
                            : rng() % n;
    const uint8_t bit = static_cast<uint8_t>(1u << (rng() % 8));
    d[at] ^= bit;
    RangeChecksum(d.data(), n, got);
    ASSERT_NE(std::memcmp(got, want, sizeof got), 0) << at;
    d[at] ^= bit;
  }
  // A torn write: one 4 KiB page reads back as zeros.
  std::vector<uint8_t> torn = d;
  std::memset(torn.data() + 12 * 4096, 0, 4096);
  RangeChecksum(torn.data(), n, got);
  EXPECT_NE(std::memcmp(got, want, sizeof got), 0);
}

}  // namespace
}  // namespace credsweep::bloom
