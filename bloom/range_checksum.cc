#include "bloom/range_checksum.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace credsweep::bloom {
namespace internal {
namespace {

constexpr uint32_t kPoly = 0x82F63B78;  // Castagnoli, reflected

constexpr std::array<uint32_t, 256> MakeTable() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ ((c & 1) ? kPoly : 0);
    t[i] = c;
  }
  return t;
}
constexpr std::array<uint32_t, 256> kTable = MakeTable();

// The lane layout of RangeChecksum: three lanes of q bytes, the last takes the rest.
size_t LaneBytes(size_t n) { return n / 32 * 8; }

void Store(uint8_t out[kRangeChecksumBytes], const uint32_t crc[4]) {
  for (int i = 0; i < 4; ++i) {
    for (int b = 0; b < 4; ++b) out[4 * i + b] = static_cast<uint8_t>(crc[i] >> (8 * b));
  }
}

}  // namespace

uint32_t Crc32cPortable(const uint8_t* data, size_t n, uint32_t crc) {
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) crc = (crc >> 8) ^ kTable[(crc ^ data[i]) & 0xFF];
  return ~crc;
}

void RangeChecksumPortable(const uint8_t* data, size_t n, uint8_t out[kRangeChecksumBytes]) {
  const size_t q = LaneBytes(n);
  const uint32_t crc[4] = {Crc32cPortable(data, q, 0), Crc32cPortable(data + q, q, 0),
                           Crc32cPortable(data + 2 * q, q, 0),
                           Crc32cPortable(data + 3 * q, n - 3 * q, 0)};
  Store(out, crc);
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t Crc32cSse42(const uint8_t* data, size_t n,
                                                       uint32_t crc) {
  uint64_t c = ~crc;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, data + i, 8);
    c = _mm_crc32_u64(c, w);
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  for (; i < n; ++i) c32 = _mm_crc32_u8(c32, data[i]);
  return ~c32;
}

__attribute__((target("sse4.2"))) void RangeChecksumSse42(const uint8_t* data, size_t n,
                                                          uint8_t out[kRangeChecksumBytes]) {
  const size_t q = LaneBytes(n);
  const uint8_t* l0 = data;
  const uint8_t* l1 = data + q;
  const uint8_t* l2 = data + 2 * q;
  const uint8_t* l3 = data + 3 * q;
  uint64_t c0 = 0xFFFFFFFF, c1 = 0xFFFFFFFF, c2 = 0xFFFFFFFF, c3 = 0xFFFFFFFF;
  // Four independent dependency chains keep the CRC unit busy every cycle.
  for (size_t i = 0; i < q; i += 8) {
    uint64_t w0, w1, w2, w3;
    std::memcpy(&w0, l0 + i, 8);
    std::memcpy(&w1, l1 + i, 8);
    std::memcpy(&w2, l2 + i, 8);
    std::memcpy(&w3, l3 + i, 8);
    c0 = _mm_crc32_u64(c0, w0);
    c1 = _mm_crc32_u64(c1, w1);
    c2 = _mm_crc32_u64(c2, w2);
    c3 = _mm_crc32_u64(c3, w3);
  }
  // Lane 3 continues over the rest (n - 4q < 32 bytes): its running value, un-finalised.
  const uint32_t tail =
      Crc32cSse42(l3 + q, n - 4 * q, ~static_cast<uint32_t>(c3));
  const uint32_t crc[4] = {~static_cast<uint32_t>(c0), ~static_cast<uint32_t>(c1),
                           ~static_cast<uint32_t>(c2), tail};
  Store(out, crc);
}

bool HaveSse42() {
  static const bool have = __builtin_cpu_supports("sse4.2");
  return have;
}
#else
uint32_t Crc32cSse42(const uint8_t* data, size_t n, uint32_t crc) {
  return Crc32cPortable(data, n, crc);
}
void RangeChecksumSse42(const uint8_t* data, size_t n, uint8_t out[kRangeChecksumBytes]) {
  RangeChecksumPortable(data, n, out);
}
bool HaveSse42() { return false; }
#endif

}  // namespace internal

uint32_t Crc32c(const uint8_t* data, size_t n, uint32_t crc) {
  return internal::HaveSse42() ? internal::Crc32cSse42(data, n, crc)
                               : internal::Crc32cPortable(data, n, crc);
}

void RangeChecksum(const uint8_t* data, size_t n, uint8_t out[kRangeChecksumBytes]) {
  if (internal::HaveSse42()) {
    internal::RangeChecksumSse42(data, n, out);
  } else {
    internal::RangeChecksumPortable(data, n, out);
  }
}

}  // namespace credsweep::bloom
