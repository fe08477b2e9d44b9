#include "connectors/corpus/corpus_line.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "engine/base/hex.h"

namespace credsweep::corpus {
namespace {

constexpr char kPasswordHash[] = "8846F7EAEE8FB117AD06BDD830B7586C";  // NT("password")

ParsedLine Hibp(std::string_view line) {
  ParsedLine p;
  ParseHibpLine(line, &p);
  return p;
}

TEST(HibpLineTest, AcceptsBothCasesAndLineEndings) {
  for (std::string line : {std::string(kPasswordHash) + ":42", std::string(kPasswordHash) + ":42\r",
                           std::string("8846f7eaee8fb117ad06bdd830b7586c:42")}) {
    ParsedLine p = Hibp(line);
    ASSERT_EQ(p.kind, LineKind::kRecord) << p.error;
    EXPECT_EQ(NtHashToHex(p.hash), kPasswordHash);
    EXPECT_EQ(p.count, 42u);
  }
}

TEST(HibpLineTest, EmptyAndCountZeroAreSkipped) {
  EXPECT_EQ(Hibp("").kind, LineKind::kSkip);
  EXPECT_EQ(Hibp("\r").kind, LineKind::kSkip);
  EXPECT_EQ(Hibp(std::string(kPasswordHash) + ":0").kind, LineKind::kSkip);
}

TEST(HibpLineTest, MalformedLinesSayWhatIsWrongWithoutEchoingTheLine) {
  struct Case {
    std::string line;
    std::string expect;  // substring of the error
  };
  const std::string h = kPasswordHash;
  for (const Case& c : std::vector<Case>{
           {h, "missing ':COUNT'"},
           {h + ":", "empty count"},
           {h + ":12a", "not a decimal number"},
           {h + ":-1", "not a decimal number"},
           {h + ":12345678901234567890", "20 digits"},
           {h.substr(0, 31) + ":5", "31 hex digits"},
           {h + "0:5", "33 hex digits"},
           {"8846F7EAEE8FB117AD06BDD830B7586C8846F7EA:5", "SHA-1"},
           {"8846F7EAXE8FB117AD06BDD830B7586C:5", "column 9"},
           {"hunter2", "column 1"},
           {"x", "column 1"},
       }) {
    ParsedLine p = Hibp(c.line);
    EXPECT_EQ(p.kind, LineKind::kBad) << c.line;
    EXPECT_NE(p.error.find(c.expect), std::string::npos) << c.line << " -> " << p.error;
    EXPECT_EQ(p.error.find("8846"), std::string::npos) << p.error;
    EXPECT_EQ(p.error.find("hunter2"), std::string::npos) << p.error;
  }
}

TEST(HibpSuffixLineTest, RebuildsTheHashFromTheFilePrefix) {
  // Prefix 8846F, suffix = the remaining 27 digits.
  ParsedLine p;
  ParseHibpSuffixLine("7eaee8fb117ad06bdd830b7586c:3\r", 0x8846F, &p);
  ASSERT_EQ(p.kind, LineKind::kRecord) << p.error;
  EXPECT_EQ(NtHashToHex(p.hash), kPasswordHash);
  EXPECT_EQ(p.count, 3u);
  ParseHibpSuffixLine("7EAEE8FB117AD06BDD830B7586C:0", 0x8846F, &p);
  EXPECT_EQ(p.kind, LineKind::kSkip);  // range API padding
  ParseHibpSuffixLine("7EAEE8FB117AD06BDD830B7586C", 0x8846F, &p);
  EXPECT_EQ(p.kind, LineKind::kBad);
  ParseHibpSuffixLine(std::string(kPasswordHash) + ":3", 0x8846F, &p);
  EXPECT_EQ(p.kind, LineKind::kBad);
  EXPECT_NE(p.error.find("expected 27"), std::string::npos) << p.error;
}

TEST(NtlmListLineTest, HashAloneOrWithExtraFields) {
  ParsedLine p;
  ParseNtlmListLine(kPasswordHash, &p);
  ASSERT_EQ(p.kind, LineKind::kRecord);
  EXPECT_EQ(p.count, 1u);
  ParseNtlmListLine(std::string(kPasswordHash) + ":user:whatever\r", &p);
  ASSERT_EQ(p.kind, LineKind::kRecord);
  EXPECT_EQ(NtHashToHex(p.hash), kPasswordHash);
  ParseNtlmListLine(std::string(kPasswordHash) + "X", &p);
  EXPECT_EQ(p.kind, LineKind::kBad);
  ParseNtlmListLine("", &p);
  EXPECT_EQ(p.kind, LineKind::kSkip);
}

TEST(PlaintextLineTest, HashesPasswordsAndRejectsBadUtf8) {
  ParsedLine p;
  ParsePlaintextLine("password\r", &p);
  ASSERT_EQ(p.kind, LineKind::kRecord);
  EXPECT_EQ(NtHashToHex(p.hash), kPasswordHash);
  ParsePlaintextLine("", &p);
  EXPECT_EQ(p.kind, LineKind::kSkip);
  ParsePlaintextLine("tr\xFFoub4dor", &p);
  ASSERT_EQ(p.kind, LineKind::kBad);
  EXPECT_NE(p.error.find("UTF-8"), std::string::npos);
  EXPECT_EQ(p.error.find("oub4dor"), std::string::npos);
  // A line of spaces is a password, not an empty line.
  ParsePlaintextLine("   ", &p);
  EXPECT_EQ(p.kind, LineKind::kRecord);
}

TEST(ClassifyLineTest, Shapes) {
  const std::string h = kPasswordHash;
  EXPECT_EQ(ClassifyLine(h), LineShape::kHex32);
  EXPECT_EQ(ClassifyLine(h + ":12\r"), LineShape::kHex32Count);
  EXPECT_EQ(ClassifyLine(h + ":alice"), LineShape::kHex32Other);
  EXPECT_EQ(ClassifyLine(h.substr(5) + ":7"), LineShape::kHex27Count);
  EXPECT_EQ(ClassifyLine("5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:3"), LineShape::kHex40);
  EXPECT_EQ(ClassifyLine(std::string(64, 'a')), LineShape::kHexOther);
  EXPECT_EQ(ClassifyLine("password"), LineShape::kText);
  EXPECT_EQ(ClassifyLine("cafe"), LineShape::kText);  // short hex-looking words are words
  EXPECT_EQ(ClassifyLine(""), LineShape::kEmpty);
}

}  // namespace
// The vector decoder answers exactly as the table decoder: every byte value at every one of the
// 32 positions of a valid hash (both cases), valid or not, decodes to the same bytes or fails.
TEST(DecodeHashHexTest, AgreesWithTheTableDecoderOnEveryByteAtEveryPosition) {
  for (const char* base : {"00112233445566778899AABBCCDDEEFF", "0123456789abcdefFEDCBA9876543210"}) {
    for (size_t pos = 0; pos < 32; ++pos) {
      for (int c = 0; c < 256; ++c) {
        char hex[32];
        std::memcpy(hex, base, 32);
        hex[pos] = static_cast<char>(c);
        uint8_t want[16], got[16];
        const bool want_ok = HexDecode(hex, 16, want);
        ASSERT_EQ(DecodeHashHex(hex, got), want_ok) << "byte " << c << " at " << pos;
        if (want_ok) {
          ASSERT_EQ(std::memcmp(got, want, 16), 0) << "byte " << c << " at " << pos;
        }
      }
    }
  }
  uint8_t h[16];
  ASSERT_TRUE(DecodeHashHex("8846F7EAEE8FB117AD06BDD830B7586C", h));
  EXPECT_EQ(h[0], 0x88);
  EXPECT_EQ(h[15], 0x6C);
}

}  // namespace credsweep::corpus
