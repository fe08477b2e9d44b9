// Hex, both ways, in one place: digests, signatures, keys and checksums in logs and manifests
// are written lower-case; every hex field credsweep reads (corpus lines, hash dumps,
// sambaNTPassword, log entries, key files, quoted-printable) is decoded by HexDecode.
// (NT hashes are printed with NtHashToHex, upper-case as HIBP writes them — tests only.)
//
// HexDecode is the import's inner loop (32 digits per HIBP line) and also decodes key
// material, so it is branch-free over the characters: one 256-byte table lookup per digit,
// validity OR-accumulated and tested once. Rejected: libsodium's arithmetic constant-time
// decode, measured 3x slower per line here (it does not vectorise); the table's only
// data-dependent access spans 4 cache lines and the keys it decodes are read once per process.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace credsweep {
namespace hex_internal {
// Digit value, or 0xF0 for anything that is not [0-9A-Fa-f]: OR-ing all entries of a field
// and testing the high nibble once tells whether every character was hex.
constexpr std::array<uint8_t, 256> MakeTable() {
  std::array<uint8_t, 256> t{};
  for (int i = 0; i < 256; ++i) t[i] = 0xF0;
  for (int i = 0; i < 10; ++i) t['0' + i] = static_cast<uint8_t>(i);
  for (int i = 0; i < 6; ++i) {
    t['a' + i] = static_cast<uint8_t>(10 + i);
    t['A' + i] = static_cast<uint8_t>(10 + i);
  }
  return t;
}
inline constexpr std::array<uint8_t, 256> kTable = MakeTable();
}  // namespace hex_internal

std::string HexEncode(const uint8_t* bytes, size_t len);

// Decodes 2*n_bytes hex digits (either case) from `hex` into `out`. False if any character is
// not a hex digit (out then holds garbage). Reports only success, never the offending
// character: the input may be secret.
// Inline: the corpus parsers call it once per line.
inline bool HexDecode(const char* hex, size_t n_bytes, uint8_t* out) {
  uint8_t bad = 0;
  for (size_t i = 0; i < n_bytes; ++i) {
    const uint8_t hi = hex_internal::kTable[static_cast<uint8_t>(hex[2 * i])];
    const uint8_t lo = hex_internal::kTable[static_cast<uint8_t>(hex[2 * i + 1])];
    bad |= hi | lo;
    out[i] = static_cast<uint8_t>((hi << 4) | (lo & 0x0F));
  }
  return (bad & 0xF0) == 0;
}
// Exactly n_bytes from `hex`, which must be exactly 2*n_bytes digits long.
inline bool HexDecodeExact(std::string_view hex, uint8_t* out, size_t n_bytes) {
  return hex.size() == 2 * n_bytes && HexDecode(hex.data(), n_bytes, out);
}
// The value of one hex digit, or -1.
inline int HexDigitValue(char c) {
  const uint8_t v = hex_internal::kTable[static_cast<uint8_t>(c)];
  return v < 16 ? v : -1;
}

}  // namespace credsweep
