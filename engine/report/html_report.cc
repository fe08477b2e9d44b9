#include "engine/report/html_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "engine/base/file_util.h"
#include "engine/base/time_util.h"

namespace credsweep {
namespace {

using nlohmann::json;

// Requirement order and wording as the report presents them (DESIGN.md's table).
struct RequirementText {
  const char* id;
  const char* title;
};
constexpr RequirementText kRequirements[] = {
    {"S12", "No previously leaked passwords; checked at least monthly"},
    {"S6", "Admin rights only on separate, time-limited admin accounts"},
    {"K5", "External access is time-limited and sponsored"},
    {"K9", "Passwords made, changed and stored per national guidance"},
    {"S11", "Authentication level matches what the access requires"},
};
constexpr const char* kSeverities[] = {"critical", "high", "medium", "low"};

// Rows shown in long tables before the report points to findings.csv / the action log.
constexpr size_t kMaxRows = 1000;

int SeverityRank(const std::string& s) {
  for (int i = 0; i < 4; ++i) {
    if (s == kSeverities[i]) return i;
  }
  return 4;
}

// How much a leaked password on this kind of account matters: a leaked admin or service
// password opens more than a leaked ordinary one.
double ClassWeight(AccountClass c) {
  switch (c) {
    case AccountClass::kProtected: return 5;
    case AccountClass::kPrivileged: return 4;
    case AccountClass::kService: return 3;
    case AccountClass::kExternal: return 2;
    case AccountClass::kRegular: return 1;
    case AccountClass::kComputer: return 1;
  }
  return 1;
}

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

// Accounts that share one password, as the audit labelled them.
struct SharedGroup {
  std::string label;
  std::vector<const Finding*> members;
  bool admin = false;  // an admin-shares-password group
};

// A leaked password, identified only by the accounts that use it.
struct LeakedCluster {
  std::vector<const Finding*> members;
  std::optional<PrevalenceBand> prevalence;  // the highest band among the members
  double risk = 0;
  bool any_current = false;
};

struct Derived {
  std::vector<const Finding*> active;
  std::vector<const Finding*> waived;
  std::map<std::string, std::map<std::string, uint64_t>> per_req_sev;  // req -> sev -> n
  std::map<std::string, uint64_t> per_rule;
  std::map<std::string, std::string> rule_req;
  std::map<std::string, std::string> rule_sev;
  std::vector<SharedGroup> shared;
  std::vector<LeakedCluster> leaked;
  std::map<std::string, std::vector<const Finding*>> by_account;
};

Derived Derive(const FindingsDocument& doc) {
  Derived d;
  for (const Finding& f : doc.findings) {
    (f.waived ? d.waived : d.active).push_back(&f);
    if (!f.waived) {
      ++d.per_req_sev[f.requirement][f.severity];
      ++d.per_rule[f.rule];
      d.by_account[f.account].push_back(&f);
    }
    d.rule_req.emplace(f.rule, f.requirement);
    auto it = d.rule_sev.find(f.rule);
    if (it == d.rule_sev.end() || SeverityRank(f.severity) < SeverityRank(it->second)) {
      d.rule_sev[f.rule] = f.severity;
    }
  }
  std::stable_sort(d.active.begin(), d.active.end(), [](const Finding* a, const Finding* b) {
    if (SeverityRank(a->severity) != SeverityRank(b->severity)) {
      return SeverityRank(a->severity) < SeverityRank(b->severity);
    }
    if (a->rule != b->rule) return a->rule < b->rule;
    return a->account < b->account;
  });

  // Shared-password groups, keyed by the audit's label. admin-shares-password groups are listed
  // too; the same label under both rules is one group.
  std::map<std::string, size_t> group_index;
  std::map<std::string, std::string> account_group;  // account -> label (current passwords)
  for (const Finding* f : d.active) {
    if ((f->rule != "shared-password" && f->rule != "admin-shares-password") || !f->group) continue;
    auto [it, inserted] = group_index.emplace(*f->group, d.shared.size());
    if (inserted) d.shared.push_back(SharedGroup{*f->group, {}, false});
    SharedGroup& g = d.shared[it->second];
    if (f->rule == "admin-shares-password") g.admin = true;
    bool seen = std::any_of(g.members.begin(), g.members.end(),
                            [&](const Finding* m) { return m->account == f->account; });
    if (!seen) g.members.push_back(f);
    if (!f->history) account_group.emplace(f->account, *f->group);
  }
  std::stable_sort(d.shared.begin(), d.shared.end(), [](const SharedGroup& a, const SharedGroup& b) {
    if (a.admin != b.admin) return a.admin;
    return a.members.size() > b.members.size();
  });

  // Leaked passwords: accounts known to share one password form one cluster; every other
  // leaked account is its own. Risk = sum over accounts of class weight x (1 + the decade of
  // the prevalence band: bands only, so the risk shown reveals no more than the band),
  // so a password used by three admins and seen a million times ranks first.
  std::map<std::string, size_t> cluster_of_group;
  for (const Finding* f : d.active) {
    if (f->rule != "leaked-password" && f->rule != "empty-password") continue;
    size_t idx;
    std::string key;
    if (f->group) {
      key = *f->group;
    } else if (!f->history) {
      auto it = account_group.find(f->account);
      if (it != account_group.end()) key = it->second;
    }
    if (f->rule == "empty-password") key = "\x01empty";
    if (!key.empty() && cluster_of_group.count(key)) {
      idx = cluster_of_group[key];
    } else {
      idx = d.leaked.size();
      d.leaked.emplace_back();
      if (!key.empty()) cluster_of_group[key] = idx;
    }
    LeakedCluster& c = d.leaked[idx];
    c.members.push_back(f);
    if (f->prevalence && (!c.prevalence || *f->prevalence > *c.prevalence)) {
      c.prevalence = f->prevalence;
    }
    if (!f->history) c.any_current = true;
  }
  for (LeakedCluster& c : d.leaked) {
    for (const Finding* f : c.members) {
      c.risk += ClassWeight(f->account_class) * (f->history ? 0.5 : 1.0) *
                (1.0 + (c.prevalence ? PrevalenceDecade(*c.prevalence) : 0));
    }
  }
  std::stable_sort(d.leaked.begin(), d.leaked.end(), [](const LeakedCluster& a,
                                                        const LeakedCluster& b) {
    return a.risk > b.risk;
  });
  return d;
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
std::string TrendSvg(const std::vector<RunRecord>& runs_in) {
  std::vector<const RunRecord*> runs;
  const size_t first = runs_in.size() > 24 ? runs_in.size() - 24 : 0;
  for (size_t i = first; i < runs_in.size(); ++i) runs.push_back(&runs_in[i]);
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
  const FindingsDocument& doc = in.findings;
  const RunRecord& run = in.run;
  const Derived d = Derive(doc);
  std::string h;
  h.reserve(64 * 1024);
  auto E = [](const std::string& s) { return EscapeHtml(s); };

  const std::string started = run.started_at.empty() ? doc.run.started_at : run.started_at;
  h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
       "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
       // Belt and braces: even if a value escaped escaping, the browser may load nothing.
       "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
       "style-src 'unsafe-inline'; img-src data:\">"
       "<title>credsweep report " + E(started.substr(0, 10)) + " — " + E(doc.run.directory) +
       "</title><style>" + kCss + "</style></head><body><main>\n";

  // Header.
  h += "<header><h1>Credential hygiene report";
  h += run.apply ? "<span class=\"mode mode-apply\">changes applied</span>"
                 : "<span class=\"mode mode-dry\">dry run — nothing changed</span>";
  h += "</h1><div class=\"sub\">Directory <b>" + E(doc.run.directory) + "</b> · run " +
       E(run.id) + " · started " + E(started) + " (UTC) · " + Num(doc.run.accounts_checked) +
       " accounts checked</div></header>\n";

  // Summary cards.
  uint64_t crit = 0, high = 0;
  for (const Finding* f : d.active) {
    crit += f->severity == "critical";
    high += f->severity == "high";
  }
  uint64_t leaked_accounts = 0;
  for (const auto& c : d.leaked) leaked_accounts += c.members.size();
  auto card = [&](const std::string& k, uint64_t v, bool alert) {
    h += std::string("<div class=\"card") + (alert && v > 0 ? " alert" : "") +
         "\"><div class=\"v\">" + Num(v) + "</div><div class=\"k\">" + k + "</div></div>";
  };
  h += "<section id=\"summary\"><div class=\"cards\">";
  card("accounts checked", doc.run.accounts_checked, false);
  card("open findings", d.active.size(), false);
  card("critical / high", crit + high, true);
  card("accounts with leaked password", leaked_accounts, true);
  card("waived findings", d.waived.size(), false);
  h += "</div></section>\n";

  // Findings per requirement and severity.
  h += "<section id=\"requirements\"><h2>Findings per requirement</h2><table><thead><tr>"
       "<th>Requirement</th><th>What it asks</th>";
  for (const char* s : kSeverities) h += std::string("<th class=\"n\">") + s + "</th>";
  h += "<th class=\"n\">total</th></tr></thead><tbody>";
  for (const auto& req : kRequirements) {
    auto it = d.per_req_sev.find(req.id);
    uint64_t total = 0;
    h += std::string("<tr><td><b>") + req.id + "</b></td><td>" + req.title + "</td>";
    for (const char* s : kSeverities) {
      uint64_t n = 0;
      if (it != d.per_req_sev.end()) {
        auto jt = it->second.find(s);
        if (jt != it->second.end()) n = jt->second;
      }
      total += n;
      h += n ? "<td class=\"n\">" + Num(n) + "</td>" : "<td class=\"n zero\">0</td>";
    }
    h += "<td class=\"n\"><b>" + Num(total) + "</b></td></tr>";
  }
  h += "</tbody></table>";
  h += "<h3>Per rule</h3><table><thead><tr><th>Rule</th><th>Requirement</th><th>Severity</th>"
       "<th class=\"n\">open</th><th class=\"n\">waived</th></tr></thead><tbody>";
  std::map<std::string, uint64_t> waived_rule;
  for (const Finding* f : d.waived) ++waived_rule[f->rule];
  std::vector<std::string> rule_order;
  for (const auto& [rule, n] : doc.run.counts) rule_order.push_back(rule);
  for (const auto& [rule, req] : d.rule_req) {
    if (std::find(rule_order.begin(), rule_order.end(), rule) == rule_order.end()) {
      rule_order.push_back(rule);
    }
  }
  for (const std::string& rule : rule_order) {
    const uint64_t open = d.per_rule.count(rule) ? d.per_rule.at(rule) : 0;
    const uint64_t waived = waived_rule.count(rule) ? waived_rule.at(rule) : 0;
    const std::string req = d.rule_req.count(rule) ? d.rule_req.at(rule) : "";
    const std::string sev = d.rule_sev.count(rule) ? d.rule_sev.at(rule) : "";
    h += "<tr><td><span class=\"rule\">" + E(rule) + "</span></td><td>" + E(req) + "</td><td>" +
         (sev.empty() ? std::string("<span class=\"muted\">—</span>") : Badge(sev)) + "</td>" +
         (open ? "<td class=\"n\">" + Num(open) + "</td>" : "<td class=\"n zero\">0</td>") +
         (waived ? "<td class=\"n\">" + Num(waived) + "</td>" : "<td class=\"n zero\">0</td>") +
         "</tr>";
  }
  h += "</tbody></table></section>\n";

  // Leaked passwords ranked by risk.
  h += "<section id=\"leaked\"><h2>Leaked passwords, ranked by risk (S12)</h2>"
       "<p class=\"note\">Each row is one password found in the breach corpus, identified only by "
       "the accounts that use it — the password itself is never shown or stored. Risk weighs "
       "how often it appears in breaches and how much the accounts can do.</p>";
  if (d.leaked.empty()) {
    h += "<p class=\"ok\">No account uses a leaked password.</p>";
  } else {
    h += "<table><thead><tr><th>#</th><th>Password</th><th class=\"n\">seen in breaches</th>"
         "<th>Accounts using it</th><th class=\"n\">risk</th></tr></thead><tbody>";
    size_t rank = 0;
    for (const LeakedCluster& c : d.leaked) {
      if (rank >= kMaxRows) break;
      const bool empty = c.members.front()->rule == "empty-password";
      h += "<tr><td>" + std::to_string(rank + 1) + "</td><td>" +
           (empty ? std::string("<i>empty password</i>") : "Password " + Letters(rank)) +
           "</td><td class=\"n\">" +
           (empty || !c.prevalence ? std::string("—")
                                   : EscapeHtml(PrevalenceBandLabel(*c.prevalence))) +
           "</td><td>";
      for (const Finding* f : c.members) {
        h += AccountCell(f->account, f->display_name) + "<span class=\"cls cls-" +
             AccountClassName(f->account_class) + "\">" + AccountClassName(f->account_class) +
             "</span>";
        if (f->history) h += "<span class=\"cls\">previous password</span>";
        if (!f->enabled) h += "<span class=\"cls\">disabled</span>";
        h += "<br>";
      }
      char risk[32];
      std::snprintf(risk, sizeof risk, "%.1f", c.risk);
      h += std::string("</td><td class=\"n\">") + risk + "</td></tr>";
      ++rank;
    }
    h += "</tbody></table>";
  }
  h += "</section>\n";

  // Shared-password groups.
  h += "<section id=\"shared\"><h2>Shared passwords (K9, S6)</h2>";
  if (d.shared.empty()) {
    h += "<p class=\"ok\">No two accounts share a password.</p>";
  } else {
    h += "<table><thead><tr><th>Group</th><th class=\"n\">accounts</th><th>Accounts</th>"
         "</tr></thead><tbody>";
    for (const SharedGroup& g : d.shared) {
      h += "<tr><td>" + E(g.label) +
           (g.admin ? " <span class=\"cls cls-privileged\">admin shares with non-admin</span>"
                    : std::string()) +
           "</td><td class=\"n\">" + Num(g.members.size()) + "</td><td>";
      for (const Finding* f : g.members) {
        h += AccountCell(f->account, f->display_name) + "<span class=\"cls cls-" +
             AccountClassName(f->account_class) + "\">" + AccountClassName(f->account_class) +
             "</span><br>";
      }
      h += "</td></tr>";
    }
    h += "</tbody></table>";
  }
  h += "</section>\n";

  // Privileged and external account tables.
  auto account_table = [&](const char* id, const char* title, const char* cls,
                           const char* none) {
    h += std::string("<section id=\"") + id + "\"><h2>" + title + "</h2>";
    std::vector<const AccountSummary*> rows;
    for (const AccountSummary& a : doc.accounts) {
      const bool is = AccountClassName(a.account_class) == std::string(cls) ||
                      std::find(a.classes.begin(), a.classes.end(), cls) != a.classes.end();
      if (is) rows.push_back(&a);
    }
    if (rows.empty()) {
      h += std::string("<p class=\"muted\">") + none + "</p></section>\n";
      return;
    }
    h += "<table><thead><tr><th>Account</th><th>Enabled</th><th class=\"n\">auth level</th>"
         "<th>Owner / sponsor</th><th>Open findings</th></tr></thead><tbody>";
    for (const AccountSummary* a : rows) {
      auto it = d.by_account.find(a->account);
      h += "<tr><td>" + AccountCell(a->account, a->display_name) + "<div class=\"mono muted\">" +
           E(a->dn) + "</div></td><td>" + (a->enabled ? "yes" : "<span class=\"muted\">no</span>") +
           "</td><td class=\"n\">" + (a->auth_level ? std::to_string(a->auth_level) : "—") +
           "</td><td>" + (a->owner_mail.empty() ? "<span class=\"muted\">none</span>"
                                                : E(a->owner_mail)) +
           "</td><td>" + RulesCell(it == d.by_account.end() ? nullptr : &it->second) +
           "</td></tr>";
    }
    h += "</tbody></table></section>\n";
  };
  account_table("privileged", "Privileged accounts (S6)", "privileged",
                "No privileged accounts were identified.");
  account_table("external", "External accounts (K5)", "external",
                "No external accounts were identified.");

  // Actions.
  const ActionCounts& a = run.actions;
  h += "<section id=\"actions\"><h2>Actions taken</h2><div class=\"cards\">";
  card(run.apply ? "forced to change" : "would be forced (dry run)",
       run.apply ? a.forced : a.planned, false);
  card("owners notified", a.notified, false);
  card(run.apply ? "messages pending" : "messages in outbox", a.outbox, false);
  card("skipped", a.skipped, false);
  card("failed", a.failed, true);
  h += "</div>";
  if (!run.stages.empty()) {
    h += "<table><thead><tr><th>Stage</th><th>State</th><th>Detail</th></tr></thead><tbody>";
    for (const StageOutcome& s : run.stages) {
      h += "<tr><td>" + E(s.name) + "</td><td>" + E(s.state) + "</td><td>" + E(s.message) +
           "</td></tr>";
    }
    h += "</tbody></table>";
  }
  if (!in.actions.empty()) {
    h += "<table><thead><tr><th>Account</th><th>Rule</th><th>Action</th><th>Result</th></tr>"
         "</thead><tbody>";
    size_t n = 0;
    for (const ActionRow& r : in.actions) {
      if (n++ >= kMaxRows) break;
      h += "<tr><td><span class=\"acct\">" + E(r.account) + "</span></td><td>" +
           (r.rule.empty() ? "" : "<span class=\"rule\">" + E(r.rule) + "</span>") + "</td><td>" +
           E(r.action) + (r.target.empty() ? "" : " → " + E(r.target)) + "</td><td>" +
           E(r.result) + "</td></tr>";
    }
    h += "</tbody></table>";
    if (in.actions.size() > kMaxRows) {
      h += "<p class=\"note\">" + Num(in.actions.size() - kMaxRows) +
           " more actions are in the action log.</p>";
    }
  }
  h += "</section>\n";

  // Trend.
  h += "<section id=\"trend\"><h2>Month over month</h2>" + TrendSvg(in.history);
  h += "<table><thead><tr><th>Run (UTC)</th><th>Mode</th><th class=\"n\">accounts</th>"
       "<th class=\"n\">open findings</th><th class=\"n\">leaked</th><th class=\"n\">forced</th>"
       "<th class=\"n\">notified</th><th>Corpus</th></tr></thead><tbody>";
  for (auto it = in.history.rbegin(); it != in.history.rend(); ++it) {
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
  if (in.history.size() >= 2) {
    int64_t worst_gap_days = 0;
    for (size_t i = 1; i < in.history.size(); ++i) {
      Result<int64_t> t0 = ParseUtcIso(in.history[i - 1].started_at);
      Result<int64_t> t1 = ParseUtcIso(in.history[i].started_at);
      if (t0.ok() && t1.ok()) worst_gap_days = std::max(worst_gap_days, (*t1 - *t0) / 86400);
    }
    h += "<p class=\"note\">" + Num(in.history.size()) + " recorded runs since " +
         E(in.history.front().started_at.substr(0, 10)) + "; longest gap between runs: " +
         Num(static_cast<uint64_t>(worst_gap_days)) + " days" +
         (worst_gap_days <= 31 ? " (checked at least monthly)." : " — more than a month.") + "</p>";
  }
  h += "</section>\n";

  // Waived findings.
  h += "<section id=\"waived\"><h2>Waived findings (exceptions register)</h2>";
  if (d.waived.empty()) {
    h += "<p class=\"muted\">No finding is waived.</p>";
  } else {
    h += "<p class=\"note\">Approved exceptions from the configuration's [[exceptions]]. A "
         "waiver ends at the end of its expiry day (UTC); the finding then counts again.</p>"
         "<table><thead><tr><th>Account</th><th>Rule</th><th>Reason</th><th>Approved by</th>"
         "<th>Expires</th></tr></thead><tbody>";
    for (const Finding* f : d.waived) {
      h += "<tr><td>" + AccountCell(f->account, f->display_name) +
           "</td><td><span class=\"rule\">" + E(f->rule) + "</span></td><td>" +
           E(f->waiver_reason) + "</td><td>" + E(f->waiver_approved_by) + "</td><td>" +
           E(f->waiver_expires) + "</td></tr>";
    }
    h += "</tbody></table>";
  }
  h += "</section>\n";

  // Every finding.
  h += "<section id=\"findings\"><h2>All open findings</h2>";
  if (d.active.empty()) {
    h += "<p class=\"ok\">No open findings.</p>";
  } else {
    h += "<table><thead><tr><th>Severity</th><th>Req.</th><th>Rule</th><th>Account</th>"
         "<th>Detail</th></tr></thead><tbody>";
    size_t n = 0;
    for (const Finding* f : d.active) {
      if (n++ >= kMaxRows) break;
      h += "<tr><td>" + Badge(f->severity) + "</td><td>" + E(f->requirement) +
           "</td><td><span class=\"rule\">" + E(f->rule) + "</span></td><td>" +
           AccountCell(f->account, f->display_name) + (f->enabled ? "" : " <span class=\"cls\">disabled</span>") +
           "</td><td>" + E(f->detail) + "</td></tr>";
    }
    h += "</tbody></table>";
    if (d.active.size() > kMaxRows) {
      h += "<p class=\"note\">" + Num(d.active.size() - kMaxRows) +
           " more findings are in findings.csv beside this report.</p>";
    }
  }
  h += "</section>\n";

  // Evidence.
  h += "<section id=\"evidence\"><h2>Evidence</h2><dl class=\"ev\">";
  auto ev = [&](const std::string& k, const std::string& v_html) {
    h += "<dt>" + k + "</dt><dd>" + v_html + "</dd>";
  };
  ev("Run id", "<span class=\"mono\">" + E(run.id) + "</span>");
  ev("Started (UTC)", E(started));
  ev("Finished (UTC)", E(run.finished_at.empty() ? doc.run.finished_at : run.finished_at));
  ev("Mode", run.apply ? "applied (changes written, mail sent)" : "dry run (nothing changed)");
  ev("Directory", E(doc.run.directory) + (doc.run.flavor.empty() ? "" : " (" + E(doc.run.flavor) + ")"));
  ev("Accounts checked", Num(doc.run.accounts_checked));
  ev("Hash records loaded", Num(doc.run.hashes_loaded));
  if (!doc.run.skipped_entries.empty()) {
    std::string sk = Num(doc.run.skipped_entries.size()) + " entries could not be read:<br>";
    size_t n = 0;
    for (const auto& [dn, reason] : doc.run.skipped_entries) {
      if (n++ >= 20) {
        sk += "…<br>";
        break;
      }
      sk += "<span class=\"mono\">" + E(dn) + "</span> — " + E(reason) + "<br>";
    }
    ev("Skipped entries", sk);
  }
  ev("Corpus store", "<span class=\"mono\">" + E(doc.run.store) + "</span>");
  std::string sources;
  for (const auto& s : doc.run.corpus_sources) {
    sources += "<b>" + E(s.name) + "</b> version " + E(s.version) + " · " + Num(s.lines) +
               " lines · imported " + E(s.imported_at) + "<br>";
  }
  ev("Corpus sources", sources.empty() ? "<span class=\"muted\">none recorded</span>" : sources);
  if (!in.log_path.empty()) {
    ev("Action log", "<span class=\"mono\">" + E(in.log_path) + "</span>");
    ev("Log head hash", run.log_head_hash.empty()
                            ? std::string("<span class=\"muted\">no entries yet (a dry run "
                                          "writes none)</span>")
                            : "<span class=\"mono\">" + E(run.log_head_hash) + "</span>");
    // --expect-head pins the head recorded here, so entries deleted from the end also show.
    std::string cmd = "credsweep log verify --log " + in.log_path + " --pubkey " +
                      (in.log_pubkey_path.empty() ? std::string("PUBLIC_KEY_FILE")
                                                  : in.log_pubkey_path);
    if (!run.log_head_hash.empty()) cmd += " --expect-head " + run.log_head_hash;
    ev("Verify the log", "<pre>" + E(cmd) + "</pre>The command exits 0 when every entry is "
                         "intact, signed by the key, and the head recorded by this run is "
                         "still in the log.");
  }
  ev("Report generated (UTC)", E(in.generated_at));
  h += "</dl></section>\n";
  h += "<footer>credsweep · every time in this report is UTC · this file is self-contained "
       "and names accounts: keep it as confidential as the directory itself.</footer>\n";
  h += "</main></body></html>\n";
  return h;
}

std::string RenderReportJson(const ReportInput& in) {
  const Derived d = Derive(in.findings);
  json j{{"format", "credsweep-report"}, {"version", 1}, {"generated_at", in.generated_at}};
  j["run"] = json::parse(RunRecordToJson(in.run));
  json reqs = json::object();
  for (const auto& req : kRequirements) {
    json r = json::object();
    for (const char* s : kSeverities) {
      uint64_t n = 0;
      auto it = d.per_req_sev.find(req.id);
      if (it != d.per_req_sev.end() && it->second.count(s)) n = it->second.at(s);
      r[s] = n;
    }
    reqs[req.id] = r;
  }
  j["requirements"] = reqs;
  j["leaked_passwords"] = json::array();
  for (const LeakedCluster& c : d.leaked) {
    json accounts = json::array();
    for (const Finding* f : c.members) accounts.push_back(f->account);
    // The band, never the exact count (engine/model/prevalence.h).
    json prevalence = c.prevalence ? json(PrevalenceBandLabel(*c.prevalence)) : json(nullptr);
    j["leaked_passwords"].push_back(
        {{"prevalence", prevalence}, {"risk", c.risk}, {"accounts", accounts}});
  }
  j["shared_groups"] = json::array();
  for (const SharedGroup& g : d.shared) {
    json accounts = json::array();
    for (const Finding* f : g.members) accounts.push_back(f->account);
    j["shared_groups"].push_back({{"group", g.label}, {"admin", g.admin}, {"accounts", accounts}});
  }
  j["waived"] = json::array();
  for (const Finding* f : d.waived) {
    j["waived"].push_back({{"account", f->account},
                           {"rule", f->rule},
                           {"reason", f->waiver_reason},
                           {"approved_by", f->waiver_approved_by},
                           {"expires", f->waiver_expires}});
  }
  j["history"] = json::array();
  for (const RunRecord& r : in.history) {
    j["history"].push_back({{"id", r.id},
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
