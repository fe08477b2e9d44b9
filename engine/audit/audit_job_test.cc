// The audit job end to end on files: LDIF directory, pwdump dump, a real imported store.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "engine/audit/audit_job.h"
#include "engine/base/file_util.h"
#include "engine/base/nt_hash.h"
#include "engine/base/test_temp_dir.h"
#include "engine/config/config.h"
#include "engine/store/corpus_import.h"

namespace credsweep {
namespace {

using ::testing::HasSubstr;

std::string Hex(const std::string& password) { return NtHashToHex(NtHashOfUtf8(password).value()); }

class AuditJobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTestTempDir("cs_audit_job");
    ASSERT_FALSE(dir_.empty());
    // Corpus: two leaked passwords with prevalence counts (HIBP "HASH:COUNT" lines).
    ASSERT_TRUE(WriteFileAtomic(dir_ + "/hibp.txt", Hex("Summer2024!") + ":4711\r\n" +
                                                        Hex("Password1") + ":99\r\n")
                    .ok());
    store::ImportOptions opt;
    opt.store = dir_ + "/store";
    opt.paths = {dir_ + "/hibp.txt"};
    opt.format = corpus::CorpusFormat::kHibp;
    opt.source = "hibp";
    opt.version = "v8";
    Result<store::ImportReport> rep = store::ImportCorpus(opt);
    ASSERT_TRUE(rep.ok()) << rep.status().ToString();

    const std::string base = "DC=corp,DC=example";
    const std::string ldif =
        "version: 1\n\n"
        "dn: CN=Alice,OU=Staff," + base + "\nobjectClass: user\nsAMAccountName: alice\n"
        "mail: alice@corp.example\nuserAccountControl: 512\n\n"
        "dn: CN=Bob,OU=Staff," + base + "\nobjectClass: user\nsAMAccountName: bob\n"
        "userAccountControl: 66050\n\n"  // disabled + DONT_EXPIRE_PASSWORD
        "dn: CN=adm-carol,OU=Admins," + base + "\nobjectClass: user\nsAMAccountName: adm-carol\n"
        "userAccountControl: 512\n\n"
        "dn: CN=carol,OU=Staff," + base + "\nobjectClass: user\nsAMAccountName: carol\n"
        "userAccountControl: 512\n\n"
        "dn: CN=Domain Admins,CN=Users," + base + "\nobjectClass: group\n"
        "sAMAccountName: Domain Admins\nmember: CN=adm-carol,OU=Admins," + base + "\n";
    ASSERT_TRUE(WriteFileAtomic(dir_ + "/dir.ldif", ldif).ok());
    const std::string lm_empty = "aad3b435b51404eeaad3b435b51404ee";
    const std::string dump = "alice:1101:" + lm_empty + ":" + Hex("Summer2024!") + ":::\n" +
                             "bob:1102:" + lm_empty + ":" + Hex("shared-one") + ":::\n" +
                             "adm-carol:1103:" + lm_empty + ":" + Hex("shared-one") + ":::\n" +
                             "carol:1104:" + lm_empty + ":" + Hex("Password1") + ":::\n" +
                             "gone:1199:" + lm_empty + ":" + Hex("x") + ":::\n";
    ASSERT_TRUE(WriteFileAtomic(dir_ + "/ntds.pwdump", dump).ok());
  }

  Result<Config> WriteConfig(const std::string& extra = "") {
    const std::string text =
        "[store]\npath = \"store\"\n"
        "[directory]\nurl = \"ldif:dir.ldif\"\n"
        "[hashes]\nfile = \"ntds.pwdump\"\nformat = \"pwdump\"\n"
        "[classify]\nadmin_name_patterns = [\"^adm-(.+)$\"]\n" + extra;
    Status s = WriteFileAtomic(dir_ + "/credsweep.toml", text);
    if (!s.ok()) return s;
    return LoadConfig(dir_ + "/credsweep.toml");
  }

  std::string dir_;
};

