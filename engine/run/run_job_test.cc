#include "engine/run/run_job.h"

#include <filesystem>
#include <gtest/gtest.h>
#include <string>
#include <sys/stat.h>
#include <vector>

#include "engine/base/file_util.h"
#include "engine/base/test_temp_dir.h"
#include "engine/base/time_util.h"
#include "engine/run/run_lock.h"

namespace credsweep {
namespace {

std::string TempDir() { return MakeTestTempDir("cs_run_job"); }

// Plain-data stages: the orchestration is what is under test here; the real stages are proven
// by their own modules' tests and by tests/integration/test_run_demo.py.
struct Fake {
  std::vector<std::string> calls;
  std::vector<bool> apply_seen;
  int leaked = 3;
  bool audit_fails = false;
  bool enforce_fails = false;
  bool has_baseline = true;  // a full replication run stored its state
  int64_t clock = 1793498400;  // 2026-11-01T02:00:00Z

  RunStages Stages() {
    RunStages s;
    s.audit = [this](const Config&, const std::string& out,
                     bool changed_only) -> Result<FindingsDocument> {
      calls.push_back("audit:" + out);
      if (audit_fails) return Status::Unavailable("ldaps://dc1: cannot connect");
      if (changed_only && !has_baseline) {
        return Status::FailedPrecondition("no replication state: run a full run first");
      }
      FindingsDocument doc;
      doc.run.id = "run-" + std::to_string(clock);
      doc.run.started_at = FormatUtcIso(clock);
      doc.run.directory = "ldif:demo";
      doc.run.accounts_checked = changed_only ? leaked : 50;
      doc.run.hash_material.source = "replication";
      doc.run.hash_material.changed_only = changed_only;
      doc.run.corpus_sources.resize(1);
      doc.run.corpus_sources[0].name = "demo";
      doc.run.corpus_sources[0].version = "2026-11";
      doc.run.corpus_sources[0].lines = 1000;
      doc.run.corpus_sources[0].imported_at = "2026-11-01T00:00:00Z";
      doc.run.counts = {{"leaked-password", static_cast<uint64_t>(leaked)}};
      for (int i = 0; i < leaked; ++i) {
        Finding f;
        f.rule = "leaked-password";
        f.requirement = "S12";
        f.severity = "high";
        f.account = "user" + std::to_string(i);
        f.prevalence = PrevalenceBandOf(100);
        doc.findings.push_back(f);
      }
      return doc;
    };
    s.enforce = [this](const Config&, const FindingsDocument& doc, bool apply, bool) {
      calls.push_back("enforce");
      apply_seen.push_back(apply);
      StageResult r;
      if (enforce_fails) {
        r.state = "failed";
        r.message = "safety cap exceeded";
        return r;
      }
      for (const Finding& f : doc.findings) {
        (apply ? r.counts.forced : r.counts.planned)++;
        r.rows.push_back({f.account, "", f.rule, "force change", "", apply ? "done" : "planned"});
      }
      return r;
    };
    s.notify = [this](const Config&, const FindingsDocument&, const std::string&, bool) {
      calls.push_back("notify");
      StageResult r;
      r.counts.outbox = 1;
      return r;
    };
    s.log_path = [](const Config&) { return std::string("/state/actions.log"); };
    s.log_head = [](const std::string&) -> Result<LogHead> { return LogHead{"cafe01", 7}; };
    return s;
  }
};

Config MakeConfig(const std::string& dir) {
  Config cfg;
  cfg.run.state_dir = dir + "/state";
  return cfg;
}

TEST(RunJobTest, RunsStagesInOrderAndWritesReportAndHistory) {
  const std::string dir = TempDir();
  Fake fake;
  RunJobOptions opt;
  opt.stages = fake.Stages();
  opt.now = [&] { return fake.clock; };
  Result<RunJobResult> r = RunMonthlyJob(MakeConfig(dir), opt);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(fake.calls.size(), 3u);
  EXPECT_EQ(fake.calls[0], "audit:" + dir + "/state/reports/2026-11");
  EXPECT_EQ(fake.calls[1], "enforce");
  EXPECT_EQ(fake.calls[2], "notify");
  EXPECT_EQ(fake.apply_seen, std::vector<bool>{false});  // [run] apply defaults to a dry run
  EXPECT_EQ(r->exit_code, kExitOk);
  EXPECT_EQ(r->report_path, dir + "/state/reports/2026-11/report.html");
  struct stat st {};
  ASSERT_EQ(stat(r->report_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  Result<RunHistory> h = LoadRunHistory(dir + "/state");
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->runs.size(), 1u);
  EXPECT_EQ(h->runs[0].CountFor("leaked-password"), 3u);
  EXPECT_EQ(h->runs[0].actions.planned, 3u);
  EXPECT_EQ(h->runs[0].log_head_hash, "cafe01");
  EXPECT_NE(OneLineSummary(*r).find("3 changes planned"), std::string::npos);
  EXPECT_EQ(OneLineSummary(*r).find('\n'), std::string::npos);
}

TEST(RunJobTest, SecondMonthAddsAHistoryPointToTheTrend) {
  const std::string dir = TempDir();
  Fake fake;
  RunJobOptions opt;
  opt.stages = fake.Stages();
  opt.now = [&] { return fake.clock; };
  ASSERT_TRUE(RunMonthlyJob(MakeConfig(dir), opt).ok());
  fake.clock += 30 * 86400;
  fake.leaked = 1;
  Result<RunJobResult> r = RunMonthlyJob(MakeConfig(dir), opt);
  ASSERT_TRUE(r.ok());
  Result<RunHistory> h = LoadRunHistory(dir + "/state");
  ASSERT_EQ(h->runs.size(), 2u);
  EXPECT_EQ(h->runs[0].CountFor("leaked-password"), 3u);
  EXPECT_EQ(h->runs[1].CountFor("leaked-password"), 1u);
  Result<std::string> html = ReadFile(r->report_path);
  ASSERT_TRUE(html.ok());
  size_t points = 0;
  for (size_t p = html->find("<circle class=\"s-all\""); p != std::string::npos;
       p = html->find("<circle class=\"s-all\"", p + 1)) {
    ++points;
  }
  EXPECT_EQ(points, 2u);
  EXPECT_NE(html->find("longest gap between full runs: 30 days (checked at least monthly)"),
            std::string::npos);
}

TEST(RunJobTest, TwoRunsInTheSameSecondAreTwoHistoryPointsInOrder) {
  const std::string dir = TempDir();
  Fake fake;
  RunJobOptions opt;
  opt.stages = fake.Stages();
  opt.now = [&] { return fake.clock; };
  ASSERT_TRUE(RunMonthlyJob(MakeConfig(dir), opt).ok());
  fake.leaked = 1;
  Result<RunJobResult> second = RunMonthlyJob(MakeConfig(dir), opt);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->record.id, "run-" + std::to_string(fake.clock) + "-2");
  Result<RunHistory> h = LoadRunHistory(dir + "/state");
  ASSERT_EQ(h->runs.size(), 2u);
  EXPECT_EQ(h->runs[0].CountFor("leaked-password"), 3u);
  EXPECT_EQ(h->runs[1].CountFor("leaked-password"), 1u);
}

TEST(RunJobTest, ApplyOverrideReachesTheStages) {
  const std::string dir = TempDir();
  Fake fake;
  RunJobOptions opt;
  opt.stages = fake.Stages();
  opt.apply = true;
  Result<RunJobResult> r = RunMonthlyJob(MakeConfig(dir), opt);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(fake.apply_seen, std::vector<bool>{true});
  EXPECT_TRUE(r->record.apply);
  EXPECT_EQ(r->record.actions.forced, 3u);
}

TEST(RunJobTest, FailedEnforceStillReportsAndExitsOne) {
  const std::string dir = TempDir();
  Fake fake;
  fake.enforce_fails = true;
  RunJobOptions opt;
  opt.stages = fake.Stages();
  Result<RunJobResult> r = RunMonthlyJob(MakeConfig(dir), opt);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, kExitFound);
  EXPECT_EQ(fake.calls.back(), "notify");  // the run went on
  Result<std::string> html = ReadFile(r->report_path);
  ASSERT_TRUE(html.ok());
  EXPECT_NE(html->find("safety cap exceeded"), std::string::npos);
  EXPECT_NE(OneLineSummary(*r).find("enforce FAILED"), std::string::npos);
}

TEST(RunJobTest, FailedAuditIsAnErrorButLeavesAHistoryRecord) {
  const std::string dir = TempDir();
  Fake fake;
  fake.audit_fails = true;
  RunJobOptions opt;
  opt.stages = fake.Stages();
  Result<RunJobResult> r = RunMonthlyJob(MakeConfig(dir), opt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(fake.calls.size(), 1u);  // nothing enforced or sent without an audit
  Result<RunHistory> h = LoadRunHistory(dir + "/state");
  ASSERT_EQ(h->runs.size(), 1u);
  ASSERT_FALSE(h->runs[0].stages.empty());
  EXPECT_EQ(h->runs[0].stages.back().state, "failed");
  EXPECT_EQ(h->runs[0].exit_code, kExitRuntime);
}

// `run --changed`: the delta goes to its own folder, says "delta" in the history, the summary
// line and the report, and stays out of the monthly trend.
TEST(RunJobTest, DeltaRunIsMarkedAndKeptOutOfTheMonthlyEvidence) {
  const std::string dir = TempDir();
  Fake fake;
  RunJobOptions opt;
  opt.stages = fake.Stages();
  opt.now = [&] { return fake.clock; };
  ASSERT_TRUE(RunMonthlyJob(MakeConfig(dir), opt).ok());  // the monthly full run
  fake.clock += 86400;
  fake.leaked = 1;
  opt.changed_only = true;
  Result<RunJobResult> r = RunMonthlyJob(MakeConfig(dir), opt);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(fake.calls[3], "audit:" + dir + "/state/reports/2026-11/changed-2026-11-02");
  EXPECT_EQ(r->report_path, dir + "/state/reports/2026-11/changed-2026-11-02/report.html");
  EXPECT_EQ(OneLineSummary(*r).rfind("credsweep run run-1793584800: DELTA (only accounts whose "
                                     "password changed since the last full run), dry run, 1 "
                                     "accounts",
                                     0),
            0u)
      << OneLineSummary(*r);
  Result<RunHistory> h = LoadRunHistory(dir + "/state");
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->runs.size(), 2u);
  EXPECT_FALSE(h->runs[0].hash_material.changed_only);
  EXPECT_TRUE(h->runs[1].hash_material.changed_only);
  EXPECT_EQ(h->runs[1].accounts_checked, 1u);
  Result<std::string> saved = ReadFile(RunRecordPath(dir + "/state", h->runs[1].id));
  ASSERT_TRUE(saved.ok());
  EXPECT_NE(saved->find("\"scope\": \"delta\""), std::string::npos);
  // The month's full report is untouched; the delta's report names the full run it builds on
  // and counts only full runs in the trend.
  Result<std::string> html = ReadFile(r->report_path);
  ASSERT_TRUE(html.ok());
  EXPECT_NE(html->find("delta — changed accounts only"), std::string::npos);
  EXPECT_NE(html->find("This is not the monthly evidence; the last full run is <span "
                       "class=\"mono\">" + h->runs[0].id),
            std::string::npos);
  EXPECT_NE(html->find("1 delta runs"), std::string::npos);
  Result<std::string> monthly = ReadFile(dir + "/state/reports/2026-11/report.html");
  ASSERT_TRUE(monthly.ok());
  EXPECT_EQ(monthly->find("delta — changed accounts only"), std::string::npos);
  EXPECT_NE(monthly->find("full — every account of the directory"), std::string::npos);
}

// A delta without a stored replication state is an error that says what to do, and the
// history shows a failed delta (not a failed monthly run).
TEST(RunJobTest, DeltaWithoutBaselineFailsAndIsRecordedAsADelta) {
  const std::string dir = TempDir();
  Fake fake;
  fake.has_baseline = false;
  RunJobOptions opt;
  opt.stages = fake.Stages();
  opt.changed_only = true;
  Result<RunJobResult> r = RunMonthlyJob(MakeConfig(dir), opt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("run a full run first"), std::string::npos);
  EXPECT_EQ(fake.calls.size(), 1u);  // nothing enforced or sent
  Result<RunHistory> h = LoadRunHistory(dir + "/state");
  ASSERT_EQ(h->runs.size(), 1u);
  EXPECT_TRUE(h->runs[0].hash_material.changed_only);
  EXPECT_EQ(h->runs[0].stages.back().state, "failed");
}

TEST(RunJobTest, ConcurrentRunIsRefused) {
  const std::string dir = TempDir();
  Result<RunLock> held = RunLock::Acquire(dir + "/state");
  ASSERT_TRUE(held.ok());
  Fake fake;
  RunJobOptions opt;
  opt.stages = fake.Stages();
  Result<RunJobResult> r = RunMonthlyJob(MakeConfig(dir), opt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(fake.calls.empty());
}

}  // namespace
}  // namespace credsweep
