#include "engine/report/run_history.h"

#include <filesystem>
#include <gtest/gtest.h>
#include <string>
#include <vector>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/base/file_util.h"
#include "engine/base/test_temp_dir.h"

namespace credsweep {
namespace {

std::string TempDir() { return MakeTestTempDir("cs_history"); }

Finding MakeFinding(const std::string& rule, const std::string& severity, bool waived) {
  Finding f;
  f.rule = rule;
  f.requirement = "S12";
  f.severity = severity;
  f.account = "user";
  f.waived = waived;
  return f;
}

RunRecord MakeRecord(const std::string& id, const std::string& started, uint64_t leaked) {
  RunRecord r;
  r.id = id;
  r.started_at = started;
  r.finished_at = started;
  r.accounts_checked = 60;
  r.findings = leaked + 3;
  r.counts = {{"leaked-password", leaked}, {"stale-account", 3}};
  r.corpus_sources.resize(1);
  r.corpus_sources[0].name = "hibp";
  r.corpus_sources[0].version = "v9";
  r.corpus_sources[0].lines = 100;
  r.corpus_sources[0].imported_at = "2026-10-01T00:00:00Z";
  r.actions.forced = leaked;
  r.log_head_hash = "ab12";
  r.stages = {{"audit", "ok", ""}, {"notify", "skipped", "not configured"}};
  return r;
}

// A run record is evidence kept for years: its bytes are pinned, so a change is deliberate.
TEST(RunHistoryTest, GoldenRecordBytes) {
  RunRecord r = MakeRecord("audit-2026-11-01T02:30:00Z", "2026-11-01T02:30:00Z", 2);
  r.apply = true;
  r.directory = "ldaps://dc1.kommune.example:636";
  r.store = "/var/lib/credsweep/store";
  r.report_dir = "/var/lib/credsweep/reports/2026-11";
  r.severity = {{"critical", 2}, {"low", 3}};
  r.actions.skipped = 1;
  r.log_head_hash = std::string(64, 'a');
  r.log_entries = 5;
  r.exit_code = 0;
  const std::string kGolden = R"({
  "accounts_checked": 60,
  "actions": {
    "failed": 0,
    "forced": 2,
    "notified": 0,
    "outbox": 0,
    "planned": 0,
    "skipped": 1
  },
  "apply": true,
  "corpus_sources": [
    {
      "imported_at": "2026-10-01T00:00:00Z",
      "lines": 100,
      "name": "hibp",
      "version": "v9"
    }
  ],
  "counts": {
    "leaked-password": 2,
    "stale-account": 3
  },
  "directory": "ldaps://dc1.kommune.example:636",
  "exit_code": 0,
  "findings": 5,
  "finished_at": "2026-11-01T02:30:00Z",
  "format": "credsweep-run",
  "hash_material": {
    "accounts_covered": 0,
    "accounts_expected": 0,
    "min_coverage": 0.0,
    "origin": "",
    "source": ""
  },
  "id": "audit-2026-11-01T02:30:00Z",
  "log_entries": 5,
  "log_head_hash": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "report_dir": "/var/lib/credsweep/reports/2026-11",
  "scope": "full",
  "severity": {
    "critical": 2,
    "low": 3
  },
  "stages": [
    {
      "message": "",
      "name": "audit",
      "state": "ok"
    },
    {
      "message": "not configured",
      "name": "notify",
      "state": "skipped"
    }
  ],
  "started_at": "2026-11-01T02:30:00Z",
  "store": "/var/lib/credsweep/store",
  "version": 1,
  "waived": 0
}
)";
  EXPECT_EQ(RunRecordToJson(r), kGolden);
  auto back = RunRecordFromJson(kGolden, "golden");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(RunRecordToJson(*back), kGolden);
}

