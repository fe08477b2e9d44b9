// The streamed outputs against the straightforward path (issue 11): `credsweep audit` streams
// the LDIF into the snapshot and findings.json / findings.csv into their files; the reference
// parses the whole LDIF first (ParseLdif + BuildSnapshot), audits, and writes findings.json as
// an nlohmann DOM (engine/model/testing/findings_json_reference.h) and the CSV cell by cell.
// Both must give the same bytes, and so parse to the same findings — on the demo municipality
// and on a generated 10 000-account directory (bench/gen_directory.py).
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "connectors/directory/directory_reader.h"
#include "connectors/directory/ldif_reader.h"
#include "connectors/hashdump/hash_dump.h"
#include "engine/audit/audit_job.h"
#include "engine/audit/findings_csv.h"
#include "engine/base/file_util.h"
#include "engine/base/test_temp_dir.h"
#include "engine/base/time_util.h"
#include "engine/config/config.h"
#include "engine/model/testing/findings_json_reference.h"
#include "engine/store/corpus_import.h"

namespace credsweep {
namespace {

const std::string kSource = CREDSWEEP_SOURCE_DIR;

// findings.csv written the plain way: every row as a vector of strings, every cell quoted on
// its own (what findings_csv.cc did before it streamed).
std::string FindingsCsvReference(const FindingsDocument& doc) {
  std::string out = "\xEF\xBB\xBF";
  auto row = [&out](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i) out += ',';
      std::string v = cells[i];
      if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' ||
                         v[0] == '\t' || v[0] == '\r')) {
        v.insert(v.begin(), '\'');
      }
      if (v.find_first_of(",\"\r\n") == std::string::npos) {
        out += v;
        continue;
      }
      out += '"';
      for (char c : v) {
        if (c == '"') out += '"';
        out += c;
      }
      out += '"';
    }
    out += "\r\n";
  };
  row({"rule", "requirement", "severity", "account", "dn", "display_name", "mail", "enabled",
       "class", "detail", "prevalence", "group", "history", "waived", "waiver_reason",
       "waiver_approved_by", "waiver_expires", "explanation"});
  for (const Finding& f : doc.findings) {
    row({f.rule, f.requirement, f.severity, f.account, f.dn, f.display_name, f.mail,
         f.enabled ? "true" : "false", AccountClassName(f.account_class), f.detail,
         f.prevalence ? PrevalenceBandLabel(*f.prevalence) : "", f.group.value_or(""),
         f.history ? "true" : "false", f.waived ? "true" : "false", f.waiver_reason,
         f.waiver_approved_by, f.waiver_expires, f.explanation});
  }
  return out;
}

class FindingsStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTestTempDir("cs_findings_stream");
    ASSERT_FALSE(dir_.empty());
    // A small corpus: the demo's common passwords (which both directories use on purpose).
    store::ImportOptions opt;
    opt.store = dir_ + "/store";
    opt.paths = {kSource + "/tools/demo/common_passwords.txt"};
    opt.format = corpus::CorpusFormat::kPlaintext;
    opt.source = "common";
    opt.version = "v1";
    Result<store::ImportReport> rep = store::ImportCorpus(opt);
    ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  }

  void Run(const std::string& command) {
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }

  // The job (streamed), then the reference path over the same inputs; compares the outputs.
  void ExpectSameOutputs(const std::string& config_path, size_t min_accounts) {
    Result<Config> cfg = LoadConfig(config_path);
    ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
    cfg->store.path = dir_ + "/store";
    const std::string out = dir_ + "/out";
    Result<FindingsDocument> streamed = RunAuditJob(*cfg, out);
    ASSERT_TRUE(streamed.ok()) << streamed.status().ToString();
    ASSERT_GE(streamed->accounts.size(), min_accounts);

    // Reference: whole LDIF parsed, then the snapshot, the audit at the job's own "now".
    Result<std::string> ldif = ReadFile(cfg->directory.url.substr(5));
    ASSERT_TRUE(ldif.ok());
    LdifParseResult parsed = ParseLdif(*ldif, cfg->directory.url.substr(5));
    std::vector<std::string> keep;
    for (const auto& [k, v] : cfg->classify.external_attribute) keep.push_back(k);
    DirectorySnapshot snap =
        BuildSnapshot(parsed.entries, DirectoryFlavor::kActiveDirectory, cfg->directory.url,
                      nullptr, keep);
    snap.skipped.insert(snap.skipped.begin(), parsed.skipped.begin(), parsed.skipped.end());
    Result<HashDump> hashes = HashDump::Load(cfg->hashes.file, cfg->hashes.format);
    ASSERT_TRUE(hashes.ok()) << hashes.status().ToString();
    Result<std::unique_ptr<CorpusStore>> store = CorpusStore::Open(cfg->store.path);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    Result<int64_t> started = ParseUtcIso(streamed->run.started_at);
    ASSERT_TRUE(started.ok());
    Result<FindingsDocument> reference = RunAudit(*cfg, snap, *hashes, store->get(), *started);
    ASSERT_TRUE(reference.ok()) << reference.status().ToString();
    reference->run.finished_at = streamed->run.finished_at;
    reference->run.hash_material = streamed->run.hash_material;  // the job's own additions

    Result<std::string> json = ReadFile(out + "/findings.json");
    ASSERT_TRUE(json.ok());
    const std::string reference_json = testing::FindingsToJsonReference(*reference);
    EXPECT_EQ(*json, reference_json) << "findings.json differs from the DOM reference";
    Result<std::string> csv = ReadFile(out + "/findings.csv");
    ASSERT_TRUE(csv.ok());
    EXPECT_EQ(*csv, FindingsCsvReference(*reference)) << "findings.csv differs from the reference";

    // And both read back to the same findings (what enforce and notify see).
    Result<FindingsDocument> a = FindingsFromJson(*json, "streamed");
    Result<FindingsDocument> b = FindingsFromJson(reference_json, "reference");
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    ASSERT_EQ(a->findings.size(), b->findings.size());
    ASSERT_GT(a->findings.size(), 0u);
    for (size_t i = 0; i < a->findings.size(); ++i) {
      EXPECT_EQ(a->findings[i].rule, b->findings[i].rule) << i;
      EXPECT_EQ(a->findings[i].account, b->findings[i].account) << i;
      EXPECT_EQ(a->findings[i].detail, b->findings[i].detail) << i;
      EXPECT_EQ(a->findings[i].prevalence, b->findings[i].prevalence) << i;
    }
    EXPECT_EQ(a->accounts.size(), b->accounts.size());
    EXPECT_EQ(a->run.counts, b->run.counts);
  }

  std::string dir_;
};

TEST_F(FindingsStreamTest, DemoMunicipalityStreamsWhatTheReferenceWrites) {
  Run("python3 " + kSource + "/tools/demo/render_demo.py " + dir_ + " >/dev/null");
  ExpectSameOutputs(dir_ + "/credsweep.toml", 50);
}

TEST_F(FindingsStreamTest, GeneratedTenThousandAccountsStreamWhatTheReferenceWrites) {
  const std::string gen = dir_ + "/gen";
  Run("python3 " + kSource + "/bench/gen_directory.py 10000 " + gen + " " + dir_ +
      "/store --seed 7 >/dev/null");
  ExpectSameOutputs(gen + "/credsweep.toml", 10000);
}

}  // namespace
}  // namespace credsweep
