// The evidence report: DIR/report.html (one self-contained file) and DIR/report.json.
//
// Who reads it: an auditor checking the Danish municipal baseline (S12 leaked passwords checked
// at least monthly, S6 admin separation, K5 external accounts, K9 password hygiene, S11
// authentication level) and a manager who wants to know what is wrong and what was done.
//
// Sections, in order: summary cards; findings per requirement and severity; leaked passwords
// ranked by risk (accounts only — a leaked password is labelled "Password A", never shown);
// shared-password groups; privileged accounts; external accounts; actions taken; month-over-
// month trend (inline SVG drawn from the run history); waived findings (exceptions register,
// with expiry); every finding; evidence (UTC run times, corpus sources and versions, accounts
// checked, the action log's head hash and entry count — the anchor that shows a shortened or
// emptied log — and the exact `credsweep log verify` commands: --config for the operator,
// --log/--pubkey/--expect-head/--expect-count for an auditor with only the files).
//
// Self-contained by construction: inline CSS and SVG only — no script, no external font, image,
// stylesheet or link that a browser would fetch — so it opens offline, from a mail attachment
// or an archive years later. Everything that came from the directory (names, DNs, details) is
// HTML-escaped: a display name may contain "<script>".
// Secrets: the input holds no password or hash (findings.json never does), so none can leak.
//
// Shape: BuildReportModel (report_model.h) derives every count, cluster and table once; the
// HTML is then one small function per section, in the order above, and report.json is written
// from the same model, so the two files cannot disagree.
// Thread-safety: pure functions of their input.
#pragma once

#include <string>
#include <vector>

#include "engine/base/status.h"
#include "engine/model/finding.h"
#include "engine/report/run_history.h"

namespace credsweep {

// One remediation step as the report lists it.
struct ActionRow {
  std::string account;
  std::string dn;
  std::string rule;
  std::string action;  // "force change at next logon", "notify owner", ...
  std::string target;  // owner mail for notifications; empty otherwise
  std::string result;  // "done", "planned (dry run)", "skipped: <why>", "failed: <why>", ...
};

struct ReportInput {
  FindingsDocument findings;
  RunRecord run;                   // this run (counts, actions, stages, log head hash)
  std::vector<RunRecord> history;  // every recorded run, oldest first, including this one
  std::vector<ActionRow> actions;
  std::string log_path;         // the action log; empty when none was written
  std::string log_pubkey_path;  // public key for `log verify`; empty when not configured
  std::string config_path;      // the config `credsweep run` used; empty when unknown
  std::string generated_at;     // UTC ISO-8601
};

// HTML-escapes & < > " ' (text and attribute values alike).
std::string EscapeHtml(const std::string& s);

std::string RenderHtmlReport(const ReportInput& in);
// Machine-readable summary: the run record, counts per requirement and severity, leaked
// password clusters (account names and prevalence only), shared groups and waivers.
std::string RenderReportJson(const ReportInput& in);

// Writes DIR/report.html and DIR/report.json (0600, atomically), creating DIR.
[[nodiscard]] Status WriteReport(const ReportInput& in, const std::string& dir);

}  // namespace credsweep