TEST(RunHistoryTest, FillFromFindingsCountsOnlyActiveFindings) {
  FindingsDocument doc;
  doc.run.id = "r1";
  doc.run.started_at = "2026-11-01T02:00:00Z";
  doc.run.accounts_checked = 42;
  doc.run.counts = {{"leaked-password", 3}, {"stale-account", 0}};
  doc.findings = {MakeFinding("leaked-password", "critical", false),
                  MakeFinding("leaked-password", "critical", false),
                  MakeFinding("leaked-password", "critical", true)};
  RunRecord r;
  FillFromFindings(doc, &r);
  EXPECT_EQ(r.accounts_checked, 42u);
  EXPECT_EQ(r.findings, 2u);
  EXPECT_EQ(r.waived, 1u);
  EXPECT_EQ(r.CountFor("leaked-password"), 2u);
  EXPECT_EQ(r.CountFor("stale-account"), 0u);
  ASSERT_EQ(r.severity.size(), 4u);
  EXPECT_EQ(r.severity[0], (std::pair<std::string, uint64_t>{"critical", 2}));
}

TEST(RunHistoryTest, SavedRecordsLoadBackOldestFirstWithEveryField) {
  const std::string state = TempDir();
  ASSERT_TRUE(SaveRunRecord(state, MakeRecord("2026-12", "2026-12-01T02:00:00Z", 2)).ok());
  ASSERT_TRUE(SaveRunRecord(state, MakeRecord("2026-11", "2026-11-01T02:00:00Z", 5)).ok());
  Result<RunHistory> h = LoadRunHistory(state);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  ASSERT_EQ(h->runs.size(), 2u);
  EXPECT_EQ(h->runs[0].id, "2026-11");
  EXPECT_EQ(h->runs[1].id, "2026-12");
  const RunRecord& r = h->runs[0];
  EXPECT_EQ(r.CountFor("leaked-password"), 5u);
  EXPECT_EQ(r.actions.forced, 5u);
  EXPECT_EQ(r.log_head_hash, "ab12");
  ASSERT_EQ(r.corpus_sources.size(), 1u);
  EXPECT_EQ(r.corpus_sources[0].version, "v9");
  ASSERT_EQ(r.stages.size(), 2u);
  EXPECT_EQ(r.stages[1].state, "skipped");
  // History names accounts indirectly (counts) but is still private to the operator.
  struct stat st {};
  ASSERT_EQ(stat(RunRecordPath(state, "2026-11").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(RunHistoryTest, ASecondRecordWithTheSameIdIsKeptBesideTheFirst) {
  const std::string state = TempDir();
  ASSERT_TRUE(SaveRunRecord(state, MakeRecord("same", "2026-11-01T02:00:00Z", 4)).ok());
  ASSERT_TRUE(SaveRunRecord(state, MakeRecord("same", "2026-11-01T02:00:00Z", 2)).ok());
  Result<RunHistory> h = LoadRunHistory(state);
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->runs.size(), 2u);
  EXPECT_EQ(h->runs[0].CountFor("leaked-password") + h->runs[1].CountFor("leaked-password"), 6u);
}

TEST(RunHistoryTest, DamagedFileIsNamedAndTheRestOfTheHistoryStillLoads) {
  const std::string state = TempDir();
  ASSERT_TRUE(SaveRunRecord(state, MakeRecord("good", "2026-11-01T02:00:00Z", 1)).ok());
  ASSERT_TRUE(WriteFileAtomic(state + "/history/broken.json", "{not json").ok());
  ASSERT_TRUE(WriteFileAtomic(state + "/history/other.json", "{\"format\":\"x\"}").ok());
  Result<RunHistory> h = LoadRunHistory(state);
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->runs.size(), 1u);
  ASSERT_EQ(h->unreadable.size(), 2u);
  EXPECT_NE(h->unreadable[0].find("broken.json"), std::string::npos);
}

TEST(RunHistoryTest, MissingHistoryIsEmptyAndIdsCannotEscapeTheDirectory) {
  const std::string state = TempDir();
  Result<RunHistory> h = LoadRunHistory(state + "/nothing");
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->runs.empty());
  EXPECT_EQ(RunRecordPath("/s", "../../etc/x"), "/s/history/run.._.._etc_x.json");
}

}  // namespace
}  // namespace credsweep
