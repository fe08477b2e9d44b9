// `credsweep enforce --config FILE --findings DIR [--apply] [--allow-mass-change]` — force a
// password change at next logon for the accounts the findings name (engine/remediate/enforce.h).
//
// Without --apply: prints the plan (FORCE and SKIP lines: account, DN, rule(s), action or
// reason) and writes nothing, neither to the directory nor to the action log.
// With --apply: connects once, re-reads, writes, and logs every change and skip to the signed
// action log ([log] signing_key is required). Prints one line per account and a summary.
// Exit: 0 done (or dry run), 1 at least one change failed, 2 usage/config error, 3 runtime
// error — including the safety cap refusing a mass change (nothing written).
#include <iomanip>
#include <iostream>
#include <memory>
#include <string>

#include "engine/config/config.h"
#include "engine/model/finding.h"
#include "engine/remediate/enforce.h"
#include "tools/command.h"

namespace credsweep {
namespace {

struct EnforceArgs {
  std::string config;
  std::string findings;
  bool apply = false;
  bool allow_mass_change = false;
};

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

int RunEnforceCommand(const EnforceArgs& args) {
  Result<Config> cfg = LoadCommandConfig(args.config);
  if (!cfg.ok()) return ReportError(cfg.status());
  Result<FindingsDocument> doc = LoadFindings(args.findings);
  if (!doc.ok()) return ReportError(doc.status());
  EnforceOptions options;
  options.apply = args.apply;
  options.allow_mass_change = args.allow_mass_change;
  Result<EnforceReport> rep = RunEnforce(*cfg, *doc, options);
  if (!rep.ok()) return ReportError(rep.status().WithContext("enforce"));

  const EnforcePlan& plan = rep->plan;
  std::cout << "credsweep enforce: run " << plan.run_id << ", "
            << (args.apply ? "applying" : "dry run, nothing is written") << "\n";
  for (const auto& s : plan.skips) {
    std::cout << "  " << std::left << std::setw(10) << "SKIP" << s.account << "  " << s.dn << "  " << Join(s.rules) << "  "
              << s.reason << "\n";
  }
  for (const auto& r : rep->results) {
    const char* tag = "FORCE";
    switch (r.outcome) {
      case ChangeOutcome::kPlanned: tag = "FORCE"; break;
      case ChangeOutcome::kApplied: tag = "FORCED"; break;
      case ChangeOutcome::kAlreadyPending: tag = "PENDING"; break;
      case ChangeOutcome::kSkipped: tag = "SKIP"; break;
      case ChangeOutcome::kFailed: tag = "FAILED"; break;
      case ChangeOutcome::kNotAttempted: tag = "NOT-TRIED"; break;
    }
    std::cout << "  " << std::left << std::setw(10) << tag << r.change.account << "  " << r.change.dn << "  "
              << Join(r.change.rules) << "  "
              << (r.message.empty() ? r.change.action : r.message) << "\n";
  }
  if (!args.apply) {
    std::cout << "planned: " << plan.changes.size() << " forced change(s), " << plan.skips.size()
              << " skipped (safety cap " << plan.cap << ")\n";
    if (plan.cap_exceeded) {
      std::cout << "warning: the plan exceeds the safety cap of " << plan.cap
                << "; --apply will refuse unless --allow-mass-change is given\n";
    }
    std::cout << "re-run with --apply to make these changes\n";
    return kExitOk;
  }
  std::cout << "applied: " << rep->applied_count << ", already pending: " << rep->already_pending
            << ", skipped: " << plan.skips.size() + rep->skipped_at_apply
            << ", failed: " << rep->failed << "\n";
  if (!rep->log_head.empty()) std::cout << "action log head: " << rep->log_head << "\n";
  if (!rep->stopped_reason.empty()) std::cerr << "credsweep: error: " << rep->stopped_reason << "\n";
  return rep->any_failed() ? kExitFound : kExitOk;
}

}  // namespace

void SetupEnforceCommand(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<EnforceArgs>();
  CLI::App* cmd = app.add_subcommand(
      "enforce",
      "Force a password change at next logon for accounts with leaked or empty passwords "
      "(dry run unless --apply)");
  cmd->add_option("--config", args->config, "credsweep TOML config file")->required();
  cmd->add_option("--findings", args->findings, "folder holding findings.json from `audit`")
      ->required();
  cmd->add_flag("--apply", args->apply, "write to the directory (default: print the plan only)");
  cmd->add_flag("--allow-mass-change", args->allow_mass_change,
                "allow more changes than [remediation] max_forced_changes");
  cmd->callback([args, &ctx] { ctx.exit_code = RunEnforceCommand(*args); });
}

}  // namespace credsweep
