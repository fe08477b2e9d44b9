#include "engine/base/nt_hash.h"

#include <sodium.h>

#include <cstring>

namespace credsweep {
namespace {

// RFC 1320 section 3.4: the three auxiliary functions and the round constants.
inline uint32_t F(uint32_t x, uint32_t y, uint32_t z) { return (x & y) | (~x & z); }
inline uint32_t G(uint32_t x, uint32_t y, uint32_t z) { return (x & y) | (x & z) | (y & z); }
inline uint32_t H(uint32_t x, uint32_t y, uint32_t z) { return x ^ y ^ z; }
inline uint32_t Rotl(uint32_t x, int s) { return (x << s) | (x >> (32 - s)); }
constexpr uint32_t kRound2 = 0x5A827999;  // sqrt(2) * 2^30
constexpr uint32_t kRound3 = 0x6ED9EBA1;  // sqrt(3) * 2^30

inline uint32_t LoadLe32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

void Md4Block(uint32_t state[4], const uint8_t block[64]) {
  uint32_t x[16];
  for (int i = 0; i < 16; ++i) x[i] = LoadLe32(block + 4 * i);
  Md4Compress(state, x);
}

}  // namespace

void Md4Compress(uint32_t state[4], const uint32_t x[16]) {
  uint32_t a = state[0], b = state[1], c = state[2], d = state[3];

  // Round 1: [abcd k s] a = (a + F(b,c,d) + X[k]) <<< s, k = 0..15, s cycles 3 7 11 19.
  static constexpr int kS1[4] = {3, 7, 11, 19};
  for (int i = 0; i < 16; ++i) {
    uint32_t t = a + F(b, c, d) + x[i];
    a = d;
    d = c;
    c = b;
    b = Rotl(t, kS1[i % 4]);
  }
  // Round 2: k = 0,4,8,12,1,5,9,13,..., s cycles 3 5 9 13.
  static constexpr int kS2[4] = {3, 5, 9, 13};
  for (int i = 0; i < 16; ++i) {
    int k = (i % 4) * 4 + i / 4;
    uint32_t t = a + G(b, c, d) + x[k] + kRound2;
    a = d;
    d = c;
    c = b;
    b = Rotl(t, kS2[i % 4]);
  }
  // Round 3: k = 0,8,4,12,2,10,6,14,1,9,5,13,3,11,7,15, s cycles 3 9 11 15.
  static constexpr int kK3[16] = {0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15};
  static constexpr int kS3[4] = {3, 9, 11, 15};
  for (int i = 0; i < 16; ++i) {
    uint32_t t = a + H(b, c, d) + x[kK3[i]] + kRound3;
    a = d;
    d = c;
    c = b;
    b = Rotl(t, kS3[i % 4]);
  }
  state[0] += a;
  state[1] += b;
  state[2] += c;
  state[3] += d;
}

namespace {

// Decodes one UTF-8 code point at s[*i]; advances *i. Returns -1 on any ill-formed sequence
// (RFC 3629: overlongs, surrogates U+D800..DFFF, > U+10FFFF, truncation, stray continuation).
int32_t DecodeUtf8(std::string_view s, size_t* i) {
  const auto b0 = static_cast<uint8_t>(s[*i]);
  if (b0 < 0x80) {
    ++*i;
    return b0;
  }
  int len;
  int32_t cp;
  int32_t min;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return -1;
  }
  if (*i + len > s.size()) return -1;
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<uint8_t>(s[*i + k]);
    if ((b & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
  *i += len;
  return cp;
}

}  // namespace

std::array<uint8_t, 16> Md4(std::string_view bytes) {
  // RFC 1320 section 3.3: initial state words A..D.
  uint32_t state[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  size_t n = bytes.size();
  size_t full = n / 64;
  for (size_t i = 0; i < full; ++i) Md4Block(state, p + 64 * i);

  // Padding (3.1): 0x80, zeros to 56 mod 64, then the bit length as 64-bit little endian (3.2).
  uint8_t tail[128] = {};
  size_t rest = n % 64;
  if (rest) std::memcpy(tail, p + 64 * full, rest);
  tail[rest] = 0x80;
  size_t tail_len = rest < 56 ? 64 : 128;
  uint64_t bits = static_cast<uint64_t>(n) * 8;
  for (int i = 0; i < 8; ++i) tail[tail_len - 8 + i] = static_cast<uint8_t>(bits >> (8 * i));
  Md4Block(state, tail);
  if (tail_len == 128) Md4Block(state, tail + 64);

  std::array<uint8_t, 16> out;
  for (int w = 0; w < 4; ++w) {
    for (int i = 0; i < 4; ++i) out[4 * w + i] = static_cast<uint8_t>(state[w] >> (8 * i));
  }
  return out;
}

Result<std::u16string> Utf8ToUtf16(std::string_view text) {
  std::u16string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    int32_t cp = DecodeUtf8(text, &i);
    if (cp < 0) {
      // The byte offset helps find the problem; the text itself must never be echoed.
      return Status::InvalidArgument("invalid UTF-8 at byte " + std::to_string(i + 1));
    }
    if (cp >= 0x10000) {  // UTF-16 surrogate pair (RFC 2781 section 2.1)
      uint32_t v = static_cast<uint32_t>(cp) - 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 | (v >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 | (v & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
  }
  return out;
}

std::array<uint8_t, 16> Md4OfUtf16(std::u16string_view units) {
  std::string bytes;
  bytes.reserve(units.size() * 2);
  for (char16_t u : units) {
    bytes.push_back(static_cast<char>(u & 0xFF));  // UTF-16LE
    bytes.push_back(static_cast<char>(u >> 8));
  }
  std::array<uint8_t, 16> h = Md4(bytes);
  sodium_memzero(bytes.data(), bytes.size());
  return h;
}

Result<NtHash> NtHashOfUtf8(std::string_view password) {
  CS_ASSIGN_OR_RETURN(std::u16string utf16, Utf8ToUtf16(password));
  NtHash h = Md4OfUtf16(utf16);
  sodium_memzero(utf16.data(), utf16.size() * sizeof(char16_t));
  return h;
}

std::optional<NtHash> ParseNtHashHex(std::string_view hex) {
  if (hex.size() != 32) return std::nullopt;
  NtHash h;
  for (size_t i = 0; i < 16; ++i) {
    int v = 0;
    for (int k = 0; k < 2; ++k) {
      char c = hex[2 * i + k];
      int d;
      if (c >= '0' && c <= '9') {
        d = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        d = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        d = c - 'A' + 10;
      } else {
        return std::nullopt;
      }
      v = v * 16 + d;
    }
    h[i] = static_cast<uint8_t>(v);
  }
  return h;
}

std::string NtHashToHex(const NtHash& h) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string s(32, '0');
  for (size_t i = 0; i < 16; ++i) {
    s[2 * i] = kHex[h[i] >> 4];
    s[2 * i + 1] = kHex[h[i] & 0xF];
  }
  return s;
}

}  // namespace credsweep
