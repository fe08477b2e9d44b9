#include "connectors/replication/decrypt.h"

#include <gtest/gtest.h>
#include <nettle/arcfour.h>
#include <nettle/md5.h>

#include <cstring>
#include <vector>

#include "engine/base/nt_hash.h"

namespace credsweep {
namespace {

// What a DC sends (MS-DRSR 4.1.10.6.16, MS-SAMR 2.2.11.1.3), built step by step from the
// spec with nettle directly: RID-DES each hash, prepend CRC-32, RC4 under MD5(key || salt).
std::vector<uint8_t> EncryptLikeADc(const std::vector<uint8_t>& session_key,
                                    const std::vector<uint8_t>& hashes, uint32_t rid,
                                    uint8_t salt_byte) {
  std::vector<uint8_t> plain = hashes;
  RidDesCrypt(rid, plain.data(), plain.size(), /*encrypt=*/true);
  const uint32_t crc = Crc32(plain);
  std::vector<uint8_t> body(4 + plain.size());
  for (int i = 0; i < 4; ++i) body[i] = static_cast<uint8_t>(crc >> (8 * i));
  std::memcpy(body.data() + 4, plain.data(), plain.size());
  std::vector<uint8_t> salt(16, salt_byte);
  uint8_t key[16];
  md5_ctx md5;
  md5_init(&md5);
  md5_update(&md5, session_key.size(), session_key.data());
  md5_update(&md5, salt.size(), salt.data());
  md5_digest(&md5, 16, key);
  arcfour_ctx rc4;
  arcfour_set_key(&rc4, 16, key);
  std::vector<uint8_t> out = salt;
  out.resize(16 + body.size());
  arcfour_crypt(&rc4, body.size(), out.data() + 16, body.data());
  return out;
}

TEST(DecryptTest, Crc32MatchesTheStandardCheckValue) {
  const char* s = "123456789";
  EXPECT_EQ(Crc32({reinterpret_cast<const uint8_t*>(s), 9}), 0xCBF43926u);
}

TEST(DecryptTest, RidDesLayerIsKeyedByTheRid) {
  const NtHash h = NtHashOfUtf8("password").value();
  std::vector<uint8_t> a(h.begin(), h.end()), b = a;
  RidDesCrypt(500, a.data(), 16, true);
  RidDesCrypt(501, b.data(), 16, true);
  EXPECT_NE(a, b);
  EXPECT_NE(std::memcmp(a.data(), h.data(), 16), 0);
  RidDesCrypt(500, a.data(), 16, false);
  EXPECT_EQ(std::memcmp(a.data(), h.data(), 16), 0);
}

TEST(DecryptTest, DecryptsAHistoryWithA16And32ByteSessionKey) {
  std::vector<uint8_t> hashes;
  for (const char* pw : {"Summer2024!", "Winter2023!", ""}) {
    NtHash h = NtHashOfUtf8(pw).value();
    hashes.insert(hashes.end(), h.begin(), h.end());
  }
  for (size_t key_len : {16u, 32u}) {
    std::vector<uint8_t> key(key_len);
    for (size_t i = 0; i < key_len; ++i) key[i] = static_cast<uint8_t>(i * 7 + 1);
    std::vector<uint8_t> wire = EncryptLikeADc(key, hashes, 1104, 0x5A);
    std::vector<uint8_t> out(wire.size());
    size_t len = 0;
    ASSERT_TRUE(DecryptReplicatedSecret(key, wire, 1104, out.data(), &len).ok());
    ASSERT_EQ(len, hashes.size());
    EXPECT_EQ(std::memcmp(out.data(), hashes.data(), len), 0);

    // The first 16 bytes of the key alone (the classic mistake) fail the CRC.
    if (key_len == 32) {
      std::vector<uint8_t> short_key(key.begin(), key.begin() + 16);
      Status s = DecryptReplicatedSecret(short_key, wire, 1104, out.data(), &len);
      EXPECT_EQ(s.code(), StatusCode::kCorruption);
      EXPECT_NE(s.message().find("checksum"), std::string::npos);
    }
  }
}

TEST(DecryptTest, DamagedOrShortValuesAreCorruption) {
  std::vector<uint8_t> key(16, 1);
  NtHash h = NtHashOfUtf8("x").value();
  std::vector<uint8_t> wire = EncryptLikeADc(key, {h.begin(), h.end()}, 1000, 1);
  std::vector<uint8_t> out(wire.size());
  size_t len = 0;
  wire[25] ^= 0x01;
  EXPECT_EQ(DecryptReplicatedSecret(key, wire, 1000, out.data(), &len).code(),
            StatusCode::kCorruption);
  std::vector<uint8_t> tiny(19, 0);
  EXPECT_EQ(DecryptReplicatedSecret(key, tiny, 1000, out.data(), &len).code(),
            StatusCode::kCorruption);
  std::vector<uint8_t> odd(16 + 4 + 15, 0);
  EXPECT_EQ(DecryptReplicatedSecret(key, odd, 1000, out.data(), &len).code(),
            StatusCode::kCorruption);
}

}  // namespace
}  // namespace credsweep
