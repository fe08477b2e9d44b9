// The audit rules: ONE table (STYLE rule 8). Each row is a rule id from DESIGN.md, the
// requirement it serves, a severity, a one-line explanation a non-expert understands, and the
// function that produces its findings from the prepared facts. Adding a rule touches the table
// in rules.cc and nothing else.
//
// Rules are pure: they read AuditFacts (accounts with their classification, what the hash join
// and the corpus said, owners, authentication levels, shared-password groups, the config and
// the clock "now") and append Findings. They never see a hash: the join in audit.cc reduces
// hash material to facts (leaked + prevalence, empty, LM stored, shared-group number) first.
//
// Decisions documented here because they change what an auditor sees:
//   leaked-password       current hash with corpus count >= [rules] leaked_min_count; the empty
//                         password is left to empty-password. With check_history, previous
//                         passwords found leaked give ONE extra finding per account
//                         (history = true, prevalence = the highest count among them).
//   shared-password       accounts sharing one current NT hash, 2 or more; groups are numbered
//                         by size (largest first), then by first account name:
//                         "shared-password group 1 (3 accounts)"; every member gets a finding
//                         that lists the others.
//   admin-not-separate    privileged, not protected/service/computer, and either has a mailbox
//                         (mail set) or no linked daily account: a non-privileged account named by
//                         capture group 1 of an admin_name_pattern, or one with the same
//                         employeeID.
//   admin-no-expiry       privileged person account (not protected/service/computer), not in
//                         [classify] it_staff_group, accountExpires never.
//   password-never-expires DONT_EXPIRE_PASSWORD on any account that is not a service or
//                         computer account.
//   stale-account         enabled, and lastLogon older than stale_days, or never logged on and
//                         pwdLastSet older than stale_days. An account with neither time is not
//                         flagged (no evidence). On OpenLDAP snapshots where no account carries a
//                         logon time (logon tracking off) the rule does not run.
//   guessable-password    the current password (or, with check_history, a previous one: one
//                         extra finding with history = true) equals a candidate of the guessing
//                         engine (engine/guess/guesser.h). The detail names the pattern family
//                         ("season + year + symbol"), never the candidate; `group` holds
//                         the family too, so the report can list accounts per pattern.
//   password-is-username  the current password is the account name as is, lower-case or
//                         Capitalised, alone or followed by 1, 123 or !.
//   default-computer-password  a computer account's current password is its lower-case name
//                         without '$' (or that cut to 14 characters): a pre-created computer.
//   admin-delegatable     privileged, not a computer, without NOT_DELEGATED (0x100000) and not
//                         a (nested) member of Protected Users (group RID 525 or cn
//                         "Protected Users"). Not run on OpenLDAP (no Kerberos delegation).
//   unconstrained-delegation  TRUSTED_FOR_DELEGATION (0x80000) on a user, or on a computer that
//                         is not a domain controller (SERVER_TRUST_ACCOUNT 0x2000).
//   kerberos-des-only     USE_DES_KEY_ONLY (0x200000).
//   krbtgt-password-old   the krbtgt account (RID 502 or name krbtgt, and RODC krbtgt_NNNN)
//                         has pwdLastSet older than [rules] krbtgt_max_days. No pwdLastSet: no
//                         finding (no evidence).
//   admin-password-old    privileged, not a computer, pwdLastSet older than
//                         [rules] admin_password_max_days (0 = "must change" is not old).
//   auth-level-below-required  see AuthLevel in audit.cc: 0 empty password, 1 leaked password
//                         ("worth nothing"), 2 one static password, 3 member of an mfa_group,
//                         4 SMARTCARD_REQUIRED when smartcard_counts_as_pki (else 3). Required level
//                         = the highest [auth] required_level of the (nested) groups it is in.
// Disabled accounts are audited like enabled ones; their findings carry enabled = false.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/audit/classifier.h"
#include "engine/config/config.h"
#include "engine/model/account.h"
#include "engine/model/finding.h"

namespace credsweep {

// What the audit knows about one account after classification, hash join and corpus lookup.
struct AccountFacts {
  const Account* account = nullptr;
  size_t index = 0;  // in DirectorySnapshot::accounts
  Classification cls;
  bool has_hash = false;              // a current NT hash was joined to this account
  bool empty_password = false;        // current NT hash is NT("")
  bool lm_stored = false;             // a non-empty LM hash is stored
  std::optional<uint64_t> leaked_count;  // current hash in the corpus (>= leaked_min_count)
  int history_leaked = 0;             // previous passwords found in the corpus
  uint64_t history_max_count = 0;
  std::optional<size_t> shared_group;  // index into AuditFacts::shared_groups
  bool in_it_staff = false;
  bool in_mfa_group = false;
  std::string linked_daily_account;   // "" when none (admin-not-separate)
  int auth_level = 0;
  int required_level = 0;
  std::string required_by;            // the [auth] required_level group that sets it
  std::string owner_mail;
  std::string owner_source;
  // Targeted guessing (guess_stage.h). Family ids name the pattern (FamilyName in
  // engine/guess/candidates.h), never the password.
  int guess_family = -1;                    // current password matches a pattern; -1 none
  std::vector<int> guess_history_families;  // previous passwords that match one
  bool password_is_username = false;
  bool default_computer_password = false;
  bool in_protected_users = false;          // (nested) member of Protected Users (RID 525)
};

struct SharedGroup {
  std::string label;            // "shared-password group 1 (3 accounts)"
  std::vector<size_t> members;  // indices into AuditFacts::accounts, by account name
};

struct AuditFacts {
  const Config* cfg = nullptr;
  int64_t now = 0;
  DirectoryFlavor flavor = DirectoryFlavor::kActiveDirectory;
  bool logon_times_known = true;  // some account carries a last-logon time
  std::vector<AccountFacts> accounts;
  std::vector<SharedGroup> shared_groups;
};

struct RuleSpec;
using RuleFn = void (*)(const RuleSpec& rule, const AuditFacts& facts, std::vector<Finding>* out);

struct RuleSpec {
  const char* id;           // stable, DESIGN.md
  const char* requirement;  // "S12", "S6", "K5", "K9", "S11"
  const char* severity;     // "critical" | "high" | "medium" | "low"
  const char* explanation;  // one line for a non-expert
  RuleFn run;
};

// Every rule, in report order.
std::span<const RuleSpec> AllRules();
// nullptr when `id` is not a rule id.
const RuleSpec* FindRule(std::string_view id);
// Numeric rank of a severity: critical 0, high 1, medium 2, low 3.
int SeverityRank(const std::string& severity);

// A finding for one account with the rule's fields filled in.
Finding MakeFinding(const RuleSpec& rule, const AccountFacts& facts, std::string detail);

}  // namespace credsweep
