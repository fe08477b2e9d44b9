#include "engine/audit/waivers.h"

#include "engine/audit/classifier.h"
#include "engine/audit/rules.h"
#include "engine/base/time_util.h"

namespace credsweep {
namespace {

std::string KnownRules() {
  std::string s;
  for (const RuleSpec& r : AllRules()) s += std::string(s.empty() ? "" : ", ") + r.id;
  return s;
}

}  // namespace

Status ValidateRuleIds(const Config& cfg) {
  for (const ExceptionEntry& e : cfg.exceptions) {
    if (FindRule(e.rule) == nullptr) {
      return Status::InvalidArgument(cfg.origin + ":" + std::to_string(e.line) +
                                     ": [[exceptions]] rule: unknown rule id '" + e.rule +
                                     "' (known: " + KnownRules() + ")");
    }
    if (!ParseUtcIso(e.expires).ok()) {
      return Status::InvalidArgument(cfg.origin + ":" + std::to_string(e.line) +
                                     ": [[exceptions]] expires: not a date YYYY-MM-DD");
    }
  }
  const std::pair<const char*, const std::vector<std::string>*> lists[] = {
      {"[rules] disabled", &cfg.rules.disabled},
      {"[remediation] force_rules", &cfg.remediation.force_rules},
  };
  for (const auto& [key, ids] : lists) {
    for (const std::string& id : *ids) {
      if (FindRule(id) == nullptr) {
        return Status::InvalidArgument(cfg.origin + ":" + std::to_string(cfg.LineOf(key)) + ": " +
                                       key + ": unknown rule id '" + id + "' (known: " +
                                       KnownRules() + ")");
      }
    }
  }
  return Status::Ok();
}

void ApplyExceptions(const std::vector<ExceptionEntry>& exceptions, int64_t now_unix,
                     std::vector<Finding>* findings) {
  for (Finding& f : *findings) {
    const std::string account = ToLower(f.account);
    const ExceptionEntry* expired = nullptr;
    for (const ExceptionEntry& e : exceptions) {
      if (e.rule != f.rule || ToLower(e.account) != account) continue;
      Result<int64_t> day = ParseUtcIso(e.expires);
      if (!day.ok()) continue;
      if (now_unix < *day + 86400) {  // valid through the end of the expiry day, UTC
        f.waived = true;
        f.waiver_reason = e.reason;
        f.waiver_approved_by = e.approved_by;
        f.waiver_expires = e.expires;
        break;
      }
      expired = &e;
    }
    if (!f.waived && expired != nullptr) {
      f.detail += " The exception approved by " + expired->approved_by + " expired on " +
                  expired->expires + ".";
    }
  }
}

}  // namespace credsweep
