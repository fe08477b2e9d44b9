#include "connectors/hashdump/hash_dump.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

namespace credsweep {
namespace {

// Fixture hashes: NT("Summer2024!") is not needed; any 32 hex digits serve as test data.
constexpr char kNtA[] = "8846F7EAEE8FB117AD06BDD830B7586C";  // NT("password")
constexpr char kNtB[] = "31D6CFE0D16AE931B73C59D7E0C089C0";  // NT("")
constexpr char kLmReal[] = "E52CAC67419A9A224A3B108F3FA6CB6D";  // LM("password")
constexpr char kLmEmpty[] = "aad3b435b51404eeaad3b435b51404ee";

NtHash Hex(const char* h) { return *ParseNtHashHex(h); }

TEST(HashDumpTest, SecretsdumpWithDomainHistoryStatusAndKerberosNoise) {
  std::string text = std::string(
      "Impacket v0.11.0 - Copyright 2023 Fortra\r\n"
      "\r\n"
      "[*] Dumping Domain Credentials (domain\\uid:rid:lmhash:nthash)\r\n"
      "[*] Using the DRSUAPI method to get NTDS.DIT secrets\r\n") +
      "CORP\\jdoe:1103:" + kLmEmpty + ":" + kNtA +
      "::: (pwdLastSet=2024-01-15 10:22) (status=Enabled)\r\n" +
      "CORP\\jdoe_history0:1103:" + kLmReal + ":" + kNtB + ":::\r\n" +
      "svc-backup:1104:" + kLmEmpty + ":" + kNtB + "::: (status=Disabled)\r\n" +
      "[*] Kerberos keys grabbed\r\n"
      "CORP\\jdoe:aes256-cts-hmac-sha1-96:0011223344556677889900112233445566778899001122334455667788990011\r\n"
      "CORP\\jdoe:des-cbc-md5:0011223344556677\r\n"
      "[*] ClearText passwords grabbed\r\n"
      "CORP\\legacy:CLEARTEXT:whatever\r\n";
  auto r = HashDump::Parse(text, "dump.txt");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const HashDump& d = *r;
  EXPECT_EQ(d.detected_format(), "secretsdump");
  ASSERT_EQ(d.records().size(), 3u);
  const HashRecord& cur = d.records()[0];
  EXPECT_EQ(cur.account, "jdoe");
  EXPECT_EQ(cur.rid, 1103u);
  EXPECT_EQ(cur.history_index, 0);
  EXPECT_EQ(cur.enabled, true);
  EXPECT_EQ(*cur.nt, Hex(kNtA));
  EXPECT_EQ(cur.lm, nullptr) << "the empty-LM constant means no LM hash";
  EXPECT_EQ(cur.line, 5u);
  const HashRecord& hist = d.records()[1];
  EXPECT_EQ(hist.account, "jdoe");
  EXPECT_EQ(hist.history_index, 1);
  ASSERT_NE(hist.lm, nullptr);
  EXPECT_EQ(*hist.lm, Hex(kLmReal));
  EXPECT_EQ(*hist.nt, kEmptyNtHash);
  EXPECT_EQ(d.records()[2].enabled, false);
  EXPECT_EQ(d.lines_read(), 12u);
  EXPECT_EQ(d.lines_skipped(), 9u);
}

TEST(HashDumpTest, PwdumpDetectedWithoutMarkers) {
  std::string text = std::string("Administrator:500:") + kLmEmpty + ":" + kNtA + ":::\n" +
                     "guest:501:NO PASSWORD*********************:NO PASSWORD*********************:::\n" +
                     "alice:1105:" + kLmReal + ":" + kNtB + ":::\n";
  auto r = HashDump::Parse(text, "pw.txt");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->detected_format(), "pwdump");
  ASSERT_EQ(r->records().size(), 2u) << "an account with no NT hash stored yields no record";
  EXPECT_EQ(r->records()[0].account, "Administrator");
  EXPECT_EQ(r->records()[0].rid, 500u);
  EXPECT_FALSE(r->records()[0].enabled.has_value());
  EXPECT_EQ(r->records()[1].account, "alice");
  ASSERT_NE(r->records()[1].lm, nullptr);
}

TEST(HashDumpTest, SmbpasswdAsPdbeditPrintsIt) {
  std::string text =
      std::string("alice:4294967295:XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX:") + kNtA +
      ":[U          ]:LCT-6B02EE57:\n"
      "nobody:65534:XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX:XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX:[U          ]:LCT-00000000:\n"
      "krbtgt:4294967295:XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX:" + kNtB + ":[DU         ]:LCT-6B02EE2A:\n"
      "VM$:4294967295:XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX:" + kNtA + ":[S          ]:LCT-6B02EE2A:\n";
  auto r = HashDump::Parse(text, "pdbedit.txt");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->detected_format(), "smbpasswd");
  ASSERT_EQ(r->records().size(), 3u);
  EXPECT_EQ(r->records()[0].account, "alice");
  EXPECT_FALSE(r->records()[0].rid.has_value()) << "smbpasswd's uid is a Unix uid, not a RID";
  EXPECT_EQ(r->records()[0].enabled, true);
  EXPECT_EQ(r->records()[0].lm, nullptr);
  EXPECT_EQ(r->records()[1].account, "krbtgt");
  EXPECT_EQ(r->records()[1].enabled, false);
  EXPECT_EQ(r->records()[2].account, "VM$");
}

