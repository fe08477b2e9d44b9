// The pure half of the audit (audit_job.h): facts, rules, waivers, ordering.

#include <strings.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "engine/audit/audit_job.h"
#include "engine/audit/classifier.h"
#include "engine/audit/guess_stage.h"
#include "engine/audit/owners.h"
#include "engine/audit/rules.h"
#include "engine/audit/waivers.h"
#include "engine/base/ascii.h"
#include "engine/base/file_util.h"
#include "engine/base/nt_hash.h"
#include "engine/base/secure_array.h"
#include "engine/base/time_util.h"

namespace credsweep {
namespace {

// Authentication level after the Norwegian framework (levels 1-4), from what the directory
// knows. A leaked or empty password is a factor "worth nothing" (DESIGN.md): empty = 0 (no
// factor at all), leaked = 1; one sound static password = 2; a second factor (member of an
// [auth] mfa_group) adds one level; SMARTCARD_REQUIRED means logon by card + PIN, where AD sets
// a random password: 4 when smartcard_counts_as_pki, else 3. An account with no hash on record
// is assumed to have a sound password (2): no evidence against it.
int AuthLevel(const AccountFacts& f, bool smartcard_counts_as_pki) {
  if (f.account->uac & kUacSmartcardRequired) return smartcard_counts_as_pki ? 4 : 3;
  const bool password_sound = !f.empty_password && !f.leaked_count;
  if (f.in_mfa_group) return password_sound ? 3 : 2;
  if (password_sound) return 2;
  return f.empty_password ? 0 : 1;
}

// Privilege weight for risk ordering of leaked findings (audit_job.h).
double RiskWeight(const Finding& f) {
  double w = 2;
  switch (f.account_class) {
    case AccountClass::kPrivileged:
    case AccountClass::kProtected: w = 10; break;
    case AccountClass::kService: w = 5; break;
    case AccountClass::kComputer: w = 1; break;
    default: break;
  }
  return f.enabled ? w : w / 2;
}

bool IsDisabled(const Config& cfg, const char* id) {
  return std::find(cfg.rules.disabled.begin(), cfg.rules.disabled.end(), id) !=
         cfg.rules.disabled.end();
}

// True when the account is (nested) in Protected Users: the group with RID 525, or by name
// where the snapshot carries no SIDs (LDIF exports without objectSid).
bool InProtectedUsers(const DirectoryIndex& index, size_t i) {
  for (const Group* g : index.GroupObjects(i)) {
    if ((g->rid && *g->rid == 525) || strcasecmp(g->name.c_str(), "Protected Users") == 0) {
      return true;
    }
  }
  return false;
}

// Whether an account counts for hash coverage (audit_job.h): enabled, not a computer or trust
// account (their passwords are machine-set), and — on OpenLDAP — a sambaSamAccount (only those
// carry sambaNTPassword). An account flagged PASSWD_NOTREQD counts only when it has a hash:
// it may legitimately have none.
bool ExpectsPassword(const Account& a, DirectoryFlavor flavor, bool has_hash) {
  constexpr uint32_t kTrustBits =
      0x0800 /*INTERDOMAIN_TRUST_ACCOUNT*/ | kUacWorkstationTrustAccount | kUacServerTrustAccount;
  if (!a.enabled || a.is_computer || (a.uac & kTrustBits)) return false;
  if ((a.uac & kUacPasswdNotReqd) && !has_hash) return false;
  if (flavor == DirectoryFlavor::kOpenLdap) {
    return std::any_of(a.object_classes.begin(), a.object_classes.end(),
                       [](const std::string& c) { return ToLower(c) == "sambasamaccount"; });
  }
  return true;
}

// Joins a helper thread on every way out of RunAuditOnRecords, error returns included.
struct JoinOnExit {
  std::thread& t;
  ~JoinOnExit() {
    if (t.joinable()) t.join();
  }
};

struct JoinedHashes {
  const NtHash* current = nullptr;
  bool lm = false;
  std::vector<const NtHash*> history;
};

}  // namespace

Result<FindingsDocument> RunAudit(const Config& cfg, const DirectorySnapshot& snapshot,
                                  const HashDump& hashes, const CorpusStore* store,
                                  int64_t now_unix, AuditScope scope) {
  return RunAuditOnRecords(cfg, snapshot, hashes.records(), store, now_unix, scope);
}

Result<FindingsDocument> RunAudit(const Config& cfg, DirectorySnapshot&& snapshot,
                                  const HashDump& hashes, const CorpusStore* store,
                                  int64_t now_unix, AuditScope scope) {
  return RunAuditOnRecords(cfg, snapshot, hashes.records(), store, now_unix, scope, &snapshot);
}

Result<FindingsDocument> RunAuditOnRecords(const Config& cfg, const DirectorySnapshot& snapshot,
                                           std::span<const HashRecord> records,
                                           const CorpusStore* store, int64_t now_unix,
                                           AuditScope scope, DirectorySnapshot* consume) {
  CS_RETURN_IF_ERROR(ValidateRuleIds(cfg));
  const bool leak_rule_on = !IsDisabled(cfg, "leaked-password");
  if (leak_rule_on && store == nullptr) {
    // Fail closed: without a store we cannot say "not leaked".
    return Status::FailedPrecondition(
        "no corpus store is open, so leaked passwords cannot be checked; set [store] path and "
        "run `credsweep corpus import`, or disable the rule in [rules] disabled");
  }
  OwnerMap owner_map;
  if (!cfg.classify.owner_map.empty()) {
    Result<std::string> text = ReadFile(cfg.classify.owner_map);
    if (!text.ok()) {
      return Status::InvalidArgument(cfg.origin + ": [classify] owner_map: " +
                                     text.status().message());
    }
    CS_ASSIGN_OR_RETURN(owner_map, ParseOwnerMap(*text, cfg.classify.owner_map));
  }
  CS_ASSIGN_OR_RETURN(std::unique_ptr<Classifier> classifier, Classifier::Create(cfg));
  AuditFacts facts;
  facts.cfg = &cfg;
  facts.now = now_unix;
  facts.flavor = snapshot.flavor;
  facts.logon_times_known = false;
  const size_t n = snapshot.accounts.size();
  facts.accounts.resize(n);
  for (size_t i = 0; i < n; ++i) {
    facts.accounts[i].account = &snapshot.accounts[i];
    facts.accounts[i].index = i;
  }

  // Two independent halves, one per core (issue 11: this part was one thread at 100 000
  // accounts while the other core idled). This thread builds the directory index and
  // classifies; the second joins the hash records to accounts by name, looks them up in the
  // corpus, counts coverage and groups shared passwords. They write different fields of each
  // AccountFacts (the second: the hash-derived ones and shared_group) and meet below.
  // Keyed by views into the snapshot's own strings, folded on the fly: no lower-cased copy of
  // every name (per-account string churn).
  std::unordered_map<std::string_view, size_t, CaseFoldHash, CaseFoldEqual> by_name;
  std::unordered_map<uint32_t, size_t> by_rid;
  std::vector<JoinedHashes> joined(n);
  uint64_t unmatched = 0;
  uint64_t without_hash = 0;
  std::vector<size_t> with_hash;
  HashMaterialInfo doc_run_hash_material;
  doc_run_hash_material.min_coverage = cfg.hashes.min_coverage;
  Status looked_up;
  auto join_and_look_up = [&]() -> Status {
    by_name.reserve(n);
    by_rid.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      const Account& a = snapshot.accounts[i];
      by_name.emplace(a.name, i);
      if (a.rid) by_rid.emplace(*a.rid, i);
    }
    // Join: name first (case-insensitive), RID only when the name matches nobody.
    size_t to_check = 0;
    for (const HashRecord& r : records) {
      if (r.nt == nullptr) continue;
      size_t idx = n;
      // HashDump strips "DOMAIN\" already; strip again so plain records join the same way.
      std::string_view name = r.account;
      if (const size_t slash = name.rfind('\\'); slash != std::string_view::npos) {
        name.remove_prefix(slash + 1);
      }
      if (auto it = by_name.find(name); it != by_name.end()) {
        idx = it->second;
      } else if (r.rid) {
        if (auto it2 = by_rid.find(*r.rid); it2 != by_rid.end()) idx = it2->second;
      }
      if (idx == n) {
        if (r.history_index == 0) ++unmatched;
        continue;
      }
      JoinedHashes& j = joined[idx];
      if (r.history_index == 0) {
        if (j.current != nullptr) continue;  // a duplicate line: the first one counts
        j.current = r.nt;
        j.lm = r.lm != nullptr;
        ++to_check;
      } else if (cfg.rules.check_history) {
        j.history.push_back(r.nt);
        ++to_check;
      }
    }

    // One corpus batch for every hash to check.
    if (leak_rule_on && to_check > 0) {
      SecureArray<NtHash> batch(to_check);
      if (!batch.ok()) return Status::Internal("cannot allocate secure memory for the lookup batch");
      size_t k = 0;
      for (const JoinedHashes& j : joined) {
        if (j.current) batch.data()[k++] = *j.current;
        for (const NtHash* h : j.history) batch.data()[k++] = *h;
      }
      std::vector<LookupResult> results;
      CS_RETURN_IF_ERROR(store->LookupBatch(batch.span(), &results).WithContext(
          "looking up account hashes in the corpus store"));
      if (results.size() != to_check) {
        return Status::Internal("corpus store returned " + std::to_string(results.size()) +
                                " results for " + std::to_string(to_check) + " hashes");
      }
      k = 0;
      const uint64_t min = cfg.rules.leaked_min_count;
      for (size_t i = 0; i < n; ++i) {
        AccountFacts& f = facts.accounts[i];
        if (joined[i].current) {
          const LookupResult& lr = results[k++];
          // The empty password is reported by empty-password, which says more.
          if (lr.found && lr.count >= min && *joined[i].current != kEmptyNtHash) {
            f.leaked_count = lr.count;
          }
        }
        for (size_t h = 0; h < joined[i].history.size(); ++h) {
          const LookupResult& lr = results[k++];
          if (lr.found && lr.count >= min) {
            ++f.history_leaked;
            f.history_max_count = std::max(f.history_max_count, lr.count);
          }
        }
      }
    }

    HashMaterialInfo& coverage = doc_run_hash_material;
    for (size_t i = 0; i < n; ++i) {
      AccountFacts& f = facts.accounts[i];
      f.has_hash = joined[i].current != nullptr;
      if (ExpectsPassword(snapshot.accounts[i], snapshot.flavor, f.has_hash)) {
        ++coverage.accounts_expected;
        if (f.has_hash) ++coverage.accounts_covered;
      }
      if (!f.has_hash) {
        ++without_hash;
        continue;
      }
      with_hash.push_back(i);
      f.empty_password = *joined[i].current == kEmptyNtHash;
      f.lm_stored = joined[i].lm;
    }

    // Shared passwords: sort by hash, runs of 2+ are groups. Only indices leave this block.
    std::vector<size_t>& by_hash = with_hash;  // sorted in place: only its size is used later
    std::sort(by_hash.begin(), by_hash.end(), [&](size_t a, size_t b) {
      return NtHashLess(*joined[a].current, *joined[b].current);
    });
    std::vector<std::vector<size_t>> groups;
    for (size_t s = 0; s < by_hash.size();) {
      size_t e = s + 1;
      while (e < by_hash.size() && *joined[by_hash[e]].current == *joined[by_hash[s]].current) ++e;
      if (e - s >= 2) {
        std::vector<size_t> members(by_hash.begin() + s, by_hash.begin() + e);
        std::sort(members.begin(), members.end(), [&](size_t a, size_t b) {
          return ToLower(snapshot.accounts[a].name) < ToLower(snapshot.accounts[b].name);
        });
        groups.push_back(std::move(members));
      }
      s = e;
    }
    std::sort(groups.begin(), groups.end(), [&](const auto& a, const auto& b) {
      if (a.size() != b.size()) return a.size() > b.size();
      return ToLower(snapshot.accounts[a[0]].name) < ToLower(snapshot.accounts[b[0]].name);
    });
    for (size_t g = 0; g < groups.size(); ++g) {
      SharedGroup sg;
      sg.label = "shared-password group " + std::to_string(g + 1) + " (" +
                 std::to_string(groups[g].size()) + " accounts)";
      sg.members = groups[g];
      for (size_t m : sg.members) facts.accounts[m].shared_group = g;
      facts.shared_groups.push_back(std::move(sg));
    }
    return Status::Ok();
  };
  std::thread joiner([&] { looked_up = join_and_look_up(); });
  JoinOnExit join_joiner{joiner};

