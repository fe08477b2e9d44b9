// NT hashes: the 16-byte key of everything credsweep checks.
//
// NT hash = MD4(UTF-16LE(password)) (MS-NLMP 3.3.1, NTOWFv1). MD4 (RFC 1320) is implemented
// here, test-vector checked, because OpenSSL 3 hides it behind the legacy provider.
// Inputs are short passwords; this is not on any hot path. The guessing engine's hot path
// hashes 8 candidates at a time with engine/guess/nt_hash_lanes.h, which shares Md4Compress.
#pragma once

#include <array>
#include <cstring>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/base/status.h"

namespace credsweep {

using NtHash = std::array<uint8_t, 16>;

// RFC 1320 section 3.4: one compression of `state` (words A..D) with the 16 little-endian
// message words `x` of one 64-byte block.
void Md4Compress(uint32_t state[4], const uint32_t x[16]);
// RFC 1320 MD4 of arbitrary bytes.
std::array<uint8_t, 16> Md4(std::string_view bytes);
// UTF-8 -> UTF-16 code units (characters beyond the BMP become surrogate pairs). Invalid UTF-8
// is kInvalidArgument naming the byte offset, never the text.
Result<std::u16string> Utf8ToUtf16(std::string_view text);
// MD4 of the UTF-16LE bytes of `units`: the NT hash of a password given as UTF-16.
std::array<uint8_t, 16> Md4OfUtf16(std::u16string_view units);
// NT hash of a UTF-8 password. Invalid UTF-8 is kInvalidArgument (the caller names file:line;
// the password itself is never put in the message). Characters beyond the BMP become
// surrogate pairs, as Windows does.
Result<NtHash> NtHashOfUtf8(std::string_view password);
// 32 hex digits, either case -> hash; nullopt when not exactly 32 hex digits.
std::optional<NtHash> ParseNtHashHex(std::string_view hex);
// Uppercase hex. For tests and fixtures only: never print a user's hash.
std::string NtHashToHex(const NtHash& h);

// The order of memcmp over the 16 bytes (the index's key order) and equality, as two 8-byte
// loads each: inline, where std::array's operators and std::memcmp are a library call per
// comparison (sorting 100 000 account hashes, the import's router).
inline bool NtHashLess(const NtHash& a, const NtHash& b) {
  uint64_t a0, b0;
  std::memcpy(&a0, a.data(), 8);
  std::memcpy(&b0, b.data(), 8);
  a0 = __builtin_bswap64(a0);
  b0 = __builtin_bswap64(b0);
  if (a0 != b0) return a0 < b0;
  uint64_t a1, b1;
  std::memcpy(&a1, a.data() + 8, 8);
  std::memcpy(&b1, b.data() + 8, 8);
  return __builtin_bswap64(a1) < __builtin_bswap64(b1);
}
inline bool NtHashEqual(const NtHash& a, const NtHash& b) {
  uint64_t a0, a1, b0, b1;
  std::memcpy(&a0, a.data(), 8);
  std::memcpy(&a1, a.data() + 8, 8);
  std::memcpy(&b0, b.data(), 8);
  std::memcpy(&b1, b.data() + 8, 8);
  return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

// NT("") — the empty password (rule empty-password).
inline constexpr NtHash kEmptyNtHash = {0x31, 0xd6, 0xcf, 0xe0, 0xd1, 0x6a, 0xe9, 0x31,
                                        0xb7, 0x3c, 0x59, 0xd7, 0xe0, 0xc0, 0x89, 0xc0};
// LM hash of the empty password (AAD3B435B51404EEAAD3B435B51404EE): "no LM hash stored".
inline constexpr std::array<uint8_t, 16> kEmptyLmHash = {0xaa, 0xd3, 0xb4, 0x35, 0xb5, 0x14,
                                                         0x04, 0xee, 0xaa, 0xd3, 0xb4, 0x35,
                                                         0xb5, 0x14, 0x04, 0xee};

}  // namespace credsweep
