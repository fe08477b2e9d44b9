#include "engine/remediate/enforce.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "connectors/directory/directory_reader.h"
#include "engine/base/file_util.h"

namespace credsweep {
namespace {

// userAccountControl bits (MS-ADTS 2.2.16).
constexpr uint64_t kUacAccountDisable = 0x2;
constexpr uint64_t kUacSmartcardRequired = 0x40000;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

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

std::string FirstValue(const std::map<std::string, std::vector<std::string>>& e,
                       const std::string& attr) {
  auto it = e.find(attr);
  if (it == e.end() || it->second.empty()) return "";
  return it->second.front();
}

// Re-reads one account and decides: already pending, no longer eligible, or go ahead.
// Returns nullopt to go ahead.
std::optional<ChangeResult> Recheck(DirectoryFlavor flavor, DirectoryWriter& writer,
                                    const PlannedChange& c) {
  ChangeResult r{c, ChangeOutcome::kFailed, ""};
  if (flavor == DirectoryFlavor::kActiveDirectory) {
    auto e = writer.ReadEntry(c.dn, {"pwdLastSet", "userAccountControl"});
    if (!e.ok()) {
      r.message = e.status().code() == StatusCode::kNotFound
                      ? "account no longer exists"
                      : "cannot re-read the account: " + e.status().message();
      return r;
    }
    const std::string uac_text = FirstValue(*e, "useraccountcontrol");
    uint64_t uac = 0;
    try {
      uac = uac_text.empty() ? 0 : std::stoull(uac_text);
    } catch (const std::exception&) {
      uac = 0;
    }
    if (uac & kUacAccountDisable) {
      r.outcome = ChangeOutcome::kSkipped;
      r.message = "disabled since the audit";
      return r;
    }
    if (uac & kUacSmartcardRequired) {
      r.outcome = ChangeOutcome::kSkipped;
      r.message = "smart card required since the audit";
      return r;
    }
    if (FirstValue(*e, "pwdlastset") == "0") {
      r.outcome = ChangeOutcome::kAlreadyPending;
      r.message = "already pending: pwdLastSet is 0";
      return r;
    }
    return std::nullopt;
  }
  auto e = writer.ReadEntry(c.dn, {"pwdReset", "pwdAccountLockedTime"});
  if (!e.ok()) {
    r.message = e.status().code() == StatusCode::kNotFound
                    ? "account no longer exists"
                    : "cannot re-read the account: " + e.status().message();
    return r;
  }
  // ppolicy: pwdAccountLockedTime "000001010000Z" locks the account for good (administratively).
  if (FirstValue(*e, "pwdaccountlockedtime") == "000001010000Z") {
    r.outcome = ChangeOutcome::kSkipped;
    r.message = "locked permanently since the audit";
    return r;
  }
  if (Lower(FirstValue(*e, "pwdreset")) == "true") {
    r.outcome = ChangeOutcome::kAlreadyPending;
    r.message = "already pending: pwdReset is TRUE";
    return r;
  }
  return std::nullopt;
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
  plan.cap = cfg.max_forced_changes ? *cfg.max_forced_changes
                                    : std::max<uint64_t>(1, plan.accounts_audited / 10);

  std::map<std::string, const AccountSummary*> by_dn;
  std::map<std::string, const AccountSummary*> by_name;
  for (const auto& a : doc.accounts) {
    by_dn[Lower(a.dn)] = &a;
    by_name[Lower(a.account)] = &a;
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
    const std::string key = Lower(f.dn.empty() ? f.account : f.dn);
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
    if (auto it = by_dn.find(Lower(f->dn)); !f->dn.empty() && it != by_dn.end()) a = it->second;
    if (a == nullptr) {
      if (auto it = by_name.find(Lower(f->account)); it != by_name.end()) a = it->second;
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
    plan.changes.push_back(PlannedChange{a->account, dn, rules, ActionFor(flavor)});
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
  for (const auto& c : plan.changes) {
    if (!rep.stopped_reason.empty()) {
      rep.results.push_back(ChangeResult{c, ChangeOutcome::kNotAttempted, rep.stopped_reason});
      continue;
    }
    std::optional<ChangeResult> pre = Recheck(plan.flavor, writer, c);
    ChangeResult r{c, ChangeOutcome::kApplied, ""};
    if (pre) {
      r = *pre;
    } else {
      const bool ad = plan.flavor == DirectoryFlavor::kActiveDirectory;
      Status s = writer.ModifyReplace(c.dn, ad ? "pwdLastSet" : "pwdReset", {ad ? "0" : "TRUE"});
      if (s.ok()) {
        r.message = ad ? "pwdLastSet set to 0" : "pwdReset set to TRUE";
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
        " ([remediation] max_forced_changes, default 10 % of " +
        std::to_string(plan.accounts_audited) +
        " accounts audited). Nothing was changed. Check the corpus and the findings; if the plan "
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