  // Optional so it can go as soon as owners are resolved (see below).
  std::optional<DirectoryIndex> index(std::in_place, snapshot);
  for (size_t i = 0; i < n; ++i) {
    const Account& a = snapshot.accounts[i];
    AccountFacts& f = facts.accounts[i];
    f.cls = classifier->Classify(*index, a, i);
    if (a.last_logon) facts.logon_times_known = true;
    f.in_it_staff = !cfg.classify.it_staff_group.empty() &&
                    index->InGroup(i, cfg.classify.it_staff_group);
    f.in_mfa_group = !index->FirstGroup(i, cfg.auth.mfa_groups).empty();
    f.in_protected_users = InProtectedUsers(*index, i);
    for (const auto& [group, level] : cfg.auth.required_level) {
      if (level > f.required_level && index->InGroup(i, group)) {
        f.required_level = level;
        f.required_by = group;
      }
    }
  }

  // Accounts by employee ID, for linking an admin account to the person's daily one: only the
  // IDs that privileged accounts carry are collected (a handful), in account order.
  std::unordered_map<std::string_view, std::vector<size_t>> by_employee_id;
  for (size_t i = 0; i < n; ++i) {
    const Account& a = snapshot.accounts[i];
    if (facts.accounts[i].cls.is_privileged && !a.employee_id.empty()) {
      by_employee_id.emplace(a.employee_id, std::vector<size_t>());
    }
  }
  if (!by_employee_id.empty()) {
    for (size_t i = 0; i < n; ++i) {
      const std::string& id = snapshot.accounts[i].employee_id;
      if (id.empty()) continue;
      if (auto it = by_employee_id.find(id); it != by_employee_id.end()) it->second.push_back(i);
    }
  }

