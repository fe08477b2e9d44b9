// Enforce: turn findings into forced password changes at next logon (requirement S12 point 2).
//
//   Result<EnforceReport> r = RunEnforce(config, findings, EnforceOptions{.apply = true});
//
// Planning (PlanEnforcement, pure): every account with a non-waived, current-password (not
// password-history) finding whose rule is in
// [remediation] force_rules (default leaked-password, empty-password) is either
//   - FORCED: enabled regular, privileged and external user accounts. Privileged and external
//     accounts are forced too: a leaked admin or consultant password is the worst case, and
//     forcing a change does not break anything a person cannot fix at next logon; or
//   - SKIPPED with a reason, never touched:
//       service     a service/system account (any "service" label) — changing its password
//                   breaks the services that use it; its owner is notified instead (notify)
//       protected   krbtgt, Administrator, break-glass and [classify] protected_accounts
//       computer    machine accounts rotate their own passwords
//       disabled    nobody logs on with it
//       smartcard   smart-card-required accounts do not log on with the password
//   A label anywhere in AccountSummary::classes counts, so a privileged service account is
//   still a service account. One planned change per account, listing every rule that led to it.
//
// Action per flavor ([directory] flavor, which must match the findings' run.flavor):
//   ad        pwdLastSet = 0        (next logon/bind fails with "data 773": must change password)
//   openldap  pwdReset = TRUE       (ppolicy; needs pwdMustChange TRUE in the policy)
//
// Safety cap: more planned changes than [remediation] max_forced_changes (default 10 % of the
// accounts ELIGIBLE to be forced — enabled person accounts that are not computer, service,
// protected or smart-card accounts — rounded down, at least 1) is refused with
// kFailedPrecondition (exit 3, nothing written) unless allow_mass_change: a bad corpus must not
// lock out a municipality. Counting computers and disabled accounts too would let a
// computer-heavy domain force nearly every user. A dry run over the cap still prints the plan
// and says that --apply would be refused.
//
// Applying (apply = true): the action log is opened first (a signing key is required: no change
// without evidence), then one connection is made. Each planned change is re-read
// (EntryStateAttributes: AD objectSid, sAMAccountName, userAccountControl, pwdLastSet;
// OpenLDAP entryUUID, uid, sambaSID, sambaAcctFlags, sambaPwdLastSet/pwdChangedTime, pwdReset,
// pwdAccountLockedTime) and compared with what findings.json recorded; it is SKIPPED, with the
// reason logged, when
//   - no object is at the DN any more (renamed, moved or deleted since the audit), or the object
//     there is another one (objectSid / entryUUID differ: replaced) or has another name;
//   - the findings record no identity for it (findings from before this check: re-run audit),
//     or its identity, userAccountControl or password time cannot be read — never assumed;
//   - it is protected NOW (RID 500/502, krbtgt, Administrator, [classify] protected_accounts),
//     disabled, smart-card-required or a computer;
//   - its password was changed after the audit (pwdLastSet / pwdChangedTime differs from the
//     audit's reading): the leaked password is gone, so an old plan forces nothing;
//   - a change is already pending (pwdLastSet 0 / pwdReset TRUE) — "already pending", so
//     re-running a plan changes nothing twice.
// Otherwise the attribute is written, write-ahead logged: a "force-change-intent" entry is
// appended (and fsynced) BEFORE the directory write and the outcome ("force-change" or
// "force-change-failed") after it, so a crash or full disk between the two leaves an intent
// without outcome, which `credsweep log verify` reports. If the log cannot be appended to,
// enforce stops before the next write: an unlogged change must not happen. A failed read or
// write is reported and the rest go on.
//
// Test hook (integration tests only; documented so nobody mistakes it for a feature): when the
// environment variable CREDSWEEP_TEST_PAUSE_AFTER_WRITE names a FIFO, enforce writes "paused"
// into it right after each successful directory write and before the outcome entry, then
// blocks opening it for reading — so a test that has read "paused" knows enforce is parked there
// and can SIGKILL it at exactly that point (tests/integration/test_enforce_openldap.py). Opening
// the FIFO for writing releases enforce.
//
// Dry runs (apply = false) write nothing: neither the directory nor the action log.
// Thread-safety: none needed; functions are re-entrant, the writer and log are caller-owned.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/status.h"
#include "engine/config/config.h"
#include "engine/model/account.h"
#include "engine/model/finding.h"
#include "engine/remediate/action_log.h"
#include "engine/remediate/directory_writer.h"

