// The report model: everything the evidence report shows, derived once from a ReportInput.
//
//   ReportModel m = BuildReportModel(in);   // counts, clusters, groups, tables, evidence
//   std::string html = RenderHtmlReport(in); // html_report.h: one small function per section
//
// Why a model: the HTML report and report.json show the same numbers (open findings per
// requirement, leaked-password clusters, shared groups, waivers). Deriving them in one place
// means the two files cannot disagree, and each HTML section is a short function that only
// formats what the model already decided.
//
// Ownership: the model points into the ReportInput it was built from (findings, history,
// actions); that input must outlive it. Pure function of its input; no clock, no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/model/finding.h"
#include "engine/report/run_history.h"

namespace credsweep {

struct ReportInput;  // html_report.h

// Requirement order and wording as the report presents them (DESIGN.md's table).
struct RequirementText {
  const char* id;
  const char* title;
};
inline constexpr RequirementText kReportRequirements[] = {
    {"S12", "No previously leaked passwords; checked at least monthly"},
    {"S6", "Admin rights only on separate, time-limited admin accounts"},
    {"K5", "External access is time-limited and sponsored"},
    {"K9", "Passwords made, changed and stored per national guidance"},
    {"S11", "Authentication level matches what the access requires"},
};
inline constexpr const char* kReportSeverities[] = {"critical", "high", "medium", "low"};

// Accounts that share one password, as the audit labelled them.
struct SharedPasswordGroup {
  std::string label;
  std::vector<const Finding*> members;
  bool admin = false;  // an admin-shares-password group
};

// A leaked password, identified only by the accounts that use it.
struct LeakedCluster {
  std::vector<const Finding*> members;
  // The highest prevalence band among the members (a band, never the exact count:
  // engine/model/prevalence.h); nullopt for the empty password.
  std::optional<PrevalenceBand> prevalence;
  double risk = 0;
  bool any_current = false;
  bool empty = false;  // the empty password (empty-password findings)
};

// Accounts whose password a sprayer would guess, by pattern family (guessable-password's group,
// "account name" for password-is-username, "computer's own name" for
// default-computer-password). Never the password.
struct GuessablePattern {
  std::string pattern;
  std::vector<const Finding*> members;
};

// One row of the per-rule table.
struct RuleRow {
  std::string rule;
  std::string requirement;  // "" when the rule had no finding
  std::string severity;     // worst severity seen; "" when none
  uint64_t open = 0;
  uint64_t waived = 0;
};

struct ReportModel {
  const ReportInput* in = nullptr;
  std::string started_at;  // run.started_at, else the audit's

  std::vector<const Finding*> active;  // not waived; severity, rule, account order
  std::vector<const Finding*> waived;
  std::map<std::string, std::map<std::string, uint64_t>> per_req_sev;  // req -> sev -> open
  std::vector<RuleRow> rules;  // the audit's rule order, then rules only seen in findings
  std::vector<SharedPasswordGroup> shared;   // admin groups first, then largest first
  std::vector<LeakedCluster> leaked;  // highest risk first
  std::vector<GuessablePattern> guessable;  // most accounts first
  std::map<std::string, std::vector<const Finding*>> by_account;  // open findings per account
  uint64_t critical = 0;
  uint64_t high = 0;
  uint64_t leaked_accounts = 0;  // accounts (findings) in leaked clusters

  std::vector<const AccountSummary*> privileged;  // accounts with the label
  std::vector<const AccountSummary*> external;

  // The monthly evidence: recorded runs that were not deltas (`run --changed`), oldest first.
  // The trend and the longest gap are drawn from these only — a daily delta checks the changed
  // accounts, not the domain, so it never counts as "checked this month".
  std::vector<const RunRecord*> full_runs;
  uint64_t delta_runs = 0;  // recorded delta runs, shown as a count beside the trend
  // This run is a delta: the last full run with a completed audit before it (nullptr: none
  // recorded in this state directory).
  bool delta = false;
  const RunRecord* baseline = nullptr;

  // Longest gap between consecutive full runs, in days (S12 "checked at least monthly");
  // nullopt with fewer than two.
  std::optional<int64_t> longest_gap_days;

  // Open findings for (requirement, severity); 0 when none.
  uint64_t OpenFor(const std::string& req, const std::string& sev) const;
};

ReportModel BuildReportModel(const ReportInput& in);

}  // namespace credsweep
