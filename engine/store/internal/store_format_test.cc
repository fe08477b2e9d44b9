#include "engine/store/internal/store_format.h"

#include <gtest/gtest.h>

namespace credsweep::store {
namespace {

// The store's persisted formats, pinned byte for byte (as the filter's are in bloom/): a change
// here is a format change and needs a new format_version / value_format.
TEST(StoreFormatGoldenTest, ManifestBytes) {
  Manifest m;
  m.generation = 3;
  m.keys = 1000;
  m.updated_at = "2026-11-01T02:00:00Z";
  m.bits_per_key = 16;
  m.probes = 10;
  m.seed = 42;
  m.filter_blocks = 32;
  m.expected_fpr = 0.000825;
  m.filter_checksum = std::string(64, 'f');
  m.filter_verified_at = "2026-11-01T02:00:05Z";
  m.sources = {{1, "hibp-ntlm", "v9", "hibp", 1200, 1000, "2026-10-02T00:00:00Z",
                "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", "sha256"}};
  const std::string kGolden = R"({
  "format": "credsweep-corpus-store",
  "format_version": 1,
  "generation": 3,
  "key_type": "ntlm",
  "keys": 1000,
  "updated_at": "2026-11-01T02:00:00Z",
  "filter": {
    "file": "gen-000003/filter.csbf",
    "bits_per_key": 16.0,
    "probes": 10,
    "seed": 42,
    "blocks": 32,
    "expected_fpr": 0.000825,
    "checksum": "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "ranges": "gen-000003/filter.ranges",
    "verified_at": "2026-11-01T02:00:05Z"
  },
  "index": {
    "dir": "gen-000003/index",
    "value_format": 2
  },
  "sources": [
    {
      "id": 1,
      "name": "hibp-ntlm",
      "version": "v9",
      "format": "hibp",
      "lines": 1200,
      "records": 1000,
      "imported_at": "2026-10-02T00:00:00Z",
      "checksum": "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
      "checksum_algorithm": "sha256"
    }
  ]
}
)";
  EXPECT_EQ(ManifestToJson(m), kGolden);
  auto back = ManifestFromJson(kGolden, "golden");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(ManifestToJson(*back), kGolden);

  // Sources recorded before checksum_algorithm existed were hashed with BLAKE2b-256; their
  // manifests still load and say so when written again.
  std::string old = kGolden;
  const std::string field = ",\n      \"checksum_algorithm\": \"sha256\"";
  ASSERT_NE(old.find(field), std::string::npos);
  old.erase(old.find(field), field.size());
  auto legacy = ManifestFromJson(old, "old");
  ASSERT_TRUE(legacy.ok()) << legacy.status().ToString();
  ASSERT_EQ(legacy->sources.size(), 1u);
  EXPECT_EQ(legacy->sources[0].checksum_algorithm, "blake2b-256");
}

TEST(StoreFormatGoldenTest, IndexBucketBytes) {
  // value_format 2, one bucket holding two hashes (suffixes 0x01.. and 0x02..): first seen
  // 2026-11 and 2026-12, one source each (1, 3) and two sources (1, 5) + (2, 1,000,000).
  uint8_t s1[kSuffixBytes], s2[kSuffixBytes];
  for (size_t i = 0; i < kSuffixBytes; ++i) {
    s1[i] = 0x01;
    s2[i] = 0x02;
  }
  BucketEncoder enc;
  const SourceCount one[] = {{1, 3}};
  const SourceCount two[] = {{1, 5}, {2, 1000000}};
  enc.Add(s1, 202611, one);
  enc.Add(s2, 202612, two);
  std::string bytes;
  enc.Finish(&bytes);
  // 02 | n=2 | base month 322 (2026-11 as months since 2000-01) = c2 02 | 13 x 01 | 13 x 02 |
  // h=0 (same month, one source) 01 03 | h=(1*2+1)=03, k=2, 01 05, 02 c0 84 3d
  const std::string kGolden = std::string("\x02\x02\xc2\x02", 4) + std::string(13, '\x01') +
                              std::string(13, '\x02') +
                              std::string("\x00\x01\x03\x03\x02\x01\x05\x02\xc0\x84\x3d", 11);
  EXPECT_EQ(bytes, kGolden);
}

// A fresh import's buckets take the one-pass encoding; it must be the encoder's bytes exactly
// (a reader cannot tell which wrote a bucket). Counts of every varint length, source ids of one
// and two bytes, a single-hash bucket and a large one.
TEST(StoreFormatGoldenTest, NewBucketEncodingIsTheEncodersBytes) {
  for (uint32_t source_id : {1u, 127u, 128u, 300u}) {
    for (size_t n : {size_t{1}, size_t{2}, size_t{200}}) {
      std::vector<corpus::CorpusRecord> records(n);
      BucketEncoder enc;
      for (size_t i = 0; i < n; ++i) {
        records[i].hash.fill(0);
        records[i].hash[0] = 0xAB;
        records[i].hash[1] = 0xCD;
        records[i].hash[2] = 0xEF;
        records[i].hash[14] = static_cast<uint8_t>(i >> 8);
        records[i].hash[15] = static_cast<uint8_t>(i);
        records[i].count = i % 3 == 0 ? i : (uint64_t{1} << (7 * (i % 10))) + i;
        const SourceCount sc[] = {{source_id, records[i].count}};
        enc.Add(records[i].hash.data() + kBucketPrefixBytes, 202612, sc);
      }
      std::string want, got = "stale bytes from the previous bucket";
      enc.Finish(&want);
      EncodeNewBucket(records, 202612, source_id, &got);
      EXPECT_EQ(got, want) << "source " << source_id << ", " << n << " hashes";
      BucketView view;
      ASSERT_TRUE(view.Parse(got));
      uint64_t total = 0;
      uint32_t month = 0;
      ASSERT_TRUE(view.Total(n - 1, &total, &month));
      EXPECT_EQ(total, records[n - 1].count);
      EXPECT_EQ(month, 202612u);
    }
  }
}

}  // namespace
}  // namespace credsweep::store
