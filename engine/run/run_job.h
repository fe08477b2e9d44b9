// The monthly job behind `credsweep run --config FILE`: audit -> enforce -> notify -> report,
// under a lock, leaving a run record behind as evidence.
//
//   CS_ASSIGN_OR_RETURN(Config cfg, LoadConfig("credsweep.toml"));
//   CS_ASSIGN_OR_RETURN(RunJobResult r, RunMonthlyJob(cfg, RunJobOptions{}));
//   // r.report_path is OUT/report.html; r.exit_code is 0 or 1.
//
// Order and what each stage gets:
//   0. RunLock on [run] state_dir (run_lock.h): a second concurrent run is refused.
//   1. audit   -> OUT/findings.json + findings.csv, OUT = [run] out_dir or
//                 STATE/reports/<YYYY-MM> (DefaultAuditOutDir). Exceptions are applied by the
//                 audit ([[exceptions]]), so waived findings arrive marked.
//   2. enforce -> forced change at next logon: planned only unless apply.
//   3. notify  -> owner digests: .eml files in OUT/outbox unless apply, then sent over SMTP.
//   4. report  -> OUT/report.html + OUT/report.json (html_report.h), with the trend drawn from
//                 every run record including this one.
//   5. history -> STATE/history/<run-id>.json (run_history.h): corpus versions, accounts
//                 checked, counts per rule, actions, the action log's head hash and entry
//                 count (the anchor `log verify --config` checks), stage states.
// apply: [run] apply, overridden by RunJobOptions::apply (--apply / --dry-run). A dry run writes
// nothing to the directory, sends no mail and appends nothing to the action log.
//
// Failure policy: a failed lock or audit is an error Status (nothing was checked, so there is
// no report; a run record with the failed audit stage is still written so the gap shows in the
// history). A failed enforce or notify stage (directory unreachable, safety cap, no SMTP) does
// not stop the run: the report and history say which stage failed and why, and exit_code is 1
// (kExitFound: "a failed action"), as it is when any single action failed.
//
// A delta run (`run --changed`, RunJobOptions::changed_only; [hashes] source = "replication"):
// the same stages over the accounts whose password the DC replicated since the last full run
// (audit_job.h AuditScope::kDelta), so a password changed to a leaked one is forced/notified
// the next day instead of the next month. What it is, and what it is not:
//   - findings.json `run.scope` and the run record's `scope` say "delta", accounts_checked is
//     the number of changed accounts actually checked, and the report says "delta" in its
//     header, summary line and evidence block, naming the last full run it builds on;
//   - it is not the monthly S12 evidence: the report's trend and "longest gap between runs"
//     count full runs only, and a delta never replaces the replication state (the next delta
//     is again measured from the last full run);
//   - OUT is DefaultAuditOutDir's STATE/reports/<YYYY-MM>/changed-<YYYY-MM-DD>, so the
//     month's full report is never overwritten;
//   - with no stored replication state (no full replication run yet) it is an error, exit 3,
//     "run a full `credsweep run` first" — never a silent full run: a scheduler that
//     meant a daily delta must not produce an unannounced full enforce/notify pass. The
//     failed attempt is recorded in the history as a failed delta.
//
// The stages are injected (RunStages) so the orchestration is tested on plain data; the
// defaults call engine/audit and engine/remediate.
// Thread-safety: one job per state directory at a time (that is what the lock is for).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "engine/base/status.h"
#include "engine/config/config.h"
#include "engine/model/finding.h"
#include "engine/remediate/action_log.h"
#include "engine/report/html_report.h"
#include "engine/report/run_history.h"

namespace credsweep {

// What a remediation stage did, in report terms.
struct StageResult {
  std::string state = "ok";  // "ok" | "failed" | "skipped"
  std::string message;       // one line, no secrets
  ActionCounts counts;
  std::vector<ActionRow> rows;
};

struct RunStages {
  std::function<Result<FindingsDocument>(const Config&, const std::string& out_dir,
                                         bool changed_only)>
      audit;
  std::function<StageResult(const Config&, const FindingsDocument&, bool apply,
                            bool allow_mass_change)>
      enforce;
  std::function<StageResult(const Config&, const FindingsDocument&, const std::string& out_dir,
                            bool apply)>
      notify;
  // The action log's path as configured, and its head (hash and entry count; {"", 0} when the
  // log is absent or empty).
  std::function<std::string(const Config&)> log_path;
  std::function<Result<LogHead>(const std::string& log_path)> log_head;
};

// The real stages: RunAuditJob, RunEnforce, RunNotify, ReadLogHead.
RunStages DefaultRunStages();

struct RunJobOptions {
  std::optional<bool> apply;       // overrides [run] apply when set
  bool allow_mass_change = false;  // passed to enforce (safety cap)
  bool changed_only = false;       // `--changed`: a delta run (see above)
  std::function<int64_t()> now;    // default NowUnix
  std::optional<RunStages> stages; // default DefaultRunStages()
  std::string config_path;          // named in the report's `log verify --config` command
};

struct RunJobResult {
  RunRecord record;
  std::string out_dir;
  std::string report_path;                 // OUT/report.html
  std::optional<pid_t> stale_lock_pid;     // a previous run died holding the lock
  std::vector<std::string> history_warnings;  // unreadable history files
  int exit_code = kExitOk;                 // 0, or 1 when an action or stage failed
};

[[nodiscard]] Result<RunJobResult> RunMonthlyJob(const Config& cfg, const RunJobOptions& options);

// The one-line summary a scheduler logs:
// "credsweep run <id>: dry run, 62 accounts, 45 open findings (12 critical, 9 high),
//  7 leaked; 6 changes planned, 3 messages in outbox, 0 failed; report <path>"
// A delta says so first: "credsweep run <id>: DELTA (only accounts whose password changed since
// the last full run), dry run, 1 accounts, ..."
std::string OneLineSummary(const RunJobResult& r);

}  // namespace credsweep
