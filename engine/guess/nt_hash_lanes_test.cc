// The 8-lane MD4 kernels: RFC 1320 vectors, AVX2 == scalar == NtHashOfUtf8 for every length.
#include "engine/guess/nt_hash_lanes.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace credsweep {
namespace {

// RFC 1320 appendix A.5: the test suite inputs that fit one block (the 62- and 80-byte ones
// need two and are covered by engine/base/nt_hash_test.cc).
const std::pair<std::string, std::string> kRfc1320[] = {
    {"", "31D6CFE0D16AE931B73C59D7E0C089C0"},
    {"a", "BDE52CB31DE33E46245E05FBDBD6FB24"},
    {"abc", "A448017AAF21D8525FC10AE87AA6729D"},
    {"message digest", "D9130A8164549FE818874806E1C7014B"},
    {"abcdefghijklmnopqrstuvwxyz", "D79E1C308AA5BBCDEEA8ED63DF412DA9"},
};

std::vector<Md4LanesFn> Kernels() {
  std::vector<Md4LanesFn> k = {&Md4LanesScalar};
  if (Md4LanesAvx2Supported()) k.push_back(&Md4LanesAvx2);
  return k;
}

TEST(Md4LanesTest, Rfc1320VectorsInEveryLaneOfEveryKernel) {
  for (Md4LanesFn kernel : Kernels()) {
    Md4LaneInput in;
    for (size_t l = 0; l < kMd4Lanes; ++l) {
      const std::string& msg = kRfc1320[l % std::size(kRfc1320)].first;
      PackLaneBytes(in.lane[l], msg.data(), msg.size());
    }
    Md4LaneDigest out;
    kernel(in, &out);
    for (size_t l = 0; l < kMd4Lanes; ++l) {
      EXPECT_EQ(NtHashToHex(LaneDigest(out, l)), kRfc1320[l % std::size(kRfc1320)].second)
          << "lane " << l << (kernel == &Md4LanesScalar ? " scalar" : " avx2");
    }
  }
}

TEST(Md4LanesTest, Avx2EqualsScalarEqualsNtHashForEveryLength) {
  if (!Md4LanesAvx2Supported()) GTEST_SKIP() << "this CPU has no AVX2; scalar only";
  std::mt19937 rng(20261202);
  // Units from ASCII, Latin-1 (æøå) and the rest of the BMP below the surrogates.
  std::uniform_int_distribution<int> pick(0, 2);
  std::uniform_int_distribution<int> ascii(0x20, 0x7E), latin(0xC0, 0xFF), bmp(0x100, 0xD7FF);
  for (int round = 0; round < 200; ++round) {
    Md4LaneInput in;
    std::u16string words[kMd4Lanes];
    for (size_t l = 0; l < kMd4Lanes; ++l) {
      const size_t n = (round * kMd4Lanes + l) % (kMaxLaneUnits + 1);  // 0..27, all covered
      for (size_t i = 0; i < n; ++i) {
        const int p = pick(rng);
        words[l] += static_cast<char16_t>(p == 0 ? ascii(rng) : p == 1 ? latin(rng) : bmp(rng));
      }
      // Split at an arbitrary point: the two-part packing must not depend on where.
      const size_t cut = n ? round % (n + 1) : 0;
      PackLaneUnits(in.lane[l], words[l].data(), cut, words[l].data() + cut, n - cut);
    }
    Md4LaneDigest scalar, avx2;
    Md4LanesScalar(in, &scalar);
    Md4LanesAvx2(in, &avx2);
    for (size_t l = 0; l < kMd4Lanes; ++l) {
      const NtHash want = Md4OfUtf16(words[l]);
      ASSERT_EQ(LaneDigest(scalar, l), want) << "round " << round << " lane " << l;
      ASSERT_EQ(LaneDigest(avx2, l), want) << "round " << round << " lane " << l;
    }
  }
}

TEST(Md4LanesTest, LanesGiveTheNtHashOfAPassword) {
  const std::u16string pw = u"Efterår2026!";
  Md4LaneInput in;
  for (size_t l = 0; l < kMd4Lanes; ++l) PackLaneUnits(in.lane[l], pw.data(), 7, pw.data() + 7, 5);
  Md4LaneDigest out;
  Md4Lanes()(in, &out);
  const NtHash want = NtHashOfUtf8("Efterår2026!").value();
  EXPECT_EQ(LaneDigest(out, 3), want);
  EXPECT_EQ(out.h[0][3], HashWord0(want));
}

TEST(Md4LanesTest, DispatchPicksAvx2WhenTheCpuHasIt) {
  EXPECT_STREQ(Md4LanesName(), Md4LanesAvx2Supported() ? "avx2" : "scalar");
}

}  // namespace
}  // namespace credsweep
