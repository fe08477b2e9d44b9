#include "engine/guess/nt_hash_lanes.h"

#include <bit>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CREDSWEEP_X86 1
#endif

namespace credsweep {

static_assert(std::endian::native == std::endian::little,
              "lane packing writes UTF-16LE and little-endian MD4 words with memcpy");

void Md4LanesScalar(const Md4LaneInput& in, Md4LaneDigest* out) {
  for (size_t l = 0; l < kMd4Lanes; ++l) {
    // RFC 1320 section 3.3: initial state words A..D.
    uint32_t s[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
    Md4Compress(s, in.lane[l]);
    for (int w = 0; w < 4; ++w) out->h[w][l] = s[w];
  }
}

#ifdef CREDSWEEP_X86

bool Md4LanesAvx2Supported() { return __builtin_cpu_supports("avx2"); }

namespace {

#define CS_AVX2 __attribute__((target("avx2"), always_inline)) inline

CS_AVX2 __m256i Rotl(__m256i x, int s) {
  // The shift counts are compile-time constants after inlining (vpslld/vpsrld imm8).
  return _mm256_or_si256(_mm256_slli_epi32(x, s), _mm256_srli_epi32(x, 32 - s));
}

// 8x8 transpose of 32-bit words: r[l] = words 0..7 of lane l  ->  r[w] = word w of lanes 0..7.
CS_AVX2 void Transpose8x8(__m256i r[8]) {
  __m256i t0 = _mm256_unpacklo_epi32(r[0], r[1]), t1 = _mm256_unpackhi_epi32(r[0], r[1]);
  __m256i t2 = _mm256_unpacklo_epi32(r[2], r[3]), t3 = _mm256_unpackhi_epi32(r[2], r[3]);
  __m256i t4 = _mm256_unpacklo_epi32(r[4], r[5]), t5 = _mm256_unpackhi_epi32(r[4], r[5]);
  __m256i t6 = _mm256_unpacklo_epi32(r[6], r[7]), t7 = _mm256_unpackhi_epi32(r[6], r[7]);
  __m256i u0 = _mm256_unpacklo_epi64(t0, t2), u1 = _mm256_unpackhi_epi64(t0, t2);
  __m256i u2 = _mm256_unpacklo_epi64(t1, t3), u3 = _mm256_unpackhi_epi64(t1, t3);
  __m256i u4 = _mm256_unpacklo_epi64(t4, t6), u5 = _mm256_unpackhi_epi64(t4, t6);
  __m256i u6 = _mm256_unpacklo_epi64(t5, t7), u7 = _mm256_unpackhi_epi64(t5, t7);
  // Each u holds one word for lanes 0-3 (low 128 bits: words w, high: w + 4).
  r[0] = _mm256_permute2x128_si256(u0, u4, 0x20);
  r[1] = _mm256_permute2x128_si256(u1, u5, 0x20);
  r[2] = _mm256_permute2x128_si256(u2, u6, 0x20);
  r[3] = _mm256_permute2x128_si256(u3, u7, 0x20);
  r[4] = _mm256_permute2x128_si256(u0, u4, 0x31);
  r[5] = _mm256_permute2x128_si256(u1, u5, 0x31);
  r[6] = _mm256_permute2x128_si256(u2, u6, 0x31);
  r[7] = _mm256_permute2x128_si256(u3, u7, 0x31);
}

}  // namespace

__attribute__((target("avx2"))) void Md4LanesAvx2(const Md4LaneInput& in, Md4LaneDigest* out) {
  __m256i x[16];
  for (int half = 0; half < 2; ++half) {
    __m256i r[8];
    for (int l = 0; l < 8; ++l) {
      r[l] = _mm256_load_si256(reinterpret_cast<const __m256i*>(&in.lane[l][8 * half]));
    }
    Transpose8x8(r);
    for (int w = 0; w < 8; ++w) x[8 * half + w] = r[w];
  }
  const __m256i a0 = _mm256_set1_epi32(0x67452301), b0 = _mm256_set1_epi32(0xefcdab89);
  const __m256i c0 = _mm256_set1_epi32(0x98badcfe), d0 = _mm256_set1_epi32(0x10325476);
  __m256i a = a0, b = b0, c = c0, d = d0;
  // RFC 1320 section 3.4. F(b,c,d) = (b&c)|(~b&d) written as d^(b&(c^d)) (3 ops, same truth
  // table); G = majority written as (b&c)|(d&(b|c)); H = b^c^d. Round constants as in
  // engine/base/nt_hash.cc.
  const __m256i k2 = _mm256_set1_epi32(0x5A827999), k3 = _mm256_set1_epi32(0x6ED9EBA1);
#define CS_F(b, c, d) _mm256_xor_si256(d, _mm256_and_si256(b, _mm256_xor_si256(c, d)))
#define CS_G(b, c, d) \
  _mm256_or_si256(_mm256_and_si256(b, c), _mm256_and_si256(d, _mm256_or_si256(b, c)))
#define CS_H(b, c, d) _mm256_xor_si256(_mm256_xor_si256(b, c), d)
#define CS_R1(a, b, c, d, k, s) \
  a = Rotl(_mm256_add_epi32(_mm256_add_epi32(a, CS_F(b, c, d)), x[k]), s)
#define CS_R2(a, b, c, d, k, s) \
  a = Rotl(_mm256_add_epi32(_mm256_add_epi32(a, CS_G(b, c, d)), _mm256_add_epi32(x[k], k2)), s)
#define CS_R3(a, b, c, d, k, s) \
  a = Rotl(_mm256_add_epi32(_mm256_add_epi32(a, CS_H(b, c, d)), _mm256_add_epi32(x[k], k3)), s)
  for (int i = 0; i < 16; i += 4) {
    CS_R1(a, b, c, d, i + 0, 3);
    CS_R1(d, a, b, c, i + 1, 7);
    CS_R1(c, d, a, b, i + 2, 11);
    CS_R1(b, c, d, a, i + 3, 19);
  }
  for (int i = 0; i < 4; ++i) {
    CS_R2(a, b, c, d, i + 0, 3);
    CS_R2(d, a, b, c, i + 4, 5);
    CS_R2(c, d, a, b, i + 8, 9);
    CS_R2(b, c, d, a, i + 12, 13);
  }
  static constexpr int kK3[4] = {0, 2, 1, 3};
  for (int i = 0; i < 4; ++i) {
    const int k = kK3[i];
    CS_R3(a, b, c, d, k + 0, 3);
    CS_R3(d, a, b, c, k + 8, 9);
    CS_R3(c, d, a, b, k + 4, 11);
    CS_R3(b, c, d, a, k + 12, 15);
  }
#undef CS_F
#undef CS_G
#undef CS_H
#undef CS_R1
#undef CS_R2
#undef CS_R3
  _mm256_store_si256(reinterpret_cast<__m256i*>(out->h[0]), _mm256_add_epi32(a, a0));
  _mm256_store_si256(reinterpret_cast<__m256i*>(out->h[1]), _mm256_add_epi32(b, b0));
  _mm256_store_si256(reinterpret_cast<__m256i*>(out->h[2]), _mm256_add_epi32(c, c0));
  _mm256_store_si256(reinterpret_cast<__m256i*>(out->h[3]), _mm256_add_epi32(d, d0));
}

#else  // not x86: only the scalar kernel exists.

bool Md4LanesAvx2Supported() { return false; }
void Md4LanesAvx2(const Md4LaneInput& in, Md4LaneDigest* out) { Md4LanesScalar(in, out); }

#endif

Md4LanesFn Md4Lanes() {
  static const Md4LanesFn fn = Md4LanesAvx2Supported() ? &Md4LanesAvx2 : &Md4LanesScalar;
  return fn;
}

const char* Md4LanesName() { return Md4Lanes() == &Md4LanesScalar ? "scalar" : "avx2"; }

}  // namespace credsweep
