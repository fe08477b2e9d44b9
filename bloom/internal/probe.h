// Internal to bloom/: where a key's bits live. Shared by blocked_bloom_filter.cc and its tests;
// nothing outside bloom/ includes this. Changing anything here changes the file format (bump
// kFormatVersion; the golden test in blocked_bloom_filter_test.cc will fail first).
//
// Key layout (little-endian words of the key; both key types are uniform hash outputs):
//   w0 = bytes 0..7   -> block index only
//   w1 = bytes 8..15  -> in-block bit positions only (SHA-1: bytes 16..19 are xored into w1)
// The block index and the bit positions come from DIFFERENT key bytes on purpose: deriving both
// from the same bits correlates "which block" with "which bits", so keys sharing a block also
// share bits, and the FPR was measured at 20 % instead of 0.08 % (DESIGN.md "Engineering notes").
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace credsweep::bloom::internal {

static_assert(std::endian::native == std::endian::little,
              "the .csbf format and the key loads below assume a little-endian host");

// Odd multipliers: an odd multiply is a bijection on 64-bit words, so a uniform word stays
// uniform and every input bit reaches the high output bits that the shifts below keep.
inline constexpr uint64_t kBlockMul = 0xC2B2AE3D27D4EB4FULL;  // xxHash64 PRIME64_2
inline constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ULL;    // 2^64 / golden ratio, odd

// kProbeMul[j] = kGolden^(j+1) mod 2^64. Probe j's position is the top 9 bits of
// w1' * kProbeMul[j]: the same sequence as RocksDB's FastLocalBloomImpl (h *= golden ratio,
// keep the top 9 bits; util/bloom_impl.h), but on 64 bits instead of 32, and written as
// independent products so a SIMD path computes 8 at once.
struct ProbeMulTable {
  alignas(64) uint64_t v[16];
};
inline constexpr ProbeMulTable kProbeMul = [] {
  ProbeMulTable t{};
  uint64_t m = kGolden;
  for (int j = 0; j < 16; ++j) {
    t.v[j] = m;
    m *= kGolden;
  }
  return t;
}();

inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;  // little-endian hosts only (x86-64, aarch64); the file format is little-endian
}
inline uint32_t Load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Block index in [0, block_count): Lemire's multiply-shift "fastrange" on the mixed w0,
// (x * n) >> 64, which maps a uniform 64-bit word onto n blocks with bias < n / 2^64 and no
// division. Mixing (xor seed, odd multiply) costs 2 cycles and keeps the index uniform even for
// keys whose w0 has structure in its low bits.
inline uint64_t BlockIndex(const uint8_t* key, uint64_t seed, uint64_t block_count) {
  const uint64_t a = (Load64(key) ^ seed) * kBlockMul;
  return static_cast<uint64_t>((static_cast<unsigned __int128>(a) * block_count) >> 64);
}

// The word the bit positions are taken from: w1 mixed with the (rotated) seed, so two stores
// with different seeds place a key's bits differently. key_size is 16 or 20.
inline uint64_t ProbeWord(const uint8_t* key, size_t key_size, uint64_t seed) {
  uint64_t b = Load64(key + 8) ^ ((seed << 32) | (seed >> 32));
  if (key_size == 20) b ^= Load32(key + 16);
  return b;
}

// Probe j's bit within the 512-bit block: the top 9 bits of b * kProbeMul[j].
// FPR at 16 bits/key, 10 probes: theory 0.0825 % (TheoreticalFpr). Measured with this layout:
// 0.0845 % over 1e8 negative probes of a 4M-key filter, 0.0854 % over 1e7 in the unit test,
// 0.080-0.087 % in bench/bloom_bench.cc. The same experiment with every bit position drawn by a
// full SplitMix64 hash per probe measures 0.0846 %, so the ~2.5 % above theory is not this
// probe sequence: the formula uses a block's mean fill, and E[fill^k] > E[fill]^k (Jensen).
// Rejected: nine-bit slices taken directly from w1 (7 probes, then a remix): 0.0875 %.
inline unsigned ProbeBit(uint64_t b, int j) {
  return static_cast<unsigned>((b * kProbeMul.v[j]) >> 55);  // 9-bit address in a 512-bit line
}

// Sets a key's bits in its block (8 words).
inline void SetBits(uint64_t* block, uint64_t b, int probes) {
  for (int j = 0; j < probes; ++j) {
    const unsigned bit = ProbeBit(b, j);
    block[bit >> 6] |= uint64_t{1} << (bit & 63);
  }
}

// Portable test: all `probes` bits set? Exits at the first clear bit (a negative lookup reads
// ~2 bits on average at 16 bits/key, where about half of a block's bits are set).
inline bool TestBitsPortable(const uint64_t* block, uint64_t b, int probes) {
  for (int j = 0; j < probes; ++j) {
    const unsigned bit = ProbeBit(b, j);
    if (((block[bit >> 6] >> (bit & 63)) & 1) == 0) return false;
  }
  return true;
}

// AVX-512 (F + DQ) test: 8 probes per step with vpmullq / vpermq / vpsrlvq, no branches inside a
// step. Same answer as TestBitsPortable for every input (tested). Defined in
// blocked_bloom_filter.cc; call only when HaveAvx512() is true. block must be 64-byte aligned.
bool TestBitsAvx512(const uint64_t* block, uint64_t b, int probes);
bool HaveAvx512();

}  // namespace credsweep::bloom::internal