TEST(HashDumpTest, HashcatNt) {
  std::string text = std::string("jdoe:") + kNtA + "\nCORP\\adm-jdoe:" + kNtA + "\n";
  auto r = HashDump::Parse(text, "hc.txt");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->detected_format(), "hashcat");
  ASSERT_EQ(r->records().size(), 2u);
  EXPECT_EQ(r->records()[1].account, "adm-jdoe");
  EXPECT_EQ(*r->records()[1].nt, Hex(kNtA));
}

// A malformed line names file, line and the field, and never echoes the hash material.
TEST(HashDumpTest, MalformedLinesNameFileLineAndNeverTheHash) {
  struct Case {
    std::string text;
    std::string format;
    std::string expect_line;
    std::string expect_what;
  };
  std::string bad_nt = "8846F7EAEE8FB117AD06BDD830B7586Z";  // 'Z' is not hex
  std::vector<Case> cases = {
      {std::string("a:500:") + kLmEmpty + ":" + kNtA + ":::\nb:501:" + kLmEmpty + ":" + bad_nt + ":::\n",
       "auto", "x.txt:2:", "NT hash field"},
      {std::string("a:5x0:") + kLmEmpty + ":" + kNtA + ":::\n", "pwdump", "x.txt:1:", "RID"},
      {std::string("a:500:") + kLmEmpty + ":" + kNtA + "\n", "pwdump", "x.txt:1:", "user:RID"},
      {std::string("a:500:") + kLmEmpty + ":" + kNtA + "::: (evil=" + kNtA + ")\n", "secretsdump",
       "x.txt:1:", "unknown suffix"},
      {std::string("a:500:") + kLmEmpty + ":" + kNtA + "::: (status=Enabled\n", "secretsdump",
       "x.txt:1:", "unterminated"},
      {std::string(":500:") + kLmEmpty + ":" + kNtA + ":::\n", "pwdump", "x.txt:1:", "empty account name"},
      {std::string("a:1:") + kNtA + ":" + kNtA + ":UX:LCT-0:\n", "smbpasswd", "x.txt:1:", "smbpasswd"},
      {std::string("a:") + std::string(kNtA).substr(0, 31) + "\n", "hashcat", "x.txt:1:", "NT hash field"},
      {std::string("a:b:") + kNtA + "\n", "hashcat", "x.txt:1:", "hashcat"},
      {"just some text\n", "auto", "x.txt:1:", "cannot detect"},
  };
  for (const Case& c : cases) {
    auto r = HashDump::Parse(c.text, "x.txt", c.format);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    const std::string& m = r.status().message();
    EXPECT_EQ(m.rfind(c.expect_line, 0), 0u) << m;
    EXPECT_NE(m.find(c.expect_what), std::string::npos) << m;
    EXPECT_EQ(m.find("8846"), std::string::npos) << "hash material leaked into: " << m;
    EXPECT_EQ(m.find("aad3"), std::string::npos) << "hash material leaked into: " << m;
  }
  EXPECT_EQ(HashDump::Parse("a:" + std::string(kNtA) + "\n", "x", "csv").status().code(),
            StatusCode::kInvalidArgument);
}