  joiner.join();
  CS_RETURN_IF_ERROR(looked_up);

  // Targeted guessing over the same hashes (joined history is empty unless check_history).
  std::vector<GuessTarget> targets(n);
  for (size_t i = 0; i < n; ++i) {
    targets[i].name = snapshot.accounts[i].name;
    targets[i].is_computer = facts.accounts[i].cls.is_computer;
    targets[i].current = joined[i].current;
    targets[i].history = joined[i].history;
  }
  CS_RETURN_IF_ERROR(RunGuessStage(cfg, snapshot, targets, now_unix, &facts));

  // Linked daily accounts, authentication levels, owners.
  for (size_t i = 0; i < n; ++i) {
    AccountFacts& f = facts.accounts[i];
    const Account& a = snapshot.accounts[i];
    f.person_in_it_staff = f.in_it_staff;
    if (f.cls.is_privileged) {
      std::optional<size_t> daily;
      if (!f.cls.admin_link.empty()) {
        if (auto it = by_name.find(std::string_view(f.cls.admin_link));
            it != by_name.end() && it->second != i && !facts.accounts[it->second].cls.is_privileged) {
          daily = it->second;
        }
      }
      if (!daily && !a.employee_id.empty()) {
        for (size_t other : by_employee_id.at(a.employee_id)) {
          if (other != i && !facts.accounts[other].cls.is_privileged) {
            daily = other;
            break;
          }
        }
      }
      if (daily) {
        f.linked_daily_account = snapshot.accounts[*daily].name;
        // The person's job decides (S6): their daily account's IT-staff membership counts.
        f.person_in_it_staff = f.person_in_it_staff || facts.accounts[*daily].in_it_staff;
      }
    }
    f.auth_level = AuthLevel(f, cfg.auth.smartcard_counts_as_pki);
    Owner o = ResolveOwner(*index, snapshot, i, owner_map);
    f.owner_mail = o.mail;
    f.owner_source = o.source;
  }
  // From here on only the facts are read. A second thread frees the lookup structures, which
  // this one no longer touches (~0.08 s at 100 000 accounts, off the critical path), while this
  // one runs the rules; then it builds the account summaries while this one orders the
  // findings, taking what it can from the facts and freeing them as it goes, so facts,
  // findings and summaries are never all held at once (issue 11: ~50 MB each at 100 000
  // accounts).
  std::thread freer([&] {
    index.reset();
    by_name = {};
    by_rid = {};
    by_employee_id = {};
    joined = {};
    targets = {};
  });
  JoinOnExit join_freer{freer};

