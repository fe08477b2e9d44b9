#include "engine/remediate/enforce.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>

#include "connectors/directory/directory_reader.h"
#include "engine/base/ascii.h"
#include "engine/base/file_util.h"
#include "engine/base/time_util.h"

namespace credsweep {
namespace {

std::string JoinRules(const std::vector<std::string>& rules) {
  std::string out;
  for (const auto& r : rules) out += (out.empty() ? "" : ",") + r;
  return out;
}

bool HasLabel(const AccountSummary& a, AccountClass c) {
  if (a.account_class == c) return true;
  const std::string name = AccountClassName(c);
  return std::find(a.classes.begin(), a.classes.end(), name) != a.classes.end();
}

// Why an account must not be forced, or nullopt when it may be. Order matters: the most
// specific reason a reader needs comes first.
std::optional<std::pair<std::string, std::string>> SkipReason(const AccountSummary& a) {
  if (HasLabel(a, AccountClass::kProtected)) {
    return std::make_pair("protected", "protected account: never changed by credsweep");
  }
  if (HasLabel(a, AccountClass::kComputer)) {
    return std::make_pair("computer", "computer account: it rotates its own password");
  }
  if (HasLabel(a, AccountClass::kService)) {
    return std::make_pair("service",
                          "service account: forcing a change would break its services; the "
                          "owner is notified instead");
  }
  if (!a.enabled) return std::make_pair("disabled", "disabled account: nobody logs on with it");
  if (a.smartcard_required) {
    return std::make_pair("smartcard",
                          "smart card required: the password is not used to log on");
  }
  return std::nullopt;
}

const char* ActionFor(DirectoryFlavor f) {
  return f == DirectoryFlavor::kActiveDirectory ? "set pwdLastSet=0" : "set pwdReset=TRUE";
}

std::string TimeText(const std::optional<int64_t>& t) {
  if (!t) return "none";
  return *t == 0 ? "0 (change pending)" : FormatUtcIso(*t);
}

// Re-reads one account and decides: not the audited object, no longer eligible, already
// pending, or go ahead (nullopt). See the header for the full list and why each skips.
std::optional<ChangeResult> Recheck(const EnforcePlan& plan, DirectoryWriter& writer,
                                    const PlannedChange& c) {
  const bool ad = plan.flavor == DirectoryFlavor::kActiveDirectory;
  auto skipped = [&](std::string why) {
    return std::optional<ChangeResult>(ChangeResult{c, ChangeOutcome::kSkipped, std::move(why)});
  };
  if (c.object_id.empty()) {
    return skipped("the findings record no identity (objectSid / entryUUID) for this account: "
                   "re-run the audit with this version of credsweep before applying");
  }
  auto e = writer.ReadEntry(c.dn, EntryStateAttributes(plan.flavor));
  if (!e.ok()) {
    if (e.status().code() == StatusCode::kNotFound) {
      return skipped("no object at this DN any more (renamed, moved or deleted since the audit)");
    }
    return ChangeResult{c, ChangeOutcome::kFailed,
                        "cannot re-read the account: " + e.status().message()};
  }
  const EntryState st = ParseEntryState(plan.flavor, *e);
  const std::string id_attr = ad ? "objectSid" : "entryUUID";
  if (st.object_id.empty()) return skipped("its " + id_attr + " cannot be read: not forced");
  if (st.object_id != c.object_id) {
    return skipped("another object now has this DN (" + id_attr + " " + st.object_id +
                   ", audited " + c.object_id + "): replaced since the audit");
  }
  if (AsciiLower(st.name) != AsciiLower(c.account)) {
    return skipped("renamed since the audit (now \"" + st.name + "\")");
  }
  // Protection is decided again now: a rename or a config change since the audit counts.
  const bool protected_rid = st.rid && (*st.rid == 500 || *st.rid == 502);
  const bool protected_name =
      std::any_of(plan.protected_names.begin(), plan.protected_names.end(),
                  [&](const std::string& n) { return AsciiLower(n) == AsciiLower(st.name); });
  if (protected_rid || protected_name) return skipped("protected account: never changed by credsweep");
  if (!st.uac) {
    return skipped("userAccountControl cannot be read: not forced (never assumed to be 0)");
  }
  if (*st.uac & kUacAccountDisable) return skipped("disabled since the audit");
  if (*st.uac & kUacSmartcardRequired) return skipped("smart card required since the audit");
  if (*st.uac & (kUacWorkstationTrustAccount | kUacServerTrustAccount)) {
    return skipped("a computer account: it rotates its own password");
  }
  if (st.locked_for_good) return skipped("locked permanently since the audit");
  if (!st.problem.empty()) return skipped(st.problem + ": not forced");
  if (ad ? st.pwd_last_set == std::optional<int64_t>(0) : st.pwd_reset) {
    return ChangeResult{c, ChangeOutcome::kAlreadyPending,
                        ad ? "already pending: pwdLastSet is 0" : "already pending: pwdReset is TRUE"};
  }
  if (st.pwd_last_set != c.pwd_last_set) {
    return skipped("the password was changed after the audit (" +
                   std::string(ad ? "pwdLastSet " : "last change ") + TimeText(st.pwd_last_set) +
                   ", audited " + TimeText(c.pwd_last_set) + "): the audited password is gone");
  }
  return std::nullopt;
}

// The test hook documented in enforce.h. Opening the FIFO for writing blocks until the test
// opens it for reading; we say "paused" and close, then open it for reading, which blocks until
// the test opens it for writing — it kills us instead. Either way we stop before the outcome.
void TestPauseAfterWrite() {
  const char* fifo = std::getenv("CREDSWEEP_TEST_PAUSE_AFTER_WRITE");
  if (fifo == nullptr || *fifo == '\0') return;
  int fd = ::open(fifo, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;
  (void)!::write(fd, "paused\n", 7);
  ::close(fd);
  fd = ::open(fifo, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) ::close(fd);
}

}  // namespace

const char* ChangeOutcomeName(ChangeOutcome o) {
  switch (o) {
    case ChangeOutcome::kPlanned: return "planned";
    case ChangeOutcome::kApplied: return "applied";
    case ChangeOutcome::kAlreadyPending: return "already-pending";
    case ChangeOutcome::kSkipped: return "skipped";
    case ChangeOutcome::kFailed: return "failed";
    case ChangeOutcome::kNotAttempted: return "not-attempted";
  }
  return "unknown";
}

Result<EnforcePlan> PlanEnforcement(const RemediationConfig& cfg, DirectoryFlavor flavor,
                                    const FindingsDocument& doc) {
  EnforcePlan plan;
  plan.flavor = flavor;
  plan.run_id = doc.run.id;
  plan.accounts_audited =
      doc.run.accounts_checked > 0 ? doc.run.accounts_checked : doc.accounts.size();
  for (const auto& a : doc.accounts) plan.accounts_eligible += SkipReason(a) ? 0 : 1;
  // A delta (`run --changed`) lists only the accounts whose password changed; a mass change is
  // still one measured against the domain's enabled user accounts, as in the full run.
  const HashMaterialInfo& material = doc.run.hash_material;
  const uint64_t cap_base = material.changed_only
                                ? std::max(plan.accounts_eligible, material.accounts_expected)
                                : plan.accounts_eligible;
  plan.cap = cfg.max_forced_changes ? *cfg.max_forced_changes
                                    : std::max<uint64_t>(1, cap_base / 10);

  std::map<std::string, const AccountSummary*> by_dn;
  std::map<std::string, const AccountSummary*> by_name;
  for (const auto& a : doc.accounts) {
    by_dn[AsciiLower(a.dn)] = &a;
    by_name[AsciiLower(a.account)] = &a;
  }

  // Accounts in first-finding order, each with its rules in force_rules order.
  std::vector<std::string> order;
  std::map<std::string, std::pair<const Finding*, std::vector<std::string>>> hits;
  for (const auto& f : doc.findings) {
    // A hit on a password-history hash says the account once used a leaked password, not that
    // the current one is leaked: reported by the audit, never a reason to force a change.
    if (f.waived || f.history) continue;
    if (std::find(cfg.force_rules.begin(), cfg.force_rules.end(), f.rule) ==
        cfg.force_rules.end()) {
      continue;
    }
    const std::string key = AsciiLower(f.dn.empty() ? f.account : f.dn);
    auto [it, inserted] = hits.try_emplace(key, &f, std::vector<std::string>{});
    if (inserted) order.push_back(key);
    if (std::find(it->second.second.begin(), it->second.second.end(), f.rule) ==
        it->second.second.end()) {
      it->second.second.push_back(f.rule);
    }
  }

  for (const auto& key : order) {
    const auto& [f, rules_found] = hits[key];
    std::vector<std::string> rules;
    for (const auto& r : cfg.force_rules) {
      if (std::find(rules_found.begin(), rules_found.end(), r) != rules_found.end()) {
        rules.push_back(r);
      }
    }
    // The account summary is authoritative; a finding without one is judged on its own fields.
    AccountSummary fallback;
    fallback.account = f->account;
    fallback.dn = f->dn;
    fallback.enabled = f->enabled;
    fallback.account_class = f->account_class;
    const AccountSummary* a = nullptr;
    if (auto it = by_dn.find(AsciiLower(f->dn)); !f->dn.empty() && it != by_dn.end()) a = it->second;
    if (a == nullptr) {
      if (auto it = by_name.find(AsciiLower(f->account)); it != by_name.end()) a = it->second;
    }
    if (a == nullptr) a = &fallback;
    const std::string dn = a->dn.empty() ? f->dn : a->dn;
    if (auto skip = SkipReason(*a)) {
      plan.skips.push_back(PlannedSkip{a->account, dn, rules, skip->first, skip->second});
      continue;
    }
    if (dn.empty()) {
      plan.skips.push_back(PlannedSkip{a->account, dn, rules, "no-dn",
                                       "the findings give no DN for this account"});
      continue;
    }
    plan.changes.push_back(
        PlannedChange{a->account, dn, rules, ActionFor(flavor), a->object_id, a->pwd_last_set});
  }
  plan.cap_exceeded = plan.changes.size() > plan.cap;
  return plan;
}

EnforceReport ApplyPlan(const EnforcePlan& plan, DirectoryWriter& writer, ActionLog& log,
                        std::optional<int64_t> now_unix) {
  EnforceReport rep;
  rep.plan = plan;
  rep.applied = true;
  auto append = [&](const std::string& action, const std::string& dn, const std::string& account,
                    const std::vector<std::string>& rules, const std::string& detail) -> bool {
    auto e = log.Append(ActionRecord{plan.run_id, action, dn, account, JoinRules(rules), detail},
                        now_unix);
    if (!e.ok()) {
      rep.stopped_reason = "the action log could not be written, so no further change was made: " +
                           e.status().message();
      return false;
    }
    rep.log_head = e->hash;
    return true;
  };

  for (const auto& s : plan.skips) {
    if (!append("skip", s.dn, s.account, s.rules, s.reason)) break;
  }
  const bool ad = plan.flavor == DirectoryFlavor::kActiveDirectory;
  for (const auto& c : plan.changes) {
    if (!rep.stopped_reason.empty()) {
      rep.results.push_back(ChangeResult{c, ChangeOutcome::kNotAttempted, rep.stopped_reason});
      continue;
    }
    std::optional<ChangeResult> pre = Recheck(plan, writer, c);
    ChangeResult r{c, ChangeOutcome::kApplied, ""};
    if (pre) {
      r = *pre;
    } else {
      // Write-ahead: the intent is durable before the directory changes.
      if (!append("force-change-intent", c.dn, c.account, c.rules,
                  "about to " + c.action + " (" + (ad ? "objectSid " : "entryUUID ") +
                      c.object_id + ")")) {
        rep.results.push_back(ChangeResult{c, ChangeOutcome::kNotAttempted, rep.stopped_reason});
        continue;
      }
      Status s = writer.ModifyReplace(c.dn, ad ? "pwdLastSet" : "pwdReset", {ad ? "0" : "TRUE"});
      if (s.ok()) {
        r.message = ad ? "pwdLastSet set to 0" : "pwdReset set to TRUE";
        TestPauseAfterWrite();
      } else {
        r.outcome = ChangeOutcome::kFailed;
        r.message = s.code() == StatusCode::kNotFound ? "account no longer exists"
                                                      : "write refused: " + s.message();
      }
    }
    switch (r.outcome) {
      case ChangeOutcome::kApplied:
        ++rep.applied_count;
        append("force-change", c.dn, c.account, c.rules, r.message);
        break;
      case ChangeOutcome::kAlreadyPending:
        ++rep.already_pending;
        append("skip", c.dn, c.account, c.rules, r.message);
        break;
      case ChangeOutcome::kSkipped:
        ++rep.skipped_at_apply;
        append("skip", c.dn, c.account, c.rules, r.message);
        break;
      default:
        ++rep.failed;
        append("force-change-failed", c.dn, c.account, c.rules, r.message);
        break;
    }
    rep.results.push_back(std::move(r));
  }
  return rep;
}

std::string ConfiguredActionLogPath(const Config& config) {
  if (!config.log.path.empty()) return config.log.path;
  const std::string state = config.run.state_dir.empty() ? "credsweep-state" : config.run.state_dir;
  return ResolvePath(state, "actions.log");
}

Result<std::unique_ptr<ActionLog>> OpenConfiguredActionLog(const Config& config,
                                                           const std::string& actor_id) {
  if (config.log.signing_key.empty()) {
    return Status::InvalidArgument(
        "[log] signing_key is not set: every change and notification must be signed into the "
        "action log. Create a key with `credsweep log keygen --out FILE` and set [log] "
        "signing_key = \"FILE\"");
  }
  CS_ASSIGN_OR_RETURN(std::unique_ptr<LogSigningKey> key, LogSigningKey::Load(config.log.signing_key));
  return ActionLog::Open(ConfiguredActionLogPath(config),
                         std::shared_ptr<const LogSigningKey>(std::move(key)),
                         MakeLogActor(actor_id));
}

Result<EnforceReport> RunEnforce(const Config& config, const FindingsDocument& doc,
                                 const EnforceOptions& options) {
  CS_ASSIGN_OR_RETURN(DirectoryFlavor flavor, ParseFlavor(config.directory.flavor));
  if (!doc.run.flavor.empty() && doc.run.flavor != config.directory.flavor) {
    return Status::InvalidArgument("the findings were made on a \"" + doc.run.flavor +
                                   "\" directory but [directory] flavor is \"" +
                                   config.directory.flavor + "\"; use the matching config");
  }
  CS_ASSIGN_OR_RETURN(EnforcePlan plan, PlanEnforcement(config.remediation, flavor, doc));
  plan.protected_names.insert(plan.protected_names.end(),
                              config.classify.protected_accounts.begin(),
                              config.classify.protected_accounts.end());
  if (!options.apply) {
    EnforceReport rep;
    rep.plan = plan;
    for (const auto& c : plan.changes) rep.results.push_back(ChangeResult{c, ChangeOutcome::kPlanned, ""});
    return rep;
  }
  if (plan.cap_exceeded && !options.allow_mass_change) {
    return Status::FailedPrecondition(
        "refusing to force " + std::to_string(plan.changes.size()) +
        " password changes: the safety cap is " + std::to_string(plan.cap) +
        " ([remediation] max_forced_changes, default 10 % of the " +
        std::to_string(plan.accounts_eligible) +
        " accounts that could be forced). Nothing was changed. Check the corpus and the findings; if the plan "
        "is right, re-run with --allow-mass-change");
  }
  // Fail on a missing or bad key before touching the network: no change without evidence.
  if (!options.open_log) {
    CS_ASSIGN_OR_RETURN(std::unique_ptr<ActionLog> preflight, OpenConfiguredActionLog(config, ""));
    CS_RETURN_IF_ERROR(preflight->CheckTail());
  }
  std::unique_ptr<DirectoryWriter> writer;
  if (options.connect) {
    CS_ASSIGN_OR_RETURN(writer, options.connect());
  } else {
    CS_ASSIGN_OR_RETURN(writer, ConnectDirectoryWriter(config.directory));
  }
  std::unique_ptr<ActionLog> log;
  if (options.open_log) {
    CS_ASSIGN_OR_RETURN(log, options.open_log(writer->Identity()));
  } else {
    CS_ASSIGN_OR_RETURN(log, OpenConfiguredActionLog(config, writer->Identity()));
  }
  CS_RETURN_IF_ERROR(log->CheckTail());
  return ApplyPlan(plan, *writer, *log, options.now_unix);
}

}  // namespace credsweep
