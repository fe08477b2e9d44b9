// NT hashes of many short candidates at once: MD4 over 8 single-block messages in parallel.
//
// The guessing engine (guesser.h) hashes tens of millions of password candidates per audit, so
// MD4 is its hot path. Every candidate it makes is short: a UTF-16LE password of at most
// kMaxLaneUnits = 27 code units is 54 bytes, which with MD4's padding (0x80, zeros, the 64-bit
// bit length at byte 56; RFC 1320 section 3.1-3.2) fits ONE 64-byte block. So a lane is one
// block and one compression, and 8 lanes are the 8 32-bit lanes of an AVX2 register.
//
// Layout. Md4LaneInput holds the 8 blocks lane-major (lane[l][word]), because that is how a
// candidate is written: zero 64 bytes, copy the UTF-16 units, put the 0x80 pad and the length.
// The AVX2 kernel transposes the two 8x8 word tiles into word-major registers (24 shuffles per
// tile) and runs the 48 MD4 steps on 8 lanes; the digest comes out word-major (h[word][lane]),
// so a lookup can compare word A of all lanes with one compare. The scalar kernel runs
// Md4Compress (engine/base/nt_hash.h) lane by lane on the same input and gives the same bytes;
// both are tested against each other, against NtHashOfUtf8 and against the RFC 1320 vectors.
//
// Dispatch. Md4Lanes() picks the AVX2 kernel at run time when __builtin_cpu_supports("avx2"),
// else the scalar one; the AVX2 code is compiled with a target attribute, so the binary runs on
// any x86-64 (and on other architectures only the scalar kernel exists).
// Measured (bench/guess_bench.cc, this 2-core VM, shared): see README "Guessing".
//
// Secrets: the input blocks hold password candidates and the digests hold NT hashes; callers
// keep both in SecureArray memory (engine/base/secure_array.h). Functions here are pure and
// thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "engine/base/nt_hash.h"

namespace credsweep {

inline constexpr size_t kMd4Lanes = 8;
// UTF-16 units per lane: 2 * 27 = 54 bytes + 1 pad byte <= 56, the start of the length field.
inline constexpr size_t kMaxLaneUnits = 27;
inline constexpr size_t kMaxLaneBytes = 55;

struct alignas(32) Md4LaneInput {
  uint32_t lane[kMd4Lanes][16];  // one MD4 message block per lane, little-endian words
};

struct alignas(32) Md4LaneDigest {
  uint32_t h[4][kMd4Lanes];  // state words A..D per lane; hash bytes = A..D little-endian
};

// Writes one single-block message of `n` bytes (n <= kMaxLaneBytes) into `block`: the bytes,
// the 0x80 pad, zeros, and the bit length. Little-endian hosts only (x86-64, arm64).
inline void PackLaneBytes(uint32_t block[16], const void* bytes, size_t n) {
  auto* p = reinterpret_cast<unsigned char*>(block);
  std::memset(p, 0, 64);
  std::memcpy(p, bytes, n);
  p[n] = 0x80;
  block[14] = static_cast<uint32_t>(n * 8);
}

// The same for a UTF-16 candidate given in two parts (a word and an ending), so candidates need
// no intermediate string. REQUIRES: na + nb <= kMaxLaneUnits.
inline void PackLaneUnits(uint32_t block[16], const char16_t* a, size_t na, const char16_t* b,
                          size_t nb) {
  auto* p = reinterpret_cast<unsigned char*>(block);
  std::memset(p, 0, 64);
  std::memcpy(p, a, 2 * na);
  if (nb) std::memcpy(p + 2 * na, b, 2 * nb);
  p[2 * (na + nb)] = 0x80;
  block[14] = static_cast<uint32_t>((na + nb) * 16);
}

using Md4LanesFn = void (*)(const Md4LaneInput& in, Md4LaneDigest* out);

// The best kernel for this CPU (AVX2 when present, else scalar). Same results either way.
Md4LanesFn Md4Lanes();
// "avx2" or "scalar": which kernel Md4Lanes() returns (for the benchmark and logs).
const char* Md4LanesName();

void Md4LanesScalar(const Md4LaneInput& in, Md4LaneDigest* out);
// True when this CPU can run Md4LanesAvx2.
bool Md4LanesAvx2Supported();
// REQUIRES: Md4LanesAvx2Supported(). On non-x86 builds it falls back to the scalar kernel.
void Md4LanesAvx2(const Md4LaneInput& in, Md4LaneDigest* out);

// The 16-byte hash of one lane.
inline NtHash LaneDigest(const Md4LaneDigest& d, size_t lane) {
  NtHash out;
  for (int w = 0; w < 4; ++w) {
    const uint32_t v = d.h[w][lane];
    std::memcpy(out.data() + 4 * w, &v, 4);  // little-endian host
  }
  return out;
}

// The first 4 bytes of a hash as the little-endian word the digests hold in h[0].
inline uint32_t HashWord0(const NtHash& h) {
  uint32_t v;
  std::memcpy(&v, h.data(), 4);
  return v;
}

}  // namespace credsweep