  FindingsDocument doc;
  // Room for one finding per account up front: growing by doubling from nothing held the old
  // and the new array at once (~100 MB at 100 000 accounts); beyond that it still grows.
  doc.findings.reserve(n);
  std::vector<const RuleSpec*> ran;
  for (const RuleSpec& rule : AllRules()) {
    if (IsDisabled(cfg, rule.id)) continue;
    ran.push_back(&rule);
    rule.run(rule, facts, &doc.findings);
  }
  ApplyExceptions(cfg.exceptions, now_unix, &doc.findings);
  // A delta reports on the accounts whose password came back, nothing else. The rules still
  // ran over the whole snapshot (owners, linked daily accounts and groups need it).
  const bool delta = scope == AuditScope::kDelta;
  if (delta) {
    std::unordered_set<std::string> in_scope;
    for (size_t i = 0; i < n; ++i) {
      if (facts.accounts[i].has_hash) in_scope.insert(snapshot.accounts[i].dn);
    }
    std::erase_if(doc.findings, [&](const Finding& f) { return !in_scope.contains(f.dn); });
    without_hash = 0;
  }
  freer.join();
  std::vector<AccountSummary> summaries;
  std::thread summarizer([&] {
    summaries.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      AccountFacts& f = facts.accounts[i];
      const Account& a = snapshot.accounts[i];
      if (scope == AuditScope::kDelta && !f.has_hash) continue;
      AccountSummary s;
      if (consume != nullptr) {
        // Nothing reads these fields of the snapshot from here on (the name and DN maps went
        // with the freer above; findings hold their own copies).
        Account& m = consume->accounts[i];
        s.account = std::move(m.name);
        s.dn = std::move(m.dn);
        s.display_name = std::move(m.display_name);
        s.mail = std::move(m.mail);
        s.object_id = std::move(m.object_id);
      } else {
        s.account = a.name;
        s.dn = a.dn;
        s.display_name = a.display_name;
        s.mail = a.mail;
        s.object_id = a.object_id;
      }
      s.enabled = a.enabled;
      s.account_class = f.cls.primary;
      s.classes = std::move(f.cls.labels);
      s.smartcard_required = (a.uac & kUacSmartcardRequired) != 0;
      s.owner_mail = std::move(f.owner_mail);
      s.owner_source = std::move(f.owner_source);
      s.auth_level = f.auth_level;
      s.pwd_last_set = a.pwd_last_set;
      summaries.push_back(std::move(s));
      f = AccountFacts();  // its strings and vectors go as the summaries grow
    }
    facts.accounts = {};
  });
  JoinOnExit join_summarizer{summarizer};

  // Order (audit_job.h) on precomputed keys: comparing Findings directly would re-lower-case
  // names and rescan the rule list on every comparison.
  struct SortKey {
    int severity;
    size_t rule;
    bool history;
    double risk;  // negated: highest risk first
    std::string_view group;    // views into the findings, which stay put until keys are gone
    std::string_view account;  // compared case-insensitively (as lower-cased copies compare)
    size_t index;
  };
  std::unordered_map<std::string, size_t> rule_pos;
  for (size_t p = 0; p < ran.size(); ++p) rule_pos.emplace(ran[p]->id, p);
  std::vector<SortKey> keys;
  keys.reserve(doc.findings.size());
  for (size_t i = 0; i < doc.findings.size(); ++i) {
    const Finding& f = doc.findings[i];
    // The exact count ranks inside this process; outputs only ever see the band.
    double risk = f.prevalence ? -RiskWeight(f) * static_cast<double>(f.rank_count) : 0;
    keys.push_back({SeverityRank(f.severity), rule_pos.at(f.rule), f.history, risk,
                    f.group ? std::string_view(*f.group) : std::string_view(), f.account, i});
  }
  // Byte order of the lower-cased names, without lower-casing a copy of each (issue 11).
  auto folded_compare = [](std::string_view a, std::string_view b) {
    const size_t n = std::min(a.size(), b.size());
    for (size_t i = 0; i < n; ++i) {
      const auto x = static_cast<unsigned char>(AsciiLower(a[i]));
      const auto y = static_cast<unsigned char>(AsciiLower(b[i]));
      if (x != y) return x < y ? -1 : 1;
    }
    return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
  };
  std::sort(keys.begin(), keys.end(), [&](const SortKey& a, const SortKey& b) {
    if (std::tie(a.severity, a.rule, a.history, a.risk, a.group) !=
        std::tie(b.severity, b.rule, b.history, b.risk, b.group)) {
      return std::tie(a.severity, a.rule, a.history, a.risk, a.group) <
             std::tie(b.severity, b.rule, b.history, b.risk, b.group);
    }
    if (const int c = folded_compare(a.account, b.account); c != 0) return c < 0;
    return a.index < b.index;
  });
  // Applied in place, cycle by cycle: a second vector of findings would add ~35 MB at
  // 100 000 accounts to the audit's peak (issue 11).
  std::vector<size_t> order(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) order[i] = keys[i].index;
  keys = {};
  for (size_t start = 0; start < order.size(); ++start) {
    if (order[start] == start || order[start] == SIZE_MAX) continue;
    Finding held = std::move(doc.findings[start]);
    size_t at = start;
    while (order[at] != start) {
      doc.findings[at] = std::move(doc.findings[order[at]]);
      const size_t next = order[at];
      order[at] = SIZE_MAX;
      at = next;
    }
    doc.findings[at] = std::move(held);
    order[at] = SIZE_MAX;
  }

  RunInfo& run = doc.run;
  run.id = (delta ? "delta-" : "audit-") + FormatUtcIso(now_unix);
  run.started_at = FormatUtcIso(now_unix);
  run.finished_at = run.started_at;
  run.directory = snapshot.source;
  run.flavor = snapshot.flavor == DirectoryFlavor::kOpenLdap ? "openldap" : "ad";
  run.store = cfg.store.path;
  if (store != nullptr) {
    run.corpus_sources = store->info().sources;
  }
  run.accounts_checked = delta ? with_hash.size() : n;
  run.hashes_loaded = records.size();
  run.hashes_unmatched = unmatched;
  run.accounts_without_hash = without_hash;
  run.hash_material = doc_run_hash_material;
  for (const SkippedEntry& s : snapshot.skipped) run.skipped_entries.emplace_back(s.dn, s.reason);
  std::vector<uint64_t> counts(ran.size(), 0);
  for (const Finding& f : doc.findings) {
    if (!f.waived) ++counts[rule_pos.at(f.rule)];
  }
  for (size_t p = 0; p < ran.size(); ++p) run.counts.emplace_back(ran[p]->id, counts[p]);

  summarizer.join();
  doc.accounts = std::move(summaries);
  return doc;
}

}  // namespace credsweep
