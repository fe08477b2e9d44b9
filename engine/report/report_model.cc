#include "engine/report/report_model.h"

#include <algorithm>
#include <cmath>

#include "engine/audit/rules.h"
#include "engine/base/time_util.h"
#include "engine/report/html_report.h"

namespace credsweep {
namespace {

// How much a leaked password on this kind of account matters in the report's ranking: a leaked
// admin or service password opens more than a leaked ordinary one. (The audit orders single
// findings by weight x prevalence; the report ranks passwords, each used by several accounts,
// on a log scale so that one huge count does not drown the accounts' weights.)
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

bool HasLabel(const AccountSummary& a, AccountClass c) {
  const std::string name = AccountClassName(c);
  return a.account_class == c || std::find(a.classes.begin(), a.classes.end(), name) != a.classes.end();
}

// Open and waived findings, counts per requirement/severity/rule.
void Count(const FindingsDocument& doc, ReportModel* m) {
  std::map<std::string, RuleRow> by_rule;
  for (const Finding& f : doc.findings) {
    RuleRow& row = by_rule[f.rule];
    row.rule = f.rule;
    if (row.requirement.empty()) row.requirement = f.requirement;
    if (row.severity.empty() || SeverityRank(f.severity) < SeverityRank(row.severity)) {
      row.severity = f.severity;
    }
    if (f.waived) {
      m->waived.push_back(&f);
      ++row.waived;
      continue;
    }
    m->active.push_back(&f);
    ++row.open;
    ++m->per_req_sev[f.requirement][f.severity];
    m->by_account[f.account].push_back(&f);
    m->critical += f.severity == "critical";
    m->high += f.severity == "high";
  }
  std::stable_sort(m->active.begin(), m->active.end(), [](const Finding* a, const Finding* b) {
    if (SeverityRank(a->severity) != SeverityRank(b->severity)) {
      return SeverityRank(a->severity) < SeverityRank(b->severity);
    }
    if (a->rule != b->rule) return a->rule < b->rule;
    return a->account < b->account;
  });
  // Every rule the audit ran (its order), then any rule seen only in findings.
  for (const auto& [rule, n] : doc.run.counts) {
    auto it = by_rule.find(rule);
    m->rules.push_back(it != by_rule.end() ? it->second : RuleRow{rule, "", "", 0, 0});
    if (it != by_rule.end()) by_rule.erase(it);
  }
  for (auto& [rule, row] : by_rule) m->rules.push_back(row);
}

// Shared-password groups, keyed by the audit's label. admin-shares-password groups are listed
// too; the same label under both rules is one group. Returns account -> label (current
// passwords) for clustering the leaked ones.
std::map<std::string, std::string> GroupShared(ReportModel* m) {
  std::map<std::string, size_t> group_index;
  std::map<std::string, std::string> account_group;
  for (const Finding* f : m->active) {
    if ((f->rule != "shared-password" && f->rule != "admin-shares-password") || !f->group) continue;
    auto [it, inserted] = group_index.emplace(*f->group, m->shared.size());
    if (inserted) m->shared.push_back(SharedPasswordGroup{*f->group, {}, false});
    SharedPasswordGroup& g = m->shared[it->second];
    if (f->rule == "admin-shares-password") g.admin = true;
    const bool seen = std::any_of(g.members.begin(), g.members.end(),
                                  [&](const Finding* x) { return x->account == f->account; });
    if (!seen) g.members.push_back(f);
    if (!f->history) account_group.emplace(f->account, *f->group);
  }
  std::stable_sort(m->shared.begin(), m->shared.end(),
                   [](const SharedPasswordGroup& a, const SharedPasswordGroup& b) {
                     if (a.admin != b.admin) return a.admin;
                     return a.members.size() > b.members.size();
                   });
  return account_group;
}

// Leaked passwords: accounts known to share one password form one cluster; every other leaked
// account is its own. Risk = sum over accounts of ClassWeight x (1 + the decade of the
// prevalence band), history hits counting half, so a password used by three admins and seen a
// million times ranks first. Bands only: the risk shown reveals no more than the band.
void ClusterLeaked(const std::map<std::string, std::string>& account_group, ReportModel* m) {
  std::map<std::string, size_t> cluster_of_key;
  for (const Finding* f : m->active) {
    if (f->rule != "leaked-password" && f->rule != "empty-password") continue;
    std::string key;
    if (f->group) {
      key = *f->group;
    } else if (!f->history) {
      auto it = account_group.find(f->account);
      if (it != account_group.end()) key = it->second;
    }
    if (f->rule == "empty-password") key = "\x01empty";
    size_t idx;
    if (!key.empty() && cluster_of_key.count(key)) {
      idx = cluster_of_key[key];
    } else {
      idx = m->leaked.size();
      m->leaked.emplace_back();
      if (!key.empty()) cluster_of_key[key] = idx;
    }
    LeakedCluster& c = m->leaked[idx];
    c.members.push_back(f);
    if (f->prevalence && (!c.prevalence || *f->prevalence > *c.prevalence)) {
      c.prevalence = f->prevalence;
    }
    c.any_current = c.any_current || !f->history;
    c.empty = c.empty || f->rule == "empty-password";
  }
  for (LeakedCluster& c : m->leaked) {
    const double scale = 1.0 + (c.prevalence ? PrevalenceDecade(*c.prevalence) : 0);
    for (const Finding* f : c.members) c.risk += ClassWeight(f->account_class) * (f->history ? 0.5 : 1.0) * scale;
    m->leaked_accounts += c.members.size();
  }
  std::stable_sort(m->leaked.begin(), m->leaked.end(),
                   [](const LeakedCluster& a, const LeakedCluster& b) { return a.risk > b.risk; });
}

void GroupGuessable(ReportModel* m) {
  std::map<std::string, size_t> index;
  for (const Finding* f : m->active) {
    std::string pattern;
    if (f->rule == "guessable-password") {
      pattern = f->group.value_or("generated pattern");
    } else if (f->rule == "password-is-username") {
      pattern = "account name (password-is-username)";
    } else if (f->rule == "default-computer-password") {
      pattern = "computer's own name (default-computer-password)";
    } else {
      continue;
    }
    auto [it, inserted] = index.emplace(pattern, m->guessable.size());
    if (inserted) m->guessable.push_back({pattern, {}});
    m->guessable[it->second].members.push_back(f);
  }
  std::stable_sort(m->guessable.begin(), m->guessable.end(),
                   [](const GuessablePattern& a, const GuessablePattern& b) {
                     return a.members.size() > b.members.size();
                   });
}

std::optional<int64_t> LongestGapDays(const std::vector<const RunRecord*>& history) {
  if (history.size() < 2) return std::nullopt;
  int64_t worst = 0;
  for (size_t i = 1; i < history.size(); ++i) {
    Result<int64_t> t0 = ParseUtcIso(history[i - 1]->started_at);
    Result<int64_t> t1 = ParseUtcIso(history[i]->started_at);
    if (t0.ok() && t1.ok()) worst = std::max(worst, (*t1 - *t0) / 86400);
  }
  return worst;
}

}  // namespace

uint64_t ReportModel::OpenFor(const std::string& req, const std::string& sev) const {
  auto it = per_req_sev.find(req);
  if (it == per_req_sev.end()) return 0;
  auto jt = it->second.find(sev);
  return jt == it->second.end() ? 0 : jt->second;
}

ReportModel BuildReportModel(const ReportInput& in) {
  ReportModel m;
  m.in = &in;
  m.started_at = in.run.started_at.empty() ? in.findings.run.started_at : in.run.started_at;
  Count(in.findings, &m);
  ClusterLeaked(GroupShared(&m), &m);
  GroupGuessable(&m);
  for (const AccountSummary& a : in.findings.accounts) {
    if (HasLabel(a, AccountClass::kPrivileged)) m.privileged.push_back(&a);
    if (HasLabel(a, AccountClass::kExternal)) m.external.push_back(&a);
  }
  m.delta = in.findings.run.hash_material.changed_only;
  for (const RunRecord& r : in.history) {
    if (r.hash_material.changed_only) {
      ++m.delta_runs;
      continue;
    }
    m.full_runs.push_back(&r);
    const bool audited = std::any_of(r.stages.begin(), r.stages.end(), [](const StageOutcome& s) {
      return s.name == "audit" && s.state == "ok";
    });
    if (m.delta && audited && r.started_at <= m.started_at) m.baseline = &r;
  }
  m.longest_gap_days = LongestGapDays(m.full_runs);
  return m;
}

}  // namespace credsweep
