#include "engine/audit/guess_stage.h"

#include <algorithm>
#include <string>

#include "engine/base/time_util.h"

namespace credsweep {
namespace {

bool On(const Config& cfg, const char* id) {
  return std::find(cfg.rules.disabled.begin(), cfg.rules.disabled.end(), id) ==
         cfg.rules.disabled.end();
}

}  // namespace

Status RunGuessStage(const Config& cfg, const DirectorySnapshot& snapshot,
                     std::span<const GuessTarget> targets, int64_t now_unix, AuditFacts* facts) {
  const bool global = On(cfg, "guessable-password");
  const bool username = On(cfg, "password-is-username");
  const bool computers = On(cfg, "default-computer-password");
  if (!global && !username && !computers) return Status::Ok();
  std::vector<std::string> dns;
  dns.reserve(snapshot.accounts.size());
  for (const Account& a : snapshot.accounts) dns.push_back(a.dn);
  const int year = std::stoi(FormatUtcDate(now_unix).substr(0, 4));
  CS_ASSIGN_OR_RETURN(GuessPlan plan, PlanFromConfig(cfg, dns, year, global, username, computers));
  CS_ASSIGN_OR_RETURN(std::vector<GuessResult> results, GuessPasswords(targets, plan));
  for (size_t i = 0; i < results.size() && i < facts->accounts.size(); ++i) {
    AccountFacts& f = facts->accounts[i];
    GuessResult& r = results[i];
    f.password_is_username = username && r.password_is_username;
    f.default_computer_password = computers && r.default_computer_password;
    // One finding per weakness: the more specific rule says it when it is on.
    if (global && !f.password_is_username && !f.default_computer_password) f.guess_family = r.family;
    if (global) f.guess_history_families = std::move(r.history_families);
  }
  return Status::Ok();
}

}  // namespace credsweep