TEST_F(AuditJobTest, WritesPrivateJsonAndCsvWithTheFindings) {
  Result<Config> cfg = WriteConfig();
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  const std::string out = dir_ + "/out/2026-11";
  Result<FindingsDocument> doc = RunAuditJob(*cfg, out);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->run.accounts_checked, 4u);
  EXPECT_EQ(doc->run.hashes_loaded, 5u);
  EXPECT_EQ(doc->run.hashes_unmatched, 1u);
  ASSERT_EQ(doc->run.corpus_sources.size(), 1u);
  EXPECT_EQ(doc->run.corpus_sources[0].version, "v8");

  // Leaked: alice (4711) before carol (99), both regular.
  std::vector<std::pair<std::string, uint64_t>> leaked;
  for (const Finding& f : doc->findings) {
    if (f.rule == "leaked-password") leaked.emplace_back(f.account, f.rank_count);
  }
  EXPECT_EQ(leaked, (std::vector<std::pair<std::string, uint64_t>>{{"alice", 4711}, {"carol", 99}}));
  // On disk only the bands: re-read findings.json.
  Result<FindingsDocument> disk = LoadFindings(out);
  ASSERT_TRUE(disk.ok()) << disk.status().ToString();
  for (const Finding& f : disk->findings) {
    if (f.rule != "leaked-password") continue;
    EXPECT_EQ(f.rank_count, 0u);
    EXPECT_EQ(f.prevalence, f.account == "alice" ? PrevalenceBand::k1kTo10k : PrevalenceBand::k10To99);
  }
  bool admin_shares = false;
  for (const Finding& f : doc->findings) {
    if (f.rule == "admin-shares-password") {
      admin_shares = true;
      EXPECT_EQ(f.account, "adm-carol");
      EXPECT_EQ(f.group.value(), "shared-password group 1 (2 accounts)");
    }
    if (f.account == "bob") {
      EXPECT_FALSE(f.enabled);
    }
  }
  EXPECT_TRUE(admin_shares);

  for (const char* name : {"findings.json", "findings.csv"}) {
    struct stat st;
    ASSERT_EQ(stat((out + "/" + name).c_str(), &st), 0) << name;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << name;
  }
  Result<FindingsDocument> back = LoadFindings(out);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->findings.size(), doc->findings.size());
  std::string csv = ReadFile(out + "/findings.csv").value();
  EXPECT_EQ(csv.rfind("\xEF\xBB\xBF" "rule,requirement,severity,account,", 0), 0u);
  // One row per finding plus the header.
  EXPECT_EQ(static_cast<size_t>(std::count(csv.begin(), csv.end(), '\n')), doc->findings.size() + 1);

  // No hash of the fixture anywhere in the output folder, in either case.
  std::string all = ReadFile(out + "/findings.json").value() + csv;
  // Nor an exact breach count: only bands leave the process.
  EXPECT_EQ(all.find("4711"), std::string::npos);
  EXPECT_NE(all.find("1 k–10 k"), std::string::npos);
  for (const char* pw : {"Summer2024!", "Password1", "shared-one", "x"}) {
    std::string h = Hex(pw);
    EXPECT_EQ(all.find(h), std::string::npos);
    for (char& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_EQ(all.find(h), std::string::npos);
  }
}

TEST_F(AuditJobTest, MissingStoreFailsClosedAsRuntimeError) {
  std::filesystem::remove_all(dir_ + "/store");
  Result<Config> cfg = WriteConfig();
  ASSERT_TRUE(cfg.ok());
  Result<FindingsDocument> doc = RunAuditJob(*cfg, dir_ + "/out");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(ExitCodeFor(doc.status()), kExitRuntime);
  EXPECT_THAT(doc.status().message(), HasSubstr("corpus store " + dir_ + "/store"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/out/findings.json"));
}

TEST_F(AuditJobTest, MalformedDumpIsARuntimeErrorNamingFileAndLine) {
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/ntds.pwdump",
                              "alice:1101:aad3b435b51404eeaad3b435b51404ee:" + Hex("a") +
                                  ":::\nbob:1102:nothex:zz:::\n")
                  .ok());
  Result<Config> cfg = WriteConfig();
  ASSERT_TRUE(cfg.ok());
  Result<FindingsDocument> doc = RunAuditJob(*cfg, dir_ + "/out");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(ExitCodeFor(doc.status()), kExitRuntime);
  EXPECT_THAT(doc.status().message(), HasSubstr("ntds.pwdump:2"));
}

TEST_F(AuditJobTest, AdWithoutHashFileIsAConfigError) {
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/credsweep.toml",
                              "[store]\npath = \"store\"\n[directory]\nurl = \"ldif:dir.ldif\"\n")
                  .ok());
  Result<Config> cfg = LoadConfig(dir_ + "/credsweep.toml");
  ASSERT_TRUE(cfg.ok());
  Result<FindingsDocument> doc = RunAuditJob(*cfg, dir_ + "/out");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(ExitCodeFor(doc.status()), kExitUsage);
  EXPECT_THAT(doc.status().message(), HasSubstr("[hashes] file is required"));
}

TEST_F(AuditJobTest, CoverageFigureIsRecordedAndCheckedAgainstMinCoverage) {
  Result<Config> cfg = WriteConfig();
  ASSERT_TRUE(cfg.ok());
  Result<FindingsDocument> doc = RunAuditJob(*cfg, dir_ + "/out");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  // alice, adm-carol, carol are enabled user accounts with a hash; bob is disabled.
  const HashMaterialInfo& h = doc->run.hash_material;
  EXPECT_EQ(h.source, "file");
  EXPECT_EQ(h.origin, dir_ + "/ntds.pwdump");
  EXPECT_EQ(h.accounts_expected, 3u);
  EXPECT_EQ(h.accounts_covered, 3u);
  EXPECT_DOUBLE_EQ(h.min_coverage, 0.95);
  Result<FindingsDocument> back = LoadFindings(dir_ + "/out");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->run.hash_material.accounts_covered, 3u);
  EXPECT_THAT(HashMaterialSentence(h), HasSubstr("hashes for 3 of 3 enabled user accounts"));
}