TEST(HashDumpTest, AdversarialButValidInputs) {
  // A BOM, only comments, a user literally named like history without the marker in pwdump.
  auto empty = HashDump::Parse("\xEF\xBB\xBF# nothing here\n\n", "e.txt");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->records().empty());
  EXPECT_EQ(empty->lines_read(), 2u);

  std::string text = std::string("svc_history:1200:") + kLmEmpty + ":" + kNtA + ":::\n";
  auto r = HashDump::Parse(text, "p.txt");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->detected_format(), "pwdump");
  EXPECT_EQ(r->records()[0].account, "svc_history") << "no digits: not a history marker";

  // No trailing newline, lower-case hex, huge RID rejected.
  auto lower = HashDump::Parse(std::string("u:") + "8846f7eaee8fb117ad06bdd830b7586c", "l.txt");
  ASSERT_TRUE(lower.ok());
  EXPECT_EQ(*lower->records()[0].nt, Hex(kNtA));
  auto big = HashDump::Parse(std::string("u:99999999999:") + kLmEmpty + ":" + kNtA + ":::", "b.txt");
  EXPECT_FALSE(big.ok());
}

TEST(HashDumpTest, AddAndMoveKeepPointersValid) {
  HashDump d = HashDump::Empty();
  std::array<uint8_t, 16> lm_empty = kEmptyLmHash;
  std::array<uint8_t, 16> lm_real = Hex(kLmReal);
  // More than one secure chunk's worth, so pointer stability across chunks is exercised.
  for (int i = 0; i < 5000; ++i) {
    NtHash h{};
    h[0] = static_cast<uint8_t>(i);
    h[1] = static_cast<uint8_t>(i >> 8);
    d.Add("user" + std::to_string(i), static_cast<uint32_t>(1000 + i), 0, h,
          i % 2 ? &lm_empty : &lm_real, i % 3 == 0);
  }
  HashDump moved = std::move(d);
  ASSERT_EQ(moved.records().size(), 5000u);
  for (int i = 0; i < 5000; ++i) {
    const HashRecord& r = moved.records()[i];
    ASSERT_EQ((*r.nt)[0], static_cast<uint8_t>(i));
    ASSERT_EQ((*r.nt)[1], static_cast<uint8_t>(i >> 8));
    ASSERT_EQ(r.lm == nullptr, i % 2 == 1);
    ASSERT_EQ(r.enabled, i % 3 == 0);
  }
}

TEST(HashDumpTest, TwoRecordsForOneAccountOrRidNameBothLines) {
  const std::string lm = kLmEmpty;
  auto same_name = HashDump::Parse("jdoe:1101:" + lm + ":" + kNtA + ":::\n# c\n" +
                                       "CORP\\JDoe:1102:" + lm + ":" + kNtB + ":::\n",
                                   "d.txt");
  ASSERT_FALSE(same_name.ok());
  EXPECT_EQ(same_name.status().message(),
            "d.txt:3: a second record for account 'JDoe'; the first is line 1");
  auto same_rid = HashDump::Parse("jdoe:1101:" + lm + ":" + kNtA + ":::\n" +
                                      "other:1101:" + lm + ":" + kNtB + ":::\n",
                                  "d.txt");
  ASSERT_FALSE(same_rid.ok());
  EXPECT_EQ(same_rid.status().message(),
            "d.txt:2: RID 1101 of 'other' was already given on line 1");
  EXPECT_EQ(same_rid.status().message().find(kNtB), std::string::npos);
  // A history line of the same account is not a duplicate.
  auto history = HashDump::Parse("CORP\\jdoe:1101:" + lm + ":" + kNtA + ":::\n" +
                                     "CORP\\jdoe_history0:1101:" + lm + ":" + kNtB + ":::\n",
                                 "d.txt");
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  EXPECT_EQ(history->records().size(), 2u);
}

