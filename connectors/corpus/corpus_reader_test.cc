#include "connectors/corpus/corpus_reader.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "engine/base/test_temp_dir.h"

namespace credsweep::corpus {
namespace {

constexpr char kPasswordHash[] = "8846F7EAEE8FB117AD06BDD830B7586C";  // NT("password")

class ReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTestTempDir("cs_reader");
    ASSERT_FALSE(dir_.empty());
  }

  std::string Write(const std::string& name, const std::string& content) {
    std::string path = dir_ + "/" + name;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  // Reads paths; returns hex -> count (summed), or the error.
  Status Read(const std::vector<std::string>& paths, CorpusFormat format, bool skip_bad,
              std::map<std::string, uint64_t>* out, ReadStats* stats) {
    ReadOptions o;
    o.format = format;
    o.skip_bad = skip_bad;
    return ReadCorpus(paths, o,
                      [out](std::span<const CorpusRecord> b) {
                        for (const CorpusRecord& r : b) (*out)[NtHashToHex(r.hash)] += r.count;
                        return Status::Ok();
                      },
                      stats);
  }

  std::string dir_;
};

TEST_F(ReaderTest, HibpFileWithBomCrlfAndPadding) {
  std::string p = Write("hibp.txt", "\xEF\xBB\xBF" + std::string(kPasswordHash) +
                                        ":10\r\n\r\n31d6cfe0d16ae931b73c59d7e0c089c0:0\r\n"
                                        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA:3");
  std::map<std::string, uint64_t> got;
  ReadStats st;
  ASSERT_TRUE(Read({p}, CorpusFormat::kAuto, false, &got, &st).ok());
  EXPECT_EQ(got.size(), 2u);
  EXPECT_EQ(got[kPasswordHash], 10u);
  EXPECT_EQ(got["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"], 3u);
  EXPECT_EQ(st.lines, 4u);
  EXPECT_EQ(st.skipped, 2u);  // the empty line and the count-0 line
  EXPECT_EQ(st.format, "hibp");
  EXPECT_EQ(st.checksum.size(), 64u);
}

// The source checksum covers every input byte, inputs in order, in either algorithm: what
// `sha256sum` / `b2sum -l 256` print for one file, and for "ab" then "c" the digest of "abc"
// (FIPS 180-2's and RFC 7693's first examples). The algorithm is named beside it.
TEST_F(ReaderTest, ChecksumIsOfTheInputBytesInOrderInEitherAlgorithm) {
  const std::vector<std::string> one = {Write("abc.txt", "abc")};
  const std::vector<std::string> two = {Write("ab.txt", "ab"), Write("c.txt", "c")};
  struct Case {
    SourceChecksum algorithm;
    const char* name;
    const char* abc;
  };
  for (const Case& c :
       {Case{SourceChecksum::kSha256, "sha256",
             "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        Case{SourceChecksum::kBlake2b256, "blake2b-256",
             "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319"}}) {
    for (const auto& paths : {one, two}) {
      ReadOptions o;
      o.format = CorpusFormat::kPlaintext;
      o.checksum = c.algorithm;
      ReadStats st;
      size_t records = 0;
      ASSERT_TRUE(ReadCorpus(paths, o,
                             [&](std::span<const CorpusRecord> b) {
                               records += b.size();
                               return Status::Ok();
                             },
                             &st)
                      .ok());
      EXPECT_EQ(st.checksum, c.abc) << c.name << ", " << paths.size() << " inputs";
      EXPECT_EQ(st.checksum_algorithm, c.name);
      EXPECT_EQ(records, paths.size());
    }
  }
  // By default the faster of the two on this CPU, named as such.
  EXPECT_STREQ(SourceChecksumName(ReadOptions().checksum),
               SourceChecksumName(FastestSourceChecksum()));
}

TEST_F(ReaderTest, PrefixFolderInPrefixOrder) {
  Write("range/8846F.txt", "7EAEE8FB117AD06BDD830B7586C:5\r\n7EAEE8FB117AD06BDD830B7586D:0\r\n");
  Write("range/00000.txt", "0000000000000000000000000AB:2\n");
  Write("range/README", "not a prefix file");
  std::vector<std::string> order;
  ReadOptions o;
  ReadStats st;
  ASSERT_TRUE(ReadCorpus({dir_ + "/range"}, o,
                         [&order](std::span<const CorpusRecord> b) {
                           for (const CorpusRecord& r : b) order.push_back(NtHashToHex(r.hash));
                           return Status::Ok();
                         },
                         &st)
                  .ok());
  ASSERT_EQ(order.size(), 2u);
  EXPECT_EQ(order[0], "000000000000000000000000000000AB");
  EXPECT_EQ(order[1], kPasswordHash);
  EXPECT_EQ(st.skipped, 1u);
}

TEST_F(ReaderTest, Sha1FileIsRefusedSayingWhatWasSeen) {
  std::string p = Write("pwned-passwords-sha1.txt", "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:3\r\n");
  for (CorpusFormat f : {CorpusFormat::kAuto, CorpusFormat::kHibp, CorpusFormat::kNtlm}) {
    auto d = DetectFormat(p, f);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(d.status().message().find("SHA-1"), std::string::npos) << d.status().message();
    EXPECT_NE(d.status().message().find("NTLM"), std::string::npos) << d.status().message();
    std::map<std::string, uint64_t> got;
    ReadStats st;
    Status s = Read({p}, f, false, &got, &st);
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("SHA-1"), std::string::npos) << s.message();
  }
}

TEST_F(ReaderTest, DetectionOfEachFormat) {
  EXPECT_EQ(*DetectFormat(Write("a", std::string(kPasswordHash) + ":3\n"), CorpusFormat::kAuto),
            CorpusFormat::kHibp);
  EXPECT_EQ(*DetectFormat(Write("b", "\n" + std::string(kPasswordHash) + "\n"), CorpusFormat::kAuto),
            CorpusFormat::kNtlm);
  EXPECT_EQ(*DetectFormat(Write("c", std::string(kPasswordHash) + ":alice:1001\n"),
                          CorpusFormat::kAuto),
            CorpusFormat::kNtlm);
  EXPECT_EQ(*DetectFormat(Write("d", "password\n123456\n"), CorpusFormat::kAuto),
            CorpusFormat::kPlaintext);
  // Explicit formats that contradict the content are refused, with a hint.
  auto r = DetectFormat(dir_ + "/a", CorpusFormat::kPlaintext);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--format hibp"), std::string::npos);
  r = DetectFormat(dir_ + "/b", CorpusFormat::kHibp);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--format ntlm"), std::string::npos);
  EXPECT_EQ(DetectFormat(dir_ + "/missing", CorpusFormat::kAuto).status().code(),
            StatusCode::kNotFound);
}

TEST_F(ReaderTest, PlaintextWordListHashesEachLine) {
  std::string p = Write("words.txt", "password\r\n\r\npassword\n\xC3\xA9t\xC3\xA9\n");
  std::map<std::string, uint64_t> got;
  ReadStats st;
  ASSERT_TRUE(Read({p}, CorpusFormat::kAuto, false, &got, &st).ok());
  EXPECT_EQ(st.format, "plaintext");
  EXPECT_EQ(got.size(), 2u);
  EXPECT_EQ(got[kPasswordHash], 2u);  // duplicates arrive as two records of count 1
}

TEST_F(ReaderTest, MalformedLineStopsWithFileAndLine) {
  std::string p = Write("hibp.txt", std::string(kPasswordHash) + ":1\r\n" +
                                        std::string(kPasswordHash) + ":x\r\n");
  std::map<std::string, uint64_t> got;
  ReadStats st;
  Status s = Read({p}, CorpusFormat::kAuto, false, &got, &st);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find(p + ":2: "), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find(kPasswordHash), std::string::npos) << s.message();
}