TEST_F(AuditJobTest, DumpOfAnotherDomainFailsClosedOnCoverage) {
  // Only alice of the three enabled users is in the dump; the others' names and RIDs are
  // another domain's.
  const std::string lm = "aad3b435b51404eeaad3b435b51404ee";
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/ntds.pwdump",
                              "alice:1101:" + lm + ":" + Hex("a") + ":::\n" +
                                  "zed:2201:" + lm + ":" + Hex("b") + ":::\n" +
                                  "yan:2202:" + lm + ":" + Hex("c") + ":::\n")
                  .ok());
  Result<Config> cfg = WriteConfig();
  ASSERT_TRUE(cfg.ok());
  Result<FindingsDocument> doc = RunAuditJob(*cfg, dir_ + "/out");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(ExitCodeFor(doc.status()), kExitRuntime);
  EXPECT_THAT(doc.status().message(),
              HasSubstr("hash material covers 1 of 3 enabled user accounts"));
  EXPECT_THAT(doc.status().message(), HasSubstr("is the dump from this domain"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/out/findings.json"));
  // A lower bar lets the same dump through (1/3 >= 0.3).
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/credsweep.toml",
                              "[store]\npath = \"store\"\n[directory]\nurl = \"ldif:dir.ldif\"\n"
                              "[hashes]\nfile = \"ntds.pwdump\"\nmin_coverage = 0.3\n")
                  .ok());
  Result<Config> cfg2 = LoadConfig(dir_ + "/credsweep.toml");
  ASSERT_TRUE(cfg2.ok()) << cfg2.status().ToString();
  Result<FindingsDocument> doc2 = RunAuditJob(*cfg2, dir_ + "/out");
  ASSERT_TRUE(doc2.ok()) << doc2.status().ToString();
  EXPECT_EQ(doc2->run.hash_material.accounts_covered, 1u);
}

TEST_F(AuditJobTest, EmptyDumpIsAlwaysAnError) {
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/ntds.pwdump", "# nothing here\n\n").ok());
  Result<Config> cfg = WriteConfig();
  ASSERT_TRUE(cfg.ok());
  // Even with no coverage demanded.
  cfg->hashes.min_coverage = 0;
  Result<FindingsDocument> doc = RunAuditJob(*cfg, dir_ + "/out");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(ExitCodeFor(doc.status()), kExitRuntime);
  EXPECT_THAT(doc.status().message(), HasSubstr("holds no hash records"));
}

TEST_F(AuditJobTest, DuplicateRecordsNameBothLines) {
  const std::string lm = "aad3b435b51404eeaad3b435b51404ee";
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/ntds.pwdump",
                              "alice:1101:" + lm + ":" + Hex("a") + ":::\n" +
                                  "carol:1104:" + lm + ":" + Hex("b") + ":::\n" +
                                  "ALICE:1105:" + lm + ":" + Hex("c") + ":::\n")
                  .ok());
  Result<Config> cfg = WriteConfig();
  ASSERT_TRUE(cfg.ok());
  Result<FindingsDocument> doc = RunAuditJob(*cfg, dir_ + "/out");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(ExitCodeFor(doc.status()), kExitRuntime);
  EXPECT_THAT(doc.status().message(), HasSubstr("ntds.pwdump:3: a second record for account 'ALICE'"));
  EXPECT_THAT(doc.status().message(), HasSubstr("the first is line 1"));
}

TEST_F(AuditJobTest, MinCoverageOutsideZeroToOneIsAConfigError) {
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/credsweep.toml",
                              "[directory]\nurl = \"ldif:dir.ldif\"\n[hashes]\nmin_coverage = 95\n")
                  .ok());
  Result<Config> cfg = LoadConfig(dir_ + "/credsweep.toml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_THAT(cfg.status().message(), HasSubstr("[hashes] min_coverage"));
}

TEST_F(AuditJobTest, DefaultOutDirIsTheMonthUnderTheStateDir) {
  Result<Config> cfg = WriteConfig();
  ASSERT_TRUE(cfg.ok());
  EXPECT_EQ(DefaultAuditOutDir(*cfg, 1795305600), dir_ + "/credsweep-state/reports/2026-11");
  Result<Config> with_out = WriteConfig("[run]\nout_dir = \"reports\"\n");
  ASSERT_TRUE(with_out.ok());
  EXPECT_EQ(DefaultAuditOutDir(*with_out, 1795305600), dir_ + "/reports");
}

}  // namespace
}  // namespace credsweep