namespace credsweep {


struct PlannedChange {
  std::string account;
  std::string dn;
  std::vector<std::string> rules;  // in force_rules order
  std::string action;              // "set pwdLastSet=0" | "set pwdReset=TRUE"
  // As the audit read them (AccountSummary): compared with the directory before the write.
  std::string object_id;
  std::optional<int64_t> pwd_last_set;
};

struct PlannedSkip {
  std::string account;
  std::string dn;
  std::vector<std::string> rules;
  std::string reason_code;  // "service" | "protected" | "computer" | "disabled" | "smartcard"
  std::string reason;       // one human sentence
};

struct EnforcePlan {
  DirectoryFlavor flavor = DirectoryFlavor::kActiveDirectory;
  std::string run_id;
  std::vector<PlannedChange> changes;
  std::vector<PlannedSkip> skips;
  uint64_t accounts_audited = 0;
  uint64_t accounts_eligible = 0;  // accounts the plan could force at all (the cap's base)
  uint64_t cap = 1;
  bool cap_exceeded = false;
  // Names never forced, re-checked at apply time (case-insensitive): krbtgt, Administrator and
  // [classify] protected_accounts (RunEnforce fills the latter from the config).
  std::vector<std::string> protected_names = {"krbtgt", "Administrator"};
};

// Pure: builds the plan from findings. kInvalidArgument if the flavor is unknown.
Result<EnforcePlan> PlanEnforcement(const RemediationConfig& cfg, DirectoryFlavor flavor,
                                    const FindingsDocument& doc);

enum class ChangeOutcome {
  kPlanned,         // dry run: would be written
  kApplied,         // written
  kAlreadyPending,  // re-read showed a change already pending; nothing written
  kSkipped,         // re-read showed it must not be forced: not the audited object, password
                    // changed since the audit, protected, disabled, unreadable (see message)
  kFailed,          // read or write failed; see message
  kNotAttempted,    // the run stopped before it (the action log could not be written)
};
const char* ChangeOutcomeName(ChangeOutcome o);  // "planned", "applied", "already-pending", ...

struct ChangeResult {
  PlannedChange change;
  ChangeOutcome outcome = ChangeOutcome::kPlanned;
  std::string message;  // why skipped/failed; never a secret
};

struct EnforceReport {
  EnforcePlan plan;
  bool applied = false;  // false = dry run
  std::vector<ChangeResult> results;
  uint64_t applied_count = 0;
  uint64_t already_pending = 0;
  uint64_t skipped_at_apply = 0;
  uint64_t failed = 0;
  std::string log_head;      // action log head hash after the run ("" on a dry run)
  std::string stopped_reason;  // non-empty when the run stopped early (action log failure)
  bool any_failed() const { return failed > 0 || !stopped_reason.empty(); }
};

struct EnforceOptions {
  bool apply = false;
  bool allow_mass_change = false;
  // Injected for tests; default: ConnectDirectoryWriter(config.directory).
  std::function<Result<std::unique_ptr<DirectoryWriter>>()> connect;
  // Injected for tests; default: the [log] signing key and path (OpenConfiguredActionLog).
  std::function<Result<std::unique_ptr<ActionLog>>(const std::string& actor_id)> open_log;
  std::optional<int64_t> now_unix;  // injected clock for log entries
};

// Plans, checks the cap, and (with apply) writes and logs. A refused cap or an unreachable
// directory is an error Status; per-account failures are in the report (any_failed()).
Result<EnforceReport> RunEnforce(const Config& config, const FindingsDocument& doc,
                                 const EnforceOptions& options);

// Applies a plan that has passed the cap check (exposed for tests and `run`).
EnforceReport ApplyPlan(const EnforcePlan& plan, DirectoryWriter& writer, ActionLog& log,
                        std::optional<int64_t> now_unix = std::nullopt);

// The action log as configured: [log] path (default STATE_DIR/actions.log) signed with
// [log] signing_key. kInvalidArgument when no signing key is configured.
std::string ConfiguredActionLogPath(const Config& config);
Result<std::unique_ptr<ActionLog>> OpenConfiguredActionLog(const Config& config,
                                                           const std::string& actor_id);

}  // namespace credsweep
