#include "engine/store/store_format.h"

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
  m.sources = {{1, "hibp-ntlm", "v9", "hibp", 1200, 1000, "2026-10-02T00:00:00Z",
                "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"}};
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
    "expected_fpr": 0.000825
  },
  "index": {
    "dir": "gen-000003/index",
    "value_format": 1
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
      "checksum": "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
    }
  ]
}
)";
  EXPECT_EQ(ManifestToJson(m), kGolden);
  auto back = ManifestFromJson(kGolden, "golden");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(ManifestToJson(*back), kGolden);
}

TEST(StoreFormatGoldenTest, IndexValueBytes) {
  // value_format 1, first month 202611, two sources: (1, 3) and (2, 1,000,000).
  IndexValue v;
  v.first_month = 202611;
  v.sources = {{1, 3}, {2, 1000000}};
  std::string bytes;
  EncodeIndexValue(v, &bytes);
  const std::string kGolden("\x01\xf3\xae\x0c\x02\x01\x03\x02\xc0\x84\x3d", 11);
  EXPECT_EQ(bytes, kGolden);
  // The one-source fast path writes the same layout as the general encoder.
  char fast[kMaxSingleSourceValue];
  const size_t n = EncodeSingleSourceValue(202611, 2, 1000000, fast);
  IndexValue one;
  one.first_month = 202611;
  one.sources = {{2, 1000000}};
  EncodeIndexValue(one, &bytes);
  EXPECT_EQ(std::string(fast, n), bytes);
  EXPECT_EQ(bytes, std::string("\x01\xf3\xae\x0c\x01\x02\xc0\x84\x3d", 9));
}

}  // namespace
}  // namespace credsweep::store
