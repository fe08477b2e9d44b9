#include "engine/report/html_report.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

#include "engine/base/file_util.h"
#include "engine/report/report_model.h"

namespace credsweep {
namespace {

using nlohmann::json;

// Rows shown in long tables before the report points to findings.csv / the action log.
constexpr size_t kMaxRows = 1000;

std::string E(const std::string& s) { return EscapeHtml(s); }

std::string Num(uint64_t n) {
  // Thousands separators, built forwards (GCC 12's -Wrestrict misfires on string::insert).
  const std::string digits = std::to_string(n);
  std::string s;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) s += ',';
    s += digits[i];
  }
  return s;
}

std::string Letters(size_t i) {  // 0 -> A, 25 -> Z, 26 -> AA
  std::string s;
  ++i;
  while (i > 0) {
    --i;
    s = std::string(1, static_cast<char>('A' + i % 26)) + s;
    i /= 26;
  }
  return s;
}

std::string Badge(const std::string& severity) {
  return "<span class=\"sev sev-" + EscapeHtml(severity) + "\">" + EscapeHtml(severity) +
         "</span>";
}

std::string AccountCell(const std::string& account, const std::string& display_name) {
  std::string s = "<span class=\"acct\">" + EscapeHtml(account) + "</span>";
  if (!display_name.empty() && display_name != account) {
    s += " <span class=\"muted\">" + EscapeHtml(display_name) + "</span>";
  }
  return s;
}

std::string RulesCell(const std::vector<const Finding*>* fs) {
  if (fs == nullptr || fs->empty()) return "<span class=\"ok\">none</span>";
  std::string s;
  std::set<std::string> seen;
  for (const Finding* f : *fs) {
    if (!seen.insert(f->rule).second) continue;
    s += "<span class=\"rule sev-border-" + EscapeHtml(f->severity) + "\">" + EscapeHtml(f->rule) +
         "</span> ";
  }
  return s;
}

// The trend chart: active findings and leaked-password findings per run, oldest left.
std::string TrendSvg(const std::vector<const RunRecord*>& runs_in) {
  const size_t first = runs_in.size() > 24 ? runs_in.size() - 24 : 0;
  const std::vector<const RunRecord*> runs(runs_in.begin() + static_cast<std::ptrdiff_t>(first),
                                           runs_in.end());
  if (runs.empty()) return "<p class=\"muted\">No run history yet.</p>";
  const int w = 760, h = 260, left = 56, right = 16, top = 16, bottom = 56;
  uint64_t max_v = 1;
  for (const RunRecord* r : runs) max_v = std::max(max_v, r->findings);
  // Round the axis up to a 1-2-5 step so the grid labels are readable numbers.
  uint64_t step = 1;
  while (max_v / step > 5) {
    if (max_v / (step * 2) <= 5) { step *= 2; break; }
    if (max_v / (step * 5) <= 5) { step *= 5; break; }
    step *= 10;
  }
  const uint64_t axis = ((max_v + step - 1) / step) * step;
  const double pw = w - left - right, ph = h - top - bottom;
  auto x = [&](size_t i) {
    return runs.size() == 1 ? left + pw / 2 : left + pw * static_cast<double>(i) / (runs.size() - 1);
  };
  auto y = [&](uint64_t v) { return top + ph - ph * static_cast<double>(v) / axis; };
  char buf[256];
  std::string s = "<svg class=\"trend\" viewBox=\"0 0 " + std::to_string(w) + " " +
                  std::to_string(h) +
                  "\" role=\"img\" aria-label=\"Findings per run\">";
  for (uint64_t v = 0; v <= axis; v += step) {
    std::snprintf(buf, sizeof buf,
                  "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>"
                  "<text x=\"%d\" y=\"%.1f\" class=\"axis\" text-anchor=\"end\">",
                  left, w - right, y(v), y(v), left - 6, y(v) + 4);
    s += buf + Num(v) + "</text>";
  }
  auto polyline = [&](auto value, const char* cls) {
    std::string pts;
    for (size_t i = 0; i < runs.size(); ++i) {
      std::snprintf(buf, sizeof buf, "%.1f,%.1f ", x(i), y(value(*runs[i])));
      pts += buf;
    }
    std::string out = "<polyline class=\"" + std::string(cls) + "\" points=\"" + pts + "\"/>";
    for (size_t i = 0; i < runs.size(); ++i) {
      std::snprintf(buf, sizeof buf, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\">", cls,
                    x(i), y(value(*runs[i])));
      out += buf;
      out += "<title>" + EscapeHtml(runs[i]->started_at) + ": " + Num(value(*runs[i])) +
             "</title></circle>";
    }
    return out;
  };
  s += polyline([](const RunRecord& r) { return r.findings; }, "s-all");
  s += polyline([](const RunRecord& r) { return r.CountFor("leaked-password"); }, "s-leak");
  // Date labels; thinned so they never overlap (~70 px each).
  const size_t every = std::max<size_t>(1, (runs.size() * 70 + static_cast<size_t>(pw) - 1) /
                                               static_cast<size_t>(pw));
  for (size_t i = 0; i < runs.size(); i += every) {
    std::snprintf(buf, sizeof buf, "<text x=\"%.1f\" y=\"%d\" class=\"axis\" text-anchor=\"middle\">",
                  x(i), h - bottom + 18);
    s += buf + EscapeHtml(runs[i]->started_at.substr(0, 10)) + "</text>";
  }
  std::snprintf(buf, sizeof buf,
                "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"4\" class=\"l-all\"/>"
                "<text x=\"%d\" y=\"%d\" class=\"axis\">active findings</text>"
                "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"4\" class=\"l-leak\"/>"
                "<text x=\"%d\" y=\"%d\" class=\"axis\">leaked passwords (S12)</text>",
                left, h - 14, left + 18, h - 10, left + 160, h - 14, left + 178, h - 10);
  s += buf;
  s += "</svg>";
  return s;
}

