#include "connectors/replication/decrypt.h"

#include <nettle/arcfour.h>
#include <nettle/des.h>
#include <nettle/md5.h>
#include <sodium.h>

#include <cstring>

namespace credsweep {
namespace {

// MS-SAMR 2.2.11.1.2 / Samba's str_to_key: 7 key bytes -> 8 DES key bytes, 7 bits each,
// the low (parity) bit left 0 — nettle ignores parity.
void ExpandDesKey(const uint8_t in[7], uint8_t key[8]) {
  key[0] = in[0] >> 1;
  key[1] = static_cast<uint8_t>(((in[0] & 0x01) << 6) | (in[1] >> 2));
  key[2] = static_cast<uint8_t>(((in[1] & 0x03) << 5) | (in[2] >> 3));
  key[3] = static_cast<uint8_t>(((in[2] & 0x07) << 4) | (in[3] >> 4));
  key[4] = static_cast<uint8_t>(((in[3] & 0x0F) << 3) | (in[4] >> 5));
  key[5] = static_cast<uint8_t>(((in[4] & 0x1F) << 2) | (in[5] >> 6));
  key[6] = static_cast<uint8_t>(((in[5] & 0x3F) << 1) | (in[6] >> 7));
  key[7] = in[6] & 0x7F;
  for (int i = 0; i < 8; ++i) key[i] = static_cast<uint8_t>(key[i] << 1);
}

}  // namespace

uint32_t Crc32(std::span<const uint8_t> data) {
  // Bitwise: values are a few hundred bytes, so a table would not pay for itself.
  uint32_t crc = 0xFFFFFFFFu;
  for (uint8_t b : data) {
    crc ^= b;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

void RidDesCrypt(uint32_t rid, uint8_t* data, size_t len, bool encrypt) {
  // MS-SAMR 2.2.11.1.3: the RID's 4 little-endian bytes repeated to 14, keys from [0..6], [7..13].
  uint8_t s[14];
  for (int i = 0; i < 14; ++i) s[i] = static_cast<uint8_t>(rid >> (8 * (i % 4)));
  uint8_t k1[8], k2[8];
  ExpandDesKey(s, k1);
  ExpandDesKey(s + 7, k2);
  des_ctx c1, c2;
  // The return value flags weak keys; a RID can yield one (e.g. RID 0) and the DC uses it all
  // the same, so it is not an error here.
  (void)des_set_key(&c1, k1);
  (void)des_set_key(&c2, k2);
  uint8_t tmp[8];
  for (size_t off = 0; off + 16 <= len; off += 16) {
    if (encrypt) {
      des_encrypt(&c1, 8, tmp, data + off);
      std::memcpy(data + off, tmp, 8);
      des_encrypt(&c2, 8, tmp, data + off + 8);
      std::memcpy(data + off + 8, tmp, 8);
    } else {
      des_decrypt(&c1, 8, tmp, data + off);
      std::memcpy(data + off, tmp, 8);
      des_decrypt(&c2, 8, tmp, data + off + 8);
      std::memcpy(data + off + 8, tmp, 8);
    }
  }
  sodium_memzero(tmp, sizeof tmp);
  sodium_memzero(&c1, sizeof c1);
  sodium_memzero(&c2, sizeof c2);
}

Status DecryptReplicatedSecret(std::span<const uint8_t> session_key,
                               std::span<const uint8_t> value, uint32_t rid, uint8_t* out,
                               size_t* out_len) {
  constexpr size_t kSalt = 16, kCrc = 4;
  if (value.size() < kSalt + kCrc || (value.size() - kSalt - kCrc) % 16 != 0) {
    return Status::Corruption("a replicated secret attribute has an impossible length (" +
                              std::to_string(value.size()) + " bytes)");
  }
  uint8_t key[MD5_DIGEST_SIZE];
  md5_ctx md5;
  md5_init(&md5);
  md5_update(&md5, session_key.size(), session_key.data());
  md5_update(&md5, kSalt, value.data());
  md5_digest(&md5, sizeof key, key);
  arcfour_ctx rc4;
  arcfour_set_key(&rc4, sizeof key, key);
  const size_t n = value.size() - kSalt;
  arcfour_crypt(&rc4, n, out, value.data() + kSalt);
  sodium_memzero(key, sizeof key);
  sodium_memzero(&rc4, sizeof rc4);
  sodium_memzero(&md5, sizeof md5);
  const uint32_t want = static_cast<uint32_t>(out[0]) | static_cast<uint32_t>(out[1]) << 8 |
                        static_cast<uint32_t>(out[2]) << 16 | static_cast<uint32_t>(out[3]) << 24;
  const size_t len = n - kCrc;
  std::memmove(out, out + kCrc, len);
  sodium_memzero(out + len, kCrc);
  if (Crc32({out, len}) != want) {
    sodium_memzero(out, len);
    return Status::Corruption(
        "a replicated secret attribute failed its checksum (session key mismatch)");
  }
  RidDesCrypt(rid, out, len, /*encrypt=*/false);
  *out_len = len;
  return Status::Ok();
}

}  // namespace credsweep