// The first offending line in file order is the one reported, whichever check finds it: a
// repeat before a malformed line, a malformed line before a repeat, a RID repeated before a
// name, and a third record of a name naming the first line.
TEST(HashDumpTest, TheEarliestBadLineIsReported) {
  const std::string lm = kLmEmpty;
  auto line = [&](const std::string& name, int rid, const std::string& nt) {
    return name + ":" + std::to_string(rid) + ":" + lm + ":" + nt + ":::\n";
  };
  auto repeat_then_bad = HashDump::Parse(
      line("ann", 1101, kNtA) + line("ANN", 1102, kNtB) + "not a record\n", "d.txt");
  ASSERT_FALSE(repeat_then_bad.ok());
  EXPECT_EQ(repeat_then_bad.status().message(),
            "d.txt:2: a second record for account 'ANN'; the first is line 1");
  auto bad_then_repeat = HashDump::Parse(
      line("ann", 1101, kNtA) + "not a record\n" + line("ann", 1102, kNtB), "d.txt");
  ASSERT_FALSE(bad_then_repeat.ok());
  EXPECT_EQ(bad_then_repeat.status().message().rfind("d.txt:2: ", 0), 0u)
      << bad_then_repeat.status().message();
  auto rid_then_name = HashDump::Parse(line("ann", 1101, kNtA) + line("bob", 1101, kNtB) +
                                           line("Ann", 1103, kNtB),
                                       "d.txt");
  ASSERT_FALSE(rid_then_name.ok());
  EXPECT_EQ(rid_then_name.status().message(),
            "d.txt:2: RID 1101 of 'bob' was already given on line 1");
  auto both_on_one_line =
      HashDump::Parse(line("ann", 1101, kNtA) + line("ann", 1101, kNtB), "d.txt");
  ASSERT_FALSE(both_on_one_line.ok());
  EXPECT_EQ(both_on_one_line.status().message(),
            "d.txt:2: a second record for account 'ann'; the first is line 1");
  auto third = HashDump::Parse(line("x", 1, kNtA) + line("ann", 1101, kNtA) + line("y", 2, kNtA) +
                                   line("ANN", 1102, kNtB) + line("aNN", 1103, kNtB),
                               "d.txt");
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.status().message(),
            "d.txt:4: a second record for account 'ANN'; the first is line 2");
}

TEST(HashDumpTest, LoadReadsAPipeInFull) {
  // A FIFO reports size 0 to fstat; 5000 lines (~300 KiB) must all arrive.
  char dir[] = "/tmp/hash_dump_fifo_XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string fifo = std::string(dir) + "/dump";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::string text;
  for (int i = 0; i < 5000; ++i) {
    text += "user" + std::to_string(i) + ":" + std::to_string(2000 + i) + ":" + kLmEmpty + ":" +
            kNtA + ":::\n";
  }
  std::thread writer([&] {
    std::ofstream out(fifo, std::ios::binary);
    out << text;
  });
  auto r = HashDump::Load(fifo);
  writer.join();
  unlink(fifo.c_str());
  rmdir(dir);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->records().size(), 5000u);
  EXPECT_EQ(r->records().back().account, "user4999");
}

TEST(HashDumpTest, LoadFromFileAndMissingFile) {
  char path[] = "/tmp/hash_dump_test_XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  std::string text = std::string("CORP\\bob:1300:") + kLmEmpty + ":" + kNtA + ":::\n";
  ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  auto r = HashDump::Load(path);
  unlink(path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->detected_format(), "secretsdump");
  EXPECT_EQ(r->records()[0].account, "bob");
  auto missing = HashDump::Load("/nonexistent/dir/dump.txt");
  EXPECT_EQ(missing.status().code(), StatusCode::kIOError);
  EXPECT_NE(missing.status().message().find("/nonexistent/dir/dump.txt"), std::string::npos);
}

}  // namespace
}  // namespace credsweep
