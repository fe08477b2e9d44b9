// Decryption of replicated secret attributes (unicodePwd, dBCSPwd, ntPwdHistory, lmPwdHistory).
//
// Two layers, as a DC sends them in DsGetNCChanges:
//   1. MS-DRSR 4.1.10.6.16 (EncryptValuesIfNecessary / DecryptValuesIfNecessary): the value is
//      salt[16] || RC4(key, crc32[4] || data) with key = MD5(session key || salt). The whole
//      session key is used (16 bytes with NTLM, 32 with Kerberos AES; truncating it makes every
//      CRC fail). The CRC-32 (IEEE 802.3, little-endian) of data must match.
//   2. MS-SAMR 2.2.11.1.3 (EncryptHashWithRid... "DES-ECB-LM" keyed by the RID): every 16-byte
//      hash in data is two DES-ECB blocks under two keys derived from the account's RID
//      (MS-SAMR 2.2.11.1.2: the 4 RID bytes repeated to 14, split 7 + 7, each expanded to an
//      8-byte DES key).
// nettle supplies MD5, ARCFOUR and DES; the CRC is computed here.
//
// Secrets: `out` must be secure memory owned by the caller (sodium_malloc); intermediate state
// (the RC4 key and schedule, the DES schedules) is wiped before returning.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "engine/base/status.h"

namespace credsweep {

// Decrypts `value` into `out` (capacity >= value.size()); *out_len is the plaintext length,
// a multiple of 16 (hashes). kCorruption "checksum mismatch" when the CRC fails (wrong session
// key, damaged value) or when the value is too short / not whole hashes.
[[nodiscard]] Status DecryptReplicatedSecret(std::span<const uint8_t> session_key,
                                             std::span<const uint8_t> value, uint32_t rid,
                                             uint8_t* out, size_t* out_len);

// The CRC-32 of layer 1 (IEEE 802.3 polynomial, as zlib's crc32).
uint32_t Crc32(std::span<const uint8_t> data);

// The MS-SAMR RID layer alone, in place over whole 16-byte hashes; `encrypt` for tests.
void RidDesCrypt(uint32_t rid, uint8_t* data, size_t len, bool encrypt);

}  // namespace credsweep
