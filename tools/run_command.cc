// `credsweep run --config FILE [--apply | --dry-run] [--allow-mass-change] [--changed]`: the
// monthly job (engine/run/run_job.h) as one scheduled command.
//
// `--changed` ([hashes] source = "replication"): a daily delta through the whole run — audit,
// enforce, notify and report over only the accounts whose password changed since the last full
// run, in STATE/reports/<YYYY-MM>/changed-<date>/, marked "delta" in findings.json, the run
// history, the summary line and the report (run_job.h says why and what it leaves out). With
// no full replication run yet it fails (exit 3) asking for one; it never turns into a full run.
//
// Output: on a terminal, one line per stage and the report path; otherwise (cron, systemd,
// Task Scheduler) exactly one summary line on stdout, so the scheduler's log holds one line per
// month. Errors always go to stderr.
#include <iostream>
#include <unistd.h>

#include "engine/config/config.h"
#include "engine/run/run_job.h"
#include "tools/command.h"

namespace credsweep {
namespace {

struct RunOptions {
  std::string config;
  bool apply = false;
  bool dry_run = false;
  bool allow_mass_change = false;
  bool changed = false;
};

int RunRun(const RunOptions& opt) {
  Result<Config> cfg = LoadCommandConfig(opt.config);
  if (!cfg.ok()) return ReportError(cfg.status());
  RunJobOptions job;
  if (opt.apply) job.apply = true;
  if (opt.dry_run) job.apply = false;
  job.allow_mass_change = opt.allow_mass_change;
  job.changed_only = opt.changed;
  job.config_path = opt.config;
  Result<RunJobResult> r = RunMonthlyJob(*cfg, job);
  if (!r.ok()) return ReportError(r.status());
  const bool tty = isatty(STDOUT_FILENO) == 1;
  if (r->stale_lock_pid) {
    std::cerr << "credsweep: note: the previous run (PID " << *r->stale_lock_pid
              << ") ended without releasing its lock; lock taken over\n";
  }
  for (const std::string& w : r->history_warnings) {
    std::cerr << "credsweep: warning: run history file skipped: " << w << "\n";
  }
  if (tty) {
    const RunRecord& rec = r->record;
    std::cout << "credsweep run " << rec.id << " ("
              << (rec.hash_material.changed_only ? "DELTA: only accounts whose password changed "
                                                   "since the last full run, "
                                                 : "")
              << (rec.apply ? "applied" : "dry run") << ", started " << rec.started_at
              << " UTC)\n";
    for (const StageOutcome& s : rec.stages) {
      std::cout << "  " << s.name << ": " << s.state << (s.message.empty() ? "" : " — ")
                << s.message << "\n";
    }
    if (!rec.apply) {
      std::cout << "  nothing was changed or sent; re-run with --apply (or [run] apply = true)\n";
    }
    std::cout << "report: " << r->report_path << "\n";
  } else {
    std::cout << OneLineSummary(*r) << "\n";
  }
  return r->exit_code;
}

}  // namespace

void SetupRunCommand(CLI::App& app, CommandContext& ctx) {
  auto opt = std::make_shared<RunOptions>();
  CLI::App* sub = app.add_subcommand(
      "run",
      "The monthly job: audit -> enforce -> notify -> report, with run history.\n"
      "Dry run unless [run] apply = true or --apply. Writes STATE/reports/<YYYY-MM>/report.html\n"
      "and STATE/history/<run-id>.json. One summary line on stdout when not on a terminal.\n"
      "Exit codes: 0 completed (findings or not), 1 completed but an action or the enforce/\n"
      "notify stage failed, 2 usage or configuration error, 3 runtime error (another run holds\n"
      "the lock, store or directory unavailable).");
  sub->add_option("--config", opt->config, "Configuration file (TOML)")->required();
  auto* apply = sub->add_flag("--apply", opt->apply,
                              "Apply: force changes and send mail (overrides [run] apply)");
  auto* dry = sub->add_flag("--dry-run", opt->dry_run,
                            "Dry run even if [run] apply = true");
  apply->excludes(dry);
  sub->add_flag("--allow-mass-change", opt->allow_mass_change,
                "Allow more forced changes than [remediation] max_forced_changes");
  sub->add_flag("--changed", opt->changed,
                "Daily delta (with [hashes] source = \"replication\"): check, enforce, notify "
                "and report only the accounts whose password changed since the last full run; "
                "writes STATE/reports/<YYYY-MM>/changed-<date>/ and is marked as a delta, never "
                "as the monthly check. Needs a full run first");
  sub->callback([opt, &ctx] { ctx.exit_code = RunRun(*opt); });
}

}  // namespace credsweep
