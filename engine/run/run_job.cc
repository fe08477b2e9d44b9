#include "engine/run/run_job.h"

#include <algorithm>
#include <unistd.h>

#include "engine/base/file_util.h"
#include "engine/base/time_util.h"
#include "engine/run/run_lock.h"
#include "engine/run/run_stages.h"

namespace credsweep {
namespace {

// An id for a run that never got one from the audit: "20261101T020000Z-1234".
std::string FallbackRunId(int64_t now) {
  std::string id;
  for (char c : FormatUtcIso(now)) {
    if (c != '-' && c != ':') id += c;
  }
  return id + "-" + std::to_string(getpid());
}

void Add(ActionCounts* a, const ActionCounts& b) {
  a->forced += b.forced;
  a->planned += b.planned;
  a->skipped += b.skipped;
  a->notified += b.notified;
  a->outbox += b.outbox;
  a->failed += b.failed;
}

}  // namespace

RunStages DefaultRunStages() {
  RunStages s;
  s.audit = AuditStage;
  s.enforce = EnforceStage;
  s.notify = NotifyStage;
  s.log_path = ActionLogPathStage;
  s.log_head = ActionLogHeadStage;
  return s;
}

Result<RunJobResult> RunMonthlyJob(const Config& cfg_in, const RunJobOptions& options) {
  Config cfg = cfg_in;
  if (cfg.run.state_dir.empty()) cfg.run.state_dir = "./credsweep-state";
  const RunStages stages = options.stages ? *options.stages : DefaultRunStages();
  const auto now = options.now ? options.now : NowUnix;
  const bool apply = options.apply.value_or(cfg.run.apply);

  CS_ASSIGN_OR_RETURN(RunLock lock, RunLock::Acquire(cfg.run.state_dir));
  RunJobResult result;
  result.stale_lock_pid = lock.stale_pid();
  const int64_t started = now();
  result.out_dir = AuditOutDir(cfg, started, options.changed_only);
  RunRecord& rec = result.record;
  rec.apply = apply;
  rec.report_dir = result.out_dir;
  if (lock.stale_pid()) {
    rec.stages.push_back({"lock", "ok",
                          "took over the lock of an earlier run (PID " +
                              std::to_string(*lock.stale_pid()) + ") that ended without releasing it"});
  }

  // 1. Audit. Without findings there is nothing to enforce or report; the history still
  // records the attempt so a missed month is visible.
  Result<FindingsDocument> audited = stages.audit(cfg, result.out_dir, options.changed_only);
  if (!audited.ok()) {
    rec.id = FallbackRunId(started);
    rec.hash_material.changed_only = options.changed_only;  // a failed delta is still a delta
    rec.started_at = FormatUtcIso(started);
    rec.finished_at = FormatUtcIso(now());
    rec.directory = cfg.directory.url;
    rec.store = cfg.store.path;
    rec.stages.push_back({"audit", "failed", audited.status().message()});
    rec.exit_code = ExitCodeFor(audited.status());
    Status saved = SaveRunRecord(cfg.run.state_dir, rec);
    (void)saved;  // the audit error is the one to report
    return audited.status().WithContext("audit");
  }
  const FindingsDocument& doc = *audited;
  FillFromFindings(doc, &rec);
  if (rec.id.empty()) rec.id = FallbackRunId(started);
  if (rec.started_at.empty()) rec.started_at = FormatUtcIso(started);
  rec.stages.push_back({"audit", "ok",
                        std::string(doc.run.hash_material.changed_only
                                        ? "delta: only accounts whose password changed since "
                                          "the last full run; "
                                        : "") +
                            std::to_string(doc.run.accounts_checked) + " accounts checked, " +
                            std::to_string(rec.findings) + " open findings, " +
                            std::to_string(rec.waived) + " waived"});

  // 2-3. Enforce and notify. A failed stage is reported, and the run goes on to the report.
  std::vector<ActionRow> rows;
  bool failed = false;
  for (int step = 0; step < 2; ++step) {
    StageResult sr = step == 0 ? stages.enforce(cfg, doc, apply, options.allow_mass_change)
                               : stages.notify(cfg, doc, result.out_dir, apply);
    rec.stages.push_back({step == 0 ? "enforce" : "notify", sr.state, sr.message});
    Add(&rec.actions, sr.counts);
    rows.insert(rows.end(), sr.rows.begin(), sr.rows.end());
    failed = failed || sr.state == "failed" || sr.counts.failed > 0;
  }

  // 4. The action log's head after this run's entries: the anchor `log verify --expect-head`
  // checks against, so deleting entries from the end of the log shows.
  const std::string log_path = stages.log_path(cfg);
  Result<LogHead> head = stages.log_head(log_path);
  if (head.ok()) {
    rec.log_head_hash = head->hash;
    rec.log_entries = head->entries;
  } else {
    rec.stages.push_back({"log", "failed", head.status().message()});
    failed = true;
  }

  // 5. History (read), report, history (write). The report's trend includes this run.
  Result<RunHistory> history = LoadRunHistory(cfg.run.state_dir);
  ReportInput in;
  if (history.ok()) {
    result.history_warnings = history->unreadable;
    in.history = std::move(history->runs);  // earlier runs: this one is not saved yet
    // Two runs started in the same second get the same audit id; keep history ids unique so
    // the trend and the files tell them apart ("<id>-2" sorts after "<id>").
    const std::string base_id = rec.id;
    for (int n = 2; std::any_of(in.history.begin(), in.history.end(),
                                [&](const RunRecord& r) { return r.id == rec.id; });
         ++n) {
      rec.id = base_id + "-" + std::to_string(n);
    }
  } else {
    result.history_warnings.push_back(history.status().message());
  }
  rec.finished_at = FormatUtcIso(now());
  rec.exit_code = failed ? kExitFound : kExitOk;
  result.report_path = result.out_dir + "/report.html";
  rec.stages.push_back({"report", "ok", result.report_path});
  in.findings = doc;
  in.run = rec;
  in.history.push_back(rec);
  in.actions = std::move(rows);
  in.log_path = log_path;
  if (!cfg.log.signing_key.empty()) in.log_pubkey_path = cfg.log.signing_key + ".pub";
  in.config_path = options.config_path;
  in.generated_at = rec.finished_at;
  Status written = WriteReport(in, result.out_dir);
  if (!written.ok()) {
    rec.stages.back() = {"report", "failed", written.message()};
    rec.exit_code = ExitCodeFor(written);
    Status saved = SaveRunRecord(cfg.run.state_dir, rec);
    (void)saved;  // the report error is the one to report
    return written.WithContext("writing the report");
  }
  CS_RETURN_IF_ERROR(SaveRunRecord(cfg.run.state_dir, rec).WithContext("saving the run history"));
  result.exit_code = rec.exit_code;
  return result;
}

std::string OneLineSummary(const RunJobResult& r) {
  const RunRecord& rec = r.record;
  uint64_t crit = 0, high = 0;
  for (const auto& [sev, n] : rec.severity) {
    if (sev == "critical") crit = n;
    if (sev == "high") high = n;
  }
  const ActionCounts& a = rec.actions;
  std::string s = "credsweep run " + rec.id + ": " +
                  (rec.hash_material.changed_only
                       ? "DELTA (only accounts whose password changed since the last full run), "
                       : "") +
                  (rec.apply ? "applied" : "dry run") + ", " +
                  std::to_string(rec.accounts_checked) + " accounts, " +
                  std::to_string(rec.findings) + " open findings (" + std::to_string(crit) +
                  " critical, " + std::to_string(high) + " high), " +
                  std::to_string(rec.CountFor("leaked-password")) + " leaked; ";
  if (rec.apply) {
    s += std::to_string(a.forced) + " forced to change, " + std::to_string(a.notified) +
         " owners notified, ";
  } else {
    s += std::to_string(a.planned) + " changes planned, " + std::to_string(a.outbox) +
         " messages in outbox, ";
  }
  s += std::to_string(a.failed) + " failed";
  for (const StageOutcome& st : rec.stages) {
    if (st.state == "failed") s += "; " + st.name + " FAILED";
  }
  s += "; report " + r.report_path;
  return s;
}

}  // namespace credsweep