constexpr const char* kCss = R"CSS(
:root{--fg:#1d2330;--muted:#5f6b7a;--line:#d9dee5;--bg:#ffffff;--soft:#f4f6f9;
--crit:#b3122e;--high:#d9480f;--med:#b08900;--low:#2f6f9f;--ok:#2b8a3e;}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);
font:14px/1.45 -apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Liberation Sans",sans-serif}
main{max-width:1180px;margin:0 auto;padding:28px 32px 48px}
header{border-bottom:3px solid var(--fg);padding-bottom:14px;margin-bottom:18px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:34px 0 10px;padding-bottom:4px;
border-bottom:1px solid var(--line)}h3{font-size:15px;margin:18px 0 6px}
.sub{color:var(--muted)}.muted{color:var(--muted)}.ok{color:var(--ok)}
.mode{display:inline-block;padding:2px 10px;border-radius:12px;font-weight:600;font-size:12px;
margin-left:8px;vertical-align:middle}
.mode-dry{background:#fff3bf;color:#7a5b00}.mode-apply{background:#d3f9d8;color:#1b5e20}
.mode-delta{background:#e7d9ff;color:#4a1d96}
.cards{display:grid;grid-template-columns:repeat(5,1fr);gap:12px;margin:18px 0}
.card{background:var(--soft);border-radius:8px;padding:12px 14px}
.card .v{font-size:26px;font-weight:700}.card .k{color:var(--muted);font-size:12px;
text-transform:uppercase;letter-spacing:.04em}
.card.alert .v{color:var(--crit)}
table{border-collapse:collapse;width:100%;margin:6px 0 10px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--soft);font-size:12px;text-transform:uppercase;letter-spacing:.03em;
color:var(--muted)}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.sev{display:inline-block;min-width:62px;text-align:center;padding:1px 8px;border-radius:10px;
font-size:12px;font-weight:600;color:#fff}
.sev-critical{background:var(--crit)}.sev-high{background:var(--high)}
.sev-medium{background:var(--med)}.sev-low{background:var(--low)}
.rule{display:inline-block;font:12px ui-monospace,"DejaVu Sans Mono",monospace;padding:0 6px;
border-left:3px solid var(--line);background:var(--soft);margin:1px 2px 1px 0;white-space:nowrap}
.sev-border-critical{border-color:var(--crit)}.sev-border-high{border-color:var(--high)}
.sev-border-medium{border-color:var(--med)}.sev-border-low{border-color:var(--low)}
.acct{font-weight:600}.cls{font-size:11px;color:var(--muted);border:1px solid var(--line);
border-radius:8px;padding:0 6px;margin-left:4px}
.cls-privileged,.cls-protected{color:var(--crit);border-color:var(--crit)}
.cls-service{color:var(--high);border-color:var(--high)}
.mono,code{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px;word-break:break-all}
pre{background:var(--soft);padding:10px 12px;border-radius:6px;white-space:pre-wrap;
word-break:break-all;font-size:12px}
.zero{color:#b7bec8}
svg.trend{width:100%;max-width:780px;height:auto;background:#fff}
.grid{stroke:#e6e9ee;stroke-width:1}.axis{font-size:11px;fill:#5f6b7a}
polyline.s-all{fill:none;stroke:#1d2330;stroke-width:2.5}circle.s-all{fill:#1d2330}
polyline.s-leak{fill:none;stroke:#b3122e;stroke-width:2.5;stroke-dasharray:6 4}
circle.s-leak{fill:#b3122e}.l-all{fill:#1d2330}.l-leak{fill:#b3122e}
dl.ev{display:grid;grid-template-columns:220px 1fr;gap:4px 14px;margin:0}
dl.ev dt{color:var(--muted)}dl.ev dd{margin:0}
.note{font-size:12px;color:var(--muted)}
footer{margin-top:40px;font-size:12px;color:var(--muted);border-top:1px solid var(--line);
padding-top:10px}
@media print{main{padding:0}h2{break-after:avoid}tr{break-inside:avoid}}
)CSS";


std::string Card(const std::string& k, uint64_t v, bool alert) {
  return std::string("<div class=\"card") + (alert && v > 0 ? " alert" : "") +
         "\"><div class=\"v\">" + Num(v) + "</div><div class=\"k\">" + k + "</div></div>";
}

std::string CountCell(uint64_t n) {
  return n ? "<td class=\"n\">" + Num(n) + "</td>" : "<td class=\"n zero\">0</td>";
}

std::string ClassTag(AccountClass c) {
  return std::string("<span class=\"cls cls-") + AccountClassName(c) + "\">" + AccountClassName(c) +
         "</span>";
}

// ---- sections, in report order -----------------------------------------------------------------

std::string Head(const ReportModel& m) {
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
         // Belt and braces: even if a value escaped escaping, the browser may load nothing.
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
         "style-src 'unsafe-inline'; img-src data:\">"
         "<title>credsweep report " + E(m.started_at.substr(0, 10)) + " — " +
         E(m.in->findings.run.directory) + "</title><style>" + kCss +
         "</style></head><body><main>\n";
}

std::string Header(const ReportModel& m) {
  const RunInfo& audit = m.in->findings.run;
  return std::string("<header><h1>Credential hygiene report") +
         (m.delta ? "<span class=\"mode mode-delta\">delta — changed accounts only</span>" : "") +
         (m.in->run.apply ? "<span class=\"mode mode-apply\">changes applied</span>"
                          : "<span class=\"mode mode-dry\">dry run — nothing changed</span>") +
         "</h1><div class=\"sub\">Directory <b>" + E(audit.directory) + "</b> · run " +
         E(m.in->run.id) + " · started " + E(m.started_at) + " (UTC) · " +
         Num(audit.accounts_checked) +
         (m.delta ? " accounts checked: only those whose password changed since the last full "
                    "run. This is not the monthly check of every account."
                  : " accounts checked") +
         "</div></header>\n";
}

std::string Summary(const ReportModel& m) {
  return "<section id=\"summary\"><div class=\"cards\">" +
         Card("accounts checked", m.in->findings.run.accounts_checked, false) +
         Card("open findings", m.active.size(), false) +
         Card("critical / high", m.critical + m.high, true) +
         Card("accounts with leaked password", m.leaked_accounts, true) +
         Card("waived findings", m.waived.size(), false) + "</div></section>\n";
}

std::string Requirements(const ReportModel& m) {
  std::string h = "<section id=\"requirements\"><h2>Findings per requirement</h2><table><thead><tr>"
                  "<th>Requirement</th><th>What it asks</th>";
  for (const char* s : kReportSeverities) h += std::string("<th class=\"n\">") + s + "</th>";
  h += "<th class=\"n\">total</th></tr></thead><tbody>";
  for (const auto& req : kReportRequirements) {
    uint64_t total = 0;
    h += std::string("<tr><td><b>") + req.id + "</b></td><td>" + req.title + "</td>";
    for (const char* s : kReportSeverities) {
      const uint64_t n = m.OpenFor(req.id, s);
      total += n;
      h += CountCell(n);
    }
    h += "<td class=\"n\"><b>" + Num(total) + "</b></td></tr>";
  }
  h += "</tbody></table>";
  h += "<h3>Per rule</h3><table><thead><tr><th>Rule</th><th>Requirement</th><th>Severity</th>"
       "<th class=\"n\">open</th><th class=\"n\">waived</th></tr></thead><tbody>";
  for (const RuleRow& r : m.rules) {
    h += "<tr><td><span class=\"rule\">" + E(r.rule) + "</span></td><td>" + E(r.requirement) +
         "</td><td>" +
         (r.severity.empty() ? std::string("<span class=\"muted\">—</span>") : Badge(r.severity)) +
         "</td>" + CountCell(r.open) + CountCell(r.waived) + "</tr>";
  }
  return h + "</tbody></table></section>\n";
}

std::string Leaked(const ReportModel& m) {
  std::string h =
      "<section id=\"leaked\"><h2>Leaked passwords, ranked by risk (S12)</h2>"
      "<p class=\"note\">Each row is one password found in the breach corpus, identified only by "
      "the accounts that use it — the password itself is never shown or stored. Risk weighs "
      "how often it appears in breaches and how much the accounts can do.</p>";
  if (m.leaked.empty()) return h + "<p class=\"ok\">No account uses a leaked password.</p></section>\n";
  h += "<table><thead><tr><th>#</th><th>Password</th><th class=\"n\">seen in breaches</th>"
       "<th>Accounts using it</th><th class=\"n\">risk</th></tr></thead><tbody>";
  for (size_t rank = 0; rank < m.leaked.size() && rank < kMaxRows; ++rank) {
    const LeakedCluster& c = m.leaked[rank];
    h += "<tr><td>" + std::to_string(rank + 1) + "</td><td>" +
         (c.empty ? std::string("<i>empty password</i>") : "Password " + Letters(rank)) +
         "</td><td class=\"n\">" +
         (c.empty || !c.prevalence ? std::string("—") : E(PrevalenceBandLabel(*c.prevalence))) +
         "</td><td>";
    for (const Finding* f : c.members) {
      h += AccountCell(f->account, f->display_name) + ClassTag(f->account_class);
      if (f->history) h += "<span class=\"cls\">previous password</span>";
      if (!f->enabled) h += "<span class=\"cls\">disabled</span>";
      h += "<br>";
    }
    char risk[32];
    std::snprintf(risk, sizeof risk, "%.1f", c.risk);
    h += std::string("</td><td class=\"n\">") + risk + "</td></tr>";
  }
  return h + "</tbody></table></section>\n";
}

std::string Guessable(const ReportModel& m) {
  std::string h =
      "<section id=\"guessable\"><h2>Guessable passwords, by pattern (S12, K9)</h2>"
      "<p class=\"note\">Passwords an attacker tries first — a season and a year, the "
      "organisation's name with digits, the account's own name — found by hashing such guesses "
      "and comparing them with the accounts' own hashes. Only the kind of pattern is shown, "
      "never the password.</p>";
  if (m.guessable.empty()) return h + "<p class=\"ok\">No password matched a guessed pattern.</p></section>\n";
  h += "<table><thead><tr><th>Pattern</th><th class=\"n\">accounts</th><th>Accounts</th>"
       "</tr></thead><tbody>";
  for (const GuessablePattern& g : m.guessable) {
    h += "<tr><td>" + E(g.pattern) + "</td><td class=\"n\">" + Num(g.members.size()) + "</td><td>";
    for (const Finding* f : g.members) {
      h += AccountCell(f->account, f->display_name) + ClassTag(f->account_class);
      if (f->history) h += "<span class=\"cls\">previous password</span>";
      h += "<br>";
    }
    h += "</td></tr>";
  }
  return h + "</tbody></table></section>\n";
}

std::string Shared(const ReportModel& m) {
  std::string h = "<section id=\"shared\"><h2>Shared passwords (K9, S6)</h2>";
  if (m.shared.empty()) return h + "<p class=\"ok\">No two accounts share a password.</p></section>\n";
  h += "<table><thead><tr><th>Group</th><th class=\"n\">accounts</th><th>Accounts</th>"
       "</tr></thead><tbody>";
  for (const SharedPasswordGroup& g : m.shared) {
    h += "<tr><td>" + E(g.label) +
         (g.admin ? " <span class=\"cls cls-privileged\">admin shares with non-admin</span>"
                  : std::string()) +
         "</td><td class=\"n\">" + Num(g.members.size()) + "</td><td>";
    for (const Finding* f : g.members) {
      h += AccountCell(f->account, f->display_name) + ClassTag(f->account_class) + "<br>";
    }
    h += "</td></tr>";
  }
  return h + "</tbody></table></section>\n";
}

// The privileged and external account tables.
std::string AccountTable(const ReportModel& m, const char* id, const char* title,
                         const std::vector<const AccountSummary*>& rows, const char* none) {
  std::string h = std::string("<section id=\"") + id + "\"><h2>" + title + "</h2>";
  if (rows.empty()) return h + "<p class=\"muted\">" + none + "</p></section>\n";
  h += "<table><thead><tr><th>Account</th><th>Enabled</th><th class=\"n\">auth level</th>"
       "<th>Owner / sponsor</th><th>Open findings</th></tr></thead><tbody>";
  for (const AccountSummary* a : rows) {
    auto it = m.by_account.find(a->account);
    h += "<tr><td>" + AccountCell(a->account, a->display_name) + "<div class=\"mono muted\">" +
         E(a->dn) + "</div></td><td>" + (a->enabled ? "yes" : "<span class=\"muted\">no</span>") +
         "</td><td class=\"n\">" + (a->auth_level ? std::to_string(a->auth_level) : "—") +
         "</td><td>" +
         (a->owner_mail.empty() ? "<span class=\"muted\">none</span>" : E(a->owner_mail)) +
         "</td><td>" + RulesCell(it == m.by_account.end() ? nullptr : &it->second) + "</td></tr>";
  }
  return h + "</tbody></table></section>\n";
}

std::string Actions(const ReportModel& m) {
  const RunRecord& run = m.in->run;
  const ActionCounts& a = run.actions;
  std::string h = "<section id=\"actions\"><h2>Actions taken</h2><div class=\"cards\">" +
                  Card(run.apply ? "forced to change" : "would be forced (dry run)",
                       run.apply ? a.forced : a.planned, false) +
                  Card("owners notified", a.notified, false) +
                  Card(run.apply ? "messages pending" : "messages in outbox", a.outbox, false) +
                  Card("skipped", a.skipped, false) + Card("failed", a.failed, true) + "</div>";
  if (!run.stages.empty()) {
    h += "<table><thead><tr><th>Stage</th><th>State</th><th>Detail</th></tr></thead><tbody>";
    for (const StageOutcome& s : run.stages) {
      h += "<tr><td>" + E(s.name) + "</td><td>" + E(s.state) + "</td><td>" + E(s.message) +
           "</td></tr>";
    }
    h += "</tbody></table>";
  }
  const std::vector<ActionRow>& rows = m.in->actions;
  if (!rows.empty()) {
    h += "<table><thead><tr><th>Account</th><th>Rule</th><th>Action</th><th>Result</th></tr>"
         "</thead><tbody>";
    for (size_t n = 0; n < rows.size() && n < kMaxRows; ++n) {
      const ActionRow& r = rows[n];
      h += "<tr><td><span class=\"acct\">" + E(r.account) + "</span></td><td>" +
           (r.rule.empty() ? "" : "<span class=\"rule\">" + E(r.rule) + "</span>") + "</td><td>" +
           E(r.action) + (r.target.empty() ? "" : " → " + E(r.target)) + "</td><td>" +
           E(r.result) + "</td></tr>";
    }
    h += "</tbody></table>";
    if (rows.size() > kMaxRows) {
      h += "<p class=\"note\">" + Num(rows.size() - kMaxRows) +
           " more actions are in the action log.</p>";
    }
  }
  return h + "</section>\n";
}

std::string Trend(const ReportModel& m) {
  const std::vector<const RunRecord*>& history = m.full_runs;
  std::string h = "<section id=\"trend\"><h2>Month over month</h2>" + TrendSvg(history);
  h += "<table><thead><tr><th>Run (UTC)</th><th>Mode</th><th class=\"n\">accounts</th>"
       "<th class=\"n\">open findings</th><th class=\"n\">leaked</th><th class=\"n\">forced</th>"
       "<th class=\"n\">notified</th><th>Corpus</th></tr></thead><tbody>";
  for (auto rit = history.rbegin(); rit != history.rend(); ++rit) {
    const RunRecord* it = *rit;
    std::string corpus;
    for (const auto& s : it->corpus_sources) {
      corpus += (corpus.empty() ? "" : ", ") + E(s.name) + " " + E(s.version);
    }
    h += "<tr><td>" + E(it->started_at) + "</td><td>" + (it->apply ? "applied" : "dry run") +
         "</td><td class=\"n\">" + Num(it->accounts_checked) + "</td><td class=\"n\">" +
         Num(it->findings) + "</td><td class=\"n\">" + Num(it->CountFor("leaked-password")) +
         "</td><td class=\"n\">" + Num(it->actions.forced) + "</td><td class=\"n\">" +
         Num(it->actions.notified) + "</td><td>" + corpus + "</td></tr>";
  }
  h += "</tbody></table>";
  // S12 asks for a check at least monthly: say plainly whether the history shows that.
  if (m.longest_gap_days) {
    const int64_t gap = *m.longest_gap_days;
    h += "<p class=\"note\">" + Num(history.size()) + " recorded full runs since " +
         E(history.front()->started_at.substr(0, 10)) + "; longest gap between full runs: " +
         Num(static_cast<uint64_t>(gap)) + " days" +
         (gap <= 31 ? " (checked at least monthly)." : " — more than a month.") + "</p>";
  }
  if (m.delta_runs > 0) {
    h += "<p class=\"note\">" + Num(m.delta_runs) +
         " delta runs (<span class=\"mono\">run --changed</span>: only accounts whose password "
         "changed) are recorded too and left out of this trend: they do not check every "
         "account.</p>";
  }
  return h + "</section>\n";
}

std::string Waived(const ReportModel& m) {
  std::string h = "<section id=\"waived\"><h2>Waived findings (exceptions register)</h2>";
  if (m.waived.empty()) return h + "<p class=\"muted\">No finding is waived.</p></section>\n";
  h += "<p class=\"note\">Approved exceptions from the configuration's [[exceptions]]. A "
       "waiver ends at the end of its expiry day (UTC); the finding then counts again.</p>"
       "<table><thead><tr><th>Account</th><th>Rule</th><th>Reason</th><th>Approved by</th>"
       "<th>Expires</th></tr></thead><tbody>";
  for (const Finding* f : m.waived) {
    h += "<tr><td>" + AccountCell(f->account, f->display_name) +
         "</td><td><span class=\"rule\">" + E(f->rule) + "</span></td><td>" +
         E(f->waiver_reason) + "</td><td>" + E(f->waiver_approved_by) + "</td><td>" +
         E(f->waiver_expires) + "</td></tr>";
  }
  return h + "</tbody></table></section>\n";
}

std::string AllFindings(const ReportModel& m) {
  std::string h = "<section id=\"findings\"><h2>All open findings</h2>";
  if (m.active.empty()) return h + "<p class=\"ok\">No open findings.</p></section>\n";
  h += "<table><thead><tr><th>Severity</th><th>Req.</th><th>Rule</th><th>Account</th>"
       "<th>Detail</th></tr></thead><tbody>";
  for (size_t n = 0; n < m.active.size() && n < kMaxRows; ++n) {
    const Finding* f = m.active[n];
    h += "<tr><td>" + Badge(f->severity) + "</td><td>" + E(f->requirement) +
         "</td><td><span class=\"rule\">" + E(f->rule) + "</span></td><td>" +
         AccountCell(f->account, f->display_name) +
         (f->enabled ? "" : " <span class=\"cls\">disabled</span>") + "</td><td>" + E(f->detail) +
         "</td></tr>";
  }
  h += "</tbody></table>";
  if (m.active.size() > kMaxRows) {
    h += "<p class=\"note\">" + Num(m.active.size() - kMaxRows) +
         " more findings are in findings.csv beside this report.</p>";
  }
  return h + "</section>\n";
}

std::string EvidenceRow(const std::string& k, const std::string& v_html) {
  return "<dt>" + k + "</dt><dd>" + v_html + "</dd>";
}

std::string SkippedEntries(const RunInfo& audit) {
  std::string sk = Num(audit.skipped_entries.size()) + " entries could not be read:<br>";
  size_t n = 0;
  for (const auto& [dn, reason] : audit.skipped_entries) {
    if (n++ >= 20) {
      sk += "…<br>";
      break;
    }
    sk += "<span class=\"mono\">" + E(dn) + "</span> — " + E(reason) + "<br>";
  }
  return sk;
}

// The action log's anchor — head hash and entry count after this run — and the commands that
// check the log against it, so a shortened or emptied log shows.
std::string LogEvidence(const ReportModel& m) {
  const ReportInput& in = *m.in;
  const RunRecord& run = in.run;
  std::string h = EvidenceRow("Action log", "<span class=\"mono\">" + E(in.log_path) + "</span>");
  h += EvidenceRow("Log head hash",
                   run.log_head_hash.empty()
                       ? std::string("<span class=\"muted\">no entries yet (a dry run writes "
                                     "none)</span>")
                       : "<span class=\"mono\">" + E(run.log_head_hash) + "</span>");
  h += EvidenceRow("Log entries", Num(run.log_entries));
  std::string cmds;
  if (!in.config_path.empty()) {
    cmds += "credsweep log verify --config " + in.config_path + "\n";
  }
  std::string auditor =
      "credsweep log verify --log " + in.log_path + " --pubkey " +
      (in.log_pubkey_path.empty() ? std::string("PUBLIC_KEY_FILE") : in.log_pubkey_path);
  if (!run.log_head_hash.empty()) auditor += " --expect-head " + run.log_head_hash;
  auditor += " --expect-count " + std::to_string(run.log_entries);
  cmds += auditor;
  h += EvidenceRow("Verify the log",
                   "<pre>" + E(cmds) +
                       "</pre>Either command exits 0 only when every entry is intact and signed "
                       "by the key, and the log still holds the head and at least the number "
                       "of entries recorded by this run (--config reads them from the latest "
                       "run record).");
  return h;
}

// What the run covered: every account, or a delta and the full run it builds on.
std::string Scope(const ReportModel& m) {
  if (!m.delta) return "full — every account of the directory (monthly evidence)";
  const HashMaterialInfo& h = m.in->findings.run.hash_material;
  std::string s = "<b>delta</b> (<span class=\"mono\">--changed</span>) — only the " +
                  Num(m.in->findings.run.accounts_checked) +
                  " accounts whose password the DC replicated since the last full replication "
                  "(high-water mark USN " + Num(h.since_highwatermark) +
                  "). This is not the monthly evidence; ";
  if (m.baseline == nullptr) return s + "no full run is recorded in this run history.";
  return s + "the last full run is <span class=\"mono\">" + E(m.baseline->id) + "</span> (" +
         E(m.baseline->started_at) + ", " + Num(m.baseline->accounts_checked) +
         " accounts checked).";
}

std::string Evidence(const ReportModel& m) {
  const ReportInput& in = *m.in;
  const RunRecord& run = in.run;
  const RunInfo& audit = in.findings.run;
  std::string h = "<section id=\"evidence\"><h2>Evidence</h2><dl class=\"ev\">";
  h += EvidenceRow("Run id", "<span class=\"mono\">" + E(run.id) + "</span>");
  h += EvidenceRow("Started (UTC)", E(m.started_at));
  h += EvidenceRow("Finished (UTC)", E(run.finished_at.empty() ? audit.finished_at : run.finished_at));
  h += EvidenceRow("Mode", run.apply ? "applied (changes written, mail sent)"
                                     : "dry run (nothing changed)");
  h += EvidenceRow("Directory",
                   E(audit.directory) + (audit.flavor.empty() ? "" : " (" + E(audit.flavor) + ")"));
  h += EvidenceRow("Scope", Scope(m));
  h += EvidenceRow("Accounts checked", Num(audit.accounts_checked));
  h += EvidenceRow("Hash records loaded", Num(audit.hashes_loaded));
  h += EvidenceRow("Hash material", E(HashMaterialSentence(audit.hash_material)));
  if (!audit.skipped_entries.empty()) h += EvidenceRow("Skipped entries", SkippedEntries(audit));
  h += EvidenceRow("Corpus store", "<span class=\"mono\">" + E(audit.store) + "</span>");
  std::string sources;
  for (const auto& s : audit.corpus_sources) {
    sources += "<b>" + E(s.name) + "</b> version " + E(s.version) + " · " + Num(s.lines) +
               " lines · imported " + E(s.imported_at) + "<br>";
  }
  h += EvidenceRow("Corpus sources",
                   sources.empty() ? "<span class=\"muted\">none recorded</span>" : sources);
  if (!in.log_path.empty()) h += LogEvidence(m);
  h += EvidenceRow("Report generated (UTC)", E(in.generated_at));
  return h + "</dl></section>\n";
}

std::string Footer() {
  return "<footer>credsweep · every time in this report is UTC · this file is self-contained "
         "and names accounts: keep it as confidential as the directory itself.</footer>\n"
         "</main></body></html>\n";
}

}  // namespace

std::string EscapeHtml(const std::string& s) {
  std::string out;
  out.reserve(s.size() + 16);
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string RenderHtmlReport(const ReportInput& in) {
  const ReportModel m = BuildReportModel(in);
  std::string h;
  h.reserve(64 * 1024);
  h += Head(m);
  h += Header(m);
  h += Summary(m);
  h += Requirements(m);
  h += Leaked(m);
  h += Guessable(m);
  h += Shared(m);
  h += AccountTable(m, "privileged", "Privileged accounts (S6)", m.privileged,
                    "No privileged accounts were identified.");
  h += AccountTable(m, "external", "External accounts (K5)", m.external,
                    "No external accounts were identified.");
  h += Actions(m);
  h += Trend(m);
  h += Waived(m);
  h += AllFindings(m);
  h += Evidence(m);
  h += Footer();
  return h;
}

std::string RenderReportJson(const ReportInput& in) {
  const ReportModel m = BuildReportModel(in);
  json j{{"format", "credsweep-report"}, {"version", 1}, {"generated_at", in.generated_at}};
  j["run"] = json::parse(RunRecordToJson(in.run));
  json reqs = json::object();
  for (const auto& req : kReportRequirements) {
    json r = json::object();
    for (const char* s : kReportSeverities) r[s] = m.OpenFor(req.id, s);
    reqs[req.id] = r;
  }
  j["requirements"] = reqs;
  j["leaked_passwords"] = json::array();
  for (const LeakedCluster& c : m.leaked) {
    json accounts = json::array();
    for (const Finding* f : c.members) accounts.push_back(f->account);
    j["leaked_passwords"].push_back(
        {{"prevalence", c.prevalence ? json(PrevalenceBandLabel(*c.prevalence)) : json(nullptr)},
         {"risk", c.risk},
         {"accounts", accounts}});
  }
  j["guessable_passwords"] = json::array();
  for (const GuessablePattern& g : m.guessable) {
    json accounts = json::array();
    for (const Finding* f : g.members) accounts.push_back(f->account);
    j["guessable_passwords"].push_back({{"pattern", g.pattern}, {"accounts", accounts}});
  }
  j["shared_groups"] = json::array();
  for (const SharedPasswordGroup& g : m.shared) {
    json accounts = json::array();
    for (const Finding* f : g.members) accounts.push_back(f->account);
    j["shared_groups"].push_back({{"group", g.label}, {"admin", g.admin}, {"accounts", accounts}});
  }
  j["waived"] = json::array();
  for (const Finding* f : m.waived) {
    j["waived"].push_back({{"account", f->account},
                           {"rule", f->rule},
                           {"reason", f->waiver_reason},
                           {"approved_by", f->waiver_approved_by},
                           {"expires", f->waiver_expires}});
  }
  j["history"] = json::array();
  for (const RunRecord& r : in.history) {
    j["history"].push_back({{"id", r.id},
                            {"scope", RunScope(r.hash_material)},
                            {"started_at", r.started_at},
                            {"findings", r.findings},
                            {"leaked", r.CountFor("leaked-password")}});
  }
  return j.dump(2) + "\n";
}

Status WriteReport(const ReportInput& in, const std::string& dir) {
  CS_RETURN_IF_ERROR(MakeDirs(dir));
  CS_RETURN_IF_ERROR(WriteFileAtomic(dir + "/report.html", RenderHtmlReport(in)));
  return WriteFileAtomic(dir + "/report.json", RenderReportJson(in));
}

}  // namespace credsweep