TEST_F(ReaderTest, SkipBadCountsAndKeepsLocations) {
  std::string p = Write("words.txt", "good\nba\xFF" "d1\nalso good\nba\xFE" "d2\n");
  std::map<std::string, uint64_t> got;
  ReadStats st;
  ASSERT_TRUE(Read({p}, CorpusFormat::kPlaintext, true, &got, &st).ok());
  EXPECT_EQ(got.size(), 2u);
  EXPECT_EQ(st.bad_lines, 2u);
  ASSERT_EQ(st.first_bad.size(), 2u);
  EXPECT_EQ(st.first_bad[0].rfind(p + ":2: invalid UTF-8", 0), 0u) << st.first_bad[0];
  EXPECT_EQ(st.first_bad[1].rfind(p + ":4: ", 0), 0u);
  for (const std::string& b : st.first_bad) {
    EXPECT_EQ(b.find("d1"), std::string::npos) << "line content leaked into the message";
    EXPECT_EQ(b.find("d2"), std::string::npos) << "line content leaked into the message";
  }
}

TEST_F(ReaderTest, LastLineWithoutNewlineAndTinyFiles) {
  std::map<std::string, uint64_t> got;
  ReadStats st;
  ASSERT_TRUE(Read({Write("x", "a\nb")}, CorpusFormat::kPlaintext, false, &got, &st).ok());
  EXPECT_EQ(got.size(), 2u);
  EXPECT_EQ(st.lines, 2u);
  got.clear();
  ASSERT_TRUE(Read({Write("y", "")}, CorpusFormat::kAuto, false, &got, &st).ok());
  EXPECT_TRUE(got.empty());
}

TEST_F(ReaderTest, LongLinesAcrossBlockBoundaries) {
  // 200 000 lines (~7 MB) cross the 4 MiB read blocks; every one must come through.
  std::string content;
  for (int i = 0; i < 200000; ++i) {
    char line[64];
    std::snprintf(line, sizeof line, "%032X:%d\r\n", i, i % 7 + 1);
    content += line;
  }
  std::map<std::string, uint64_t> got;
  ReadStats st;
  ASSERT_TRUE(Read({Write("big.txt", content)}, CorpusFormat::kHibp, false, &got, &st).ok());
  EXPECT_EQ(got.size(), 200000u);
  EXPECT_EQ(st.bytes, content.size());
}

TEST_F(ReaderTest, AHugeLineIsOneBadLineAndLaterLineNumbersStayRight) {
  // A 13 MB line spans four 4 MiB read blocks: with --skip-bad it is ONE bad line (line 2),
  // and the malformed line after it is still reported as line 4.
  std::string content = std::string(kPasswordHash) + ":3\n";
  content += std::string(13 << 20, 'x') + "\n";
  content += "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA:2\n";
  content += "not a hash line\n";
  content += "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB:1\n";
  std::map<std::string, uint64_t> got;
  ReadStats st;
  Status s = Read({Write("huge.txt", content)}, CorpusFormat::kHibp, true, &got, &st);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(got.size(), 3u);
  EXPECT_EQ(st.bad_lines, 2u);
  EXPECT_EQ(st.lines, 5u);
  ASSERT_EQ(st.first_bad.size(), 2u);
  EXPECT_NE(st.first_bad[0].find("huge.txt:2: line longer than"), std::string::npos)
      << st.first_bad[0];
  EXPECT_NE(st.first_bad[1].find("huge.txt:4: "), std::string::npos) << st.first_bad[1];
}

}  // namespace
}  // namespace credsweep::corpus
