#include "engine/audit/rules.h"

#include <algorithm>

#include "engine/base/time_util.h"
#include "engine/guess/candidates.h"

namespace credsweep {
namespace {

constexpr int64_t kDay = 86400;

// A person's account (not a system object): the privilege rules about people skip these.
bool IsPersonAccount(const AccountFacts& f) {
  return !f.cls.is_protected && !f.cls.is_service && !f.cls.is_computer;
}

std::string Plural(uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string Date(int64_t t) { return FormatUtcDate(t); }

// Names of the other members of a shared-password group, for the detail sentence.
// The other members of a shared-password group, for a finding's detail: the first
// kListedMembers names (by account name, as the group is ordered), then how many more. Every
// member listing every other member made the detail grow with the group's size and the run's
// text with its square — groups of 600 accounts gave 6 KB per finding and 36 MB of findings.json
// and CSV (issue 11), and no reader reads such a sentence; the finding's `group` label ties all
// members together. `others` = how many members qualify besides `self`.
constexpr size_t kListedMembers = 20;
std::string OtherMembers(const AuditFacts& facts, const SharedGroup& g, size_t self,
                         bool non_privileged_only, size_t others) {
  std::string out;
  size_t listed = 0;
  for (size_t m : g.members) {
    if (listed == kListedMembers) break;
    if (m == self) continue;
    if (non_privileged_only && facts.accounts[m].cls.is_privileged) continue;
    if (listed++ > 0) out += ", ";
    out += facts.accounts[m].account->name;
  }
  if (others > listed) {
    const size_t more = others - listed;
    out += " and " + std::to_string(more) + (more == 1 ? " more account" : " more accounts");
  }
  return out;
}

void LeakedPassword(const RuleSpec& rule, const AuditFacts& facts, std::vector<Finding>* out) {
  for (const AccountFacts& f : facts.accounts) {
    if (f.leaked_count) {
      Finding x = MakeFinding(
          rule, f,
          std::string("The current password appears ") +
              PrevalenceBandLabel(PrevalenceBandOf(*f.leaked_count)) +
              " times in breach corpora; attackers try such passwords first.");
      x.prevalence = PrevalenceBandOf(*f.leaked_count);
      x.rank_count = *f.leaked_count;
      out->push_back(std::move(x));
    }
    if (f.history_leaked > 0) {
      Finding x = MakeFinding(
          rule, f,
          Plural(f.history_leaked, "previous password", "previous passwords") +
              " of this account appear in breach corpora (up to " +
              PrevalenceBandLabel(PrevalenceBandOf(f.history_max_count)) +
              " times); the user may return to it or use it elsewhere.");
      x.prevalence = PrevalenceBandOf(f.history_max_count);
      x.rank_count = f.history_max_count;
      x.history = true;
      out->push_back(std::move(x));
    }
  }
}

void EmptyPassword(const RuleSpec& rule, const AuditFacts& facts, std::vector<Finding>* out) {
  for (const AccountFacts& f : facts.accounts) {
    if (f.empty_password) {
      out->push_back(MakeFinding(rule, f, "The account's password is empty."));
    }
  }
}

void LmHashStored(const RuleSpec& rule, const AuditFacts& facts, std::vector<Finding>* out) {
  for (const AccountFacts& f : facts.accounts) {
    if (f.lm_stored) {
      out->push_back(MakeFinding(
          rule, f, "An LM hash of the password is stored; it can be cracked in minutes."));
    }
  }
}

void SharedPassword(const RuleSpec& rule, const AuditFacts& facts, std::vector<Finding>* out) {
  for (const SharedGroup& g : facts.shared_groups) {
    for (size_t m : g.members) {
      Finding x = MakeFinding(
          rule, facts.accounts[m],
          "Uses the same password as: " +
              OtherMembers(facts, g, m, /*non_privileged_only=*/false, g.members.size() - 1) + ".");
      x.group = g.label;
      out->push_back(std::move(x));
    }
  }
}

void AdminSharesPassword(const RuleSpec& rule, const AuditFacts& facts,
                         std::vector<Finding>* out) {
  for (const SharedGroup& g : facts.shared_groups) {
    const size_t non_privileged = static_cast<size_t>(
        std::count_if(g.members.begin(), g.members.end(),
                      [&](size_t m) { return !facts.accounts[m].cls.is_privileged; }));
    for (size_t m : g.members) {
      const AccountFacts& f = facts.accounts[m];
      if (!f.cls.is_privileged) continue;
      std::string others = OtherMembers(facts, g, m, /*non_privileged_only=*/true, non_privileged);
      if (others.empty()) continue;
      Finding x = MakeFinding(rule, f,
                              "This admin account (via " + f.cls.privileged_via +
                                  ") uses the same password as the non-admin account(s): " +
                                  others + ".");
      x.group = g.label;
      out->push_back(std::move(x));
    }
  }
}

void AdminNotSeparate(const RuleSpec& rule, const AuditFacts& facts, std::vector<Finding>* out) {
  for (const AccountFacts& f : facts.accounts) {
    if (!f.cls.is_privileged || !IsPersonAccount(f)) continue;
    if (!f.account->mail.empty()) {
      out->push_back(MakeFinding(rule, f,
                                 "This admin account (via " + f.cls.privileged_via +
                                     ") has a mailbox, so it is also used for daily work."));
    } else if (f.linked_daily_account.empty()) {
      out->push_back(MakeFinding(
          rule, f,
          "This admin account (via " + f.cls.privileged_via +
              ") is the person's only account: no separate daily account is linked to it by "
              "name pattern or employeeID."));
    }
  }
}

void AdminNoExpiry(const RuleSpec& rule, const AuditFacts& facts, std::vector<Finding>* out) {
  for (const AccountFacts& f : facts.accounts) {
    if (!f.cls.is_privileged || !IsPersonAccount(f) || f.person_in_it_staff) continue;
    if (f.account->expires) continue;
    const std::string person =
        f.linked_daily_account.empty()
            ? "no linked daily account, and the account itself is not in it_staff_group"
            : "the linked daily account " + f.linked_daily_account + " is not in it_staff_group";
    out->push_back(MakeFinding(rule, f,
                               "Admin rights (via " + f.cls.privileged_via +
                                   ") for someone outside IT staff (" + person +
                                   "), with no end date."));
  }
}

void ExternalNoExpiry(const RuleSpec& rule, const AuditFacts& facts, std::vector<Finding>* out) {
  for (const AccountFacts& f : facts.accounts) {
    if (f.cls.is_external && !f.account->expires) {
      out->push_back(MakeFinding(rule, f,
                                 "External account (" + f.cls.external_via +
                                     ") without an expiry date; access must end with the task."));
    }
  }
}

void ExternalExpiryTooLong(const RuleSpec& rule, const AuditFacts& facts,
                           std::vector<Finding>* out) {
  const int64_t window = static_cast<int64_t>(facts.cfg->rules.external_max_days) * kDay;
  for (const AccountFacts& f : facts.accounts) {
    if (!f.cls.is_external || !f.account->expires) continue;
    if (*f.account->expires > facts.now + window) {
      out->push_back(MakeFinding(
          rule, f,
          "External account expires " + Date(*f.account->expires) + ", more than " +
              std::to_string(facts.cfg->rules.external_max_days) + " days from now."));
    }
  }
}

void ExternalExpiredEnabled(const RuleSpec& rule, const AuditFacts& facts,
                            std::vector<Finding>* out) {
  for (const AccountFacts& f : facts.accounts) {
    if (!f.cls.is_external || !f.account->expires || !f.account->enabled) continue;
    if (*f.account->expires <= facts.now) {
      out->push_back(MakeFinding(rule, f,
                                 "External account expired " + Date(*f.account->expires) +
                                     " but is still enabled; disable or remove it."));
    }
  }
}

void ExternalNoSponsor(const RuleSpec& rule, const AuditFacts& facts, std::vector<Finding>* out) {
  for (const AccountFacts& f : facts.accounts) {
    if (f.cls.is_external && f.account->manager_dn.empty() && f.account->managed_by_dn.empty()) {
      out->push_back(MakeFinding(
          rule, f, "External account with no sponsor (manager) recorded in the directory."));
    }
  }
}

// One rule per userAccountControl flag; `applies` picks the accounts it concerns.
template <uint32_t kFlag>
void FlagRule(const RuleSpec& rule, const AuditFacts& facts, std::vector<Finding>* out,
              bool (*applies)(const AccountFacts&), const char* detail) {
  for (const AccountFacts& f : facts.accounts) {
    if ((f.account->uac & kFlag) && applies(f)) out->push_back(MakeFinding(rule, f, detail));
  }
}

void PasswordNeverExpires(const RuleSpec& rule, const AuditFacts& facts,
                          std::vector<Finding>* out) {
  FlagRule<kUacDontExpirePassword>(
      rule, facts, out,
      [](const AccountFacts& f) { return !f.cls.is_service && !f.cls.is_computer; },
      "The password is set never to expire (DONT_EXPIRE_PASSWORD).");
}

void PasswordNotRequired(const RuleSpec& rule, const AuditFacts& facts,
                         std::vector<Finding>* out) {
  FlagRule<kUacPasswdNotReqd>(
      rule, facts, out, [](const AccountFacts&) { return true; },
      "The account may have an empty password (PASSWD_NOTREQD).");
}

void ReversibleEncryption(const RuleSpec& rule, const AuditFacts& facts,
                          std::vector<Finding>* out) {
  FlagRule<kUacEncryptedTextPwdAllowed>(
      rule, facts, out, [](const AccountFacts&) { return true; },
      "The password is stored with reversible encryption (ENCRYPTED_TEXT_PWD_ALLOWED).");
}

void PreauthNotRequired(const RuleSpec& rule, const AuditFacts& facts,
                        std::vector<Finding>* out) {
  FlagRule<kUacDontReqPreauth>(
      rule, facts, out, [](const AccountFacts&) { return true; },
      "Kerberos pre-authentication is off (DONT_REQ_PREAUTH): anyone can request data to "
      "crack the password offline (AS-REP roasting).");
}

void KerberoastableAdmin(const RuleSpec& rule, const AuditFacts& facts,
                         std::vector<Finding>* out) {
  for (const AccountFacts& f : facts.accounts) {
    if (!f.cls.is_privileged || f.cls.is_computer || f.account->spns.empty()) continue;
    out->push_back(MakeFinding(
        rule, f,
        "Admin account (via " + f.cls.privileged_via + ") with " +
            Plural(f.account->spns.size(), "servicePrincipalName", "servicePrincipalNames") +
            ": any domain user can request a ticket and crack its password offline."));
  }
}

void StaleAccount(const RuleSpec& rule, const AuditFacts& facts, std::vector<Finding>* out) {
  if (!facts.logon_times_known && facts.flavor == DirectoryFlavor::kOpenLdap) return;
  const int days = facts.cfg->rules.stale_days;
  const int64_t cutoff = facts.now - static_cast<int64_t>(days) * kDay;
  for (const AccountFacts& f : facts.accounts) {
    const Account& a = *f.account;
    if (!a.enabled) continue;
    if (a.last_logon) {
      if (*a.last_logon < cutoff) {
        out->push_back(MakeFinding(rule, f,
                                   "Enabled, last logon " + Date(*a.last_logon) + ", more than " +
                                       std::to_string(days) + " days ago."));
      }
    } else if (a.pwd_last_set && *a.pwd_last_set > 0 && *a.pwd_last_set < cutoff) {
      out->push_back(MakeFinding(rule, f,
                                 "Enabled, never logged on, password set " +
                                     Date(*a.pwd_last_set) + ", more than " +
                                     std::to_string(days) + " days ago."));
    }
  }
}

void GuessablePassword(const RuleSpec& rule, const AuditFacts& facts, std::vector<Finding>* out) {
  for (const AccountFacts& f : facts.accounts) {
    if (f.guess_family >= 0) {
      Finding x = MakeFinding(rule, f,
                              "The current password follows a pattern attackers try first: " +
                                  FamilyName(f.guess_family) + ".");
      x.group = FamilyName(f.guess_family);  // the report groups accounts by pattern family
      out->push_back(std::move(x));
    }
    if (!f.guess_history_families.empty()) {
      std::string families;
      for (int fam : f.guess_history_families) {
        families += (families.empty() ? "" : ", ") + FamilyName(fam);
      }
      Finding x = MakeFinding(rule, f,
                              "A previous password of this account follows a pattern attackers "
                              "try first (" + families + "); the user may return to it.");
      x.history = true;
      x.group = families;
      out->push_back(std::move(x));
    }
  }
}

void PasswordIsUsername(const RuleSpec& rule, const AuditFacts& facts, std::vector<Finding>* out) {
  for (const AccountFacts& f : facts.accounts) {
    if (f.password_is_username) {
      out->push_back(MakeFinding(
          rule, f, "The password is the account name, or the account name with a simple ending."));
    }
  }
}

void DefaultComputerPassword(const RuleSpec& rule, const AuditFacts& facts,
                             std::vector<Finding>* out) {
  for (const AccountFacts& f : facts.accounts) {
    if (f.default_computer_password) {
      out->push_back(MakeFinding(
          rule, f,
          "The computer account still has its default password (its own name in lower case): "
          "anyone who knows the name can log on as this computer. Reset the account or let the "
          "computer join the domain."));
    }
  }
}

void AdminDelegatable(const RuleSpec& rule, const AuditFacts& facts, std::vector<Finding>* out) {
  // Kerberos delegation is an Active Directory matter; OpenLDAP has no such flag to set.
  if (facts.flavor == DirectoryFlavor::kOpenLdap) return;
  for (const AccountFacts& f : facts.accounts) {
    if (!f.cls.is_privileged || f.cls.is_computer) continue;
    if ((f.account->uac & kUacNotDelegated) || f.in_protected_users) continue;
    out->push_back(MakeFinding(
        rule, f,
        "Admin account (via " + f.cls.privileged_via +
            ") is not marked \"sensitive and cannot be delegated\" and is not in Protected "
            "Users: a server trusted for delegation can act as this admin."));
  }
}

void UnconstrainedDelegation(const RuleSpec& rule, const AuditFacts& facts,
                             std::vector<Finding>* out) {
  FlagRule<kUacTrustedForDelegation>(
      rule, facts, out,
      [](const AccountFacts& f) { return !(f.account->uac & kUacServerTrustAccount); },
      "Trusted for unconstrained delegation (TRUSTED_FOR_DELEGATION): whoever controls this "
      "account receives reusable tickets of every user who logs on to it.");
}

void KerberosDesOnly(const RuleSpec& rule, const AuditFacts& facts, std::vector<Finding>* out) {
  FlagRule<kUacUseDesKeyOnly>(
      rule, facts, out, [](const AccountFacts&) { return true; },
      "Kerberos is limited to DES for this account (USE_DES_KEY_ONLY); DES keys are cracked in "
      "hours.");
}

bool IsKrbtgt(const Account& a) {
  const std::string n = ToLower(a.name);
  return (a.rid && *a.rid == 502) || n == "krbtgt" || n.rfind("krbtgt_", 0) == 0;
}

void KrbtgtPasswordOld(const RuleSpec& rule, const AuditFacts& facts, std::vector<Finding>* out) {
  const int days = facts.cfg->rules.krbtgt_max_days;
  for (const AccountFacts& f : facts.accounts) {
    const Account& a = *f.account;
    if (!IsKrbtgt(a) || !a.pwd_last_set || *a.pwd_last_set <= 0) continue;
    if (*a.pwd_last_set < facts.now - static_cast<int64_t>(days) * kDay) {
      out->push_back(MakeFinding(rule, f,
                                 "The krbtgt password was last changed " +
                                     Date(*a.pwd_last_set) + ", more than " +
                                     std::to_string(days) +
                                     " days ago; forged Kerberos tickets stay valid until it "
                                     "is changed (twice)."));
    }
  }
}

void AdminPasswordOld(const RuleSpec& rule, const AuditFacts& facts, std::vector<Finding>* out) {
  const int days = facts.cfg->rules.admin_password_max_days;
  for (const AccountFacts& f : facts.accounts) {
    const Account& a = *f.account;
    if (!f.cls.is_privileged || f.cls.is_computer || !a.pwd_last_set || *a.pwd_last_set <= 0) {
      continue;
    }
    if (*a.pwd_last_set < facts.now - static_cast<int64_t>(days) * kDay) {
      out->push_back(MakeFinding(rule, f,
                                 "Admin account (via " + f.cls.privileged_via +
                                     ") whose password was last changed " +
                                     Date(*a.pwd_last_set) + ", more than " +
                                     std::to_string(days) + " days ago."));
    }
  }
}

void AuthLevelBelowRequired(const RuleSpec& rule, const AuditFacts& facts,
                            std::vector<Finding>* out) {
  for (const AccountFacts& f : facts.accounts) {
    if (f.required_level == 0 || f.auth_level >= f.required_level) continue;
    out->push_back(MakeFinding(
        rule, f,
        "Authentication level " + std::to_string(f.auth_level) + " is below the level " +
            std::to_string(f.required_level) + " required for members of " + f.required_by +
            "."));
  }
}

// THE rule table. Order = report order. Severity: critical = an attacker can log on now;
// high = one step from it; medium = a control the baseline requires is missing; low = hygiene.
constexpr RuleSpec kRules[] = {
    {"leaked-password", "S12", "critical",
     "The password is on public lists of leaked passwords, so attackers can guess it.",
     LeakedPassword},
    {"empty-password", "S12", "critical", "The account has no password at all.", EmptyPassword},
    {"guessable-password", "S12", "critical",
     "The password follows a pattern attackers try first, such as a season and a year or the "
     "organisation's name with digits.",
     GuessablePassword},
    {"password-is-username", "K9", "critical",
     "The password is the account's own name, which is the first thing an attacker tries.",
     PasswordIsUsername},
    {"default-computer-password", "K9", "critical",
     "A computer account still has the password it was created with (its own name), so anyone "
     "can take it over.",
     DefaultComputerPassword},
    {"lm-hash-stored", "K9", "high",
     "The password is also stored in the old LM format, which is trivially cracked.",
     LmHashStored},
    {"shared-password", "K9", "medium",
     "Several accounts use the same password; one leak opens all of them.", SharedPassword},
    {"admin-shares-password", "S6", "high",
     "An admin account has the same password as an ordinary account, so stealing the ordinary "
     "one gives admin rights.",
     AdminSharesPassword},
    {"admin-not-separate", "S6", "medium",
     "Admin rights must live on a separate account used only for admin work, not for email "
     "and daily tasks.",
     AdminNotSeparate},
    {"admin-no-expiry", "S6", "medium",
     "Admin rights for people outside IT must be time-limited, but this account never expires.",
     AdminNoExpiry},
    {"external-no-expiry", "K5", "medium",
     "A consultant's or other external account must end when the task ends, but this one has no "
     "end date.",
     ExternalNoExpiry},
    {"external-expiry-too-long", "K5", "low",
     "An external account is open for longer than the allowed period.", ExternalExpiryTooLong},
    {"external-expired-enabled", "K5", "high",
     "An external account has passed its end date but is still switched on.",
     ExternalExpiredEnabled},
    {"external-no-sponsor", "K5", "low",
     "Nobody inside the organisation is recorded as responsible for this external account.",
     ExternalNoSponsor},
    {"password-never-expires", "K9", "low",
     "The password is never required to change.", PasswordNeverExpires},
    {"password-not-required", "K9", "high",
     "The account is allowed to have an empty password.", PasswordNotRequired},
    {"reversible-encryption", "K9", "high",
     "The password is stored in a form that can be turned back into the password.",
     ReversibleEncryption},
    {"preauth-not-required", "K9", "high",
     "Anyone can ask the domain for data that lets them guess this password offline.",
     PreauthNotRequired},
    {"kerberoastable-admin", "S6", "high",
     "An admin account is set up as a service, so any user can fetch data to guess its password "
     "offline.",
     KerberoastableAdmin},
    {"admin-delegatable", "S6", "high",
     "An admin account can be impersonated by servers trusted for delegation; it should be "
     "marked sensitive or be in Protected Users.",
     AdminDelegatable},
    {"unconstrained-delegation", "S6", "high",
     "The account may act as any user who logs on to it, so taking it over exposes everyone's "
     "access.",
     UnconstrainedDelegation},
    {"kerberos-des-only", "K9", "high",
     "The account may only use the outdated DES encryption for logon, which is easily broken.",
     KerberosDesOnly},
    {"krbtgt-password-old", "K9", "medium",
     "The domain's master key for logon tickets (krbtgt) has not been changed for too long.",
     KrbtgtPasswordOld},
    {"admin-password-old", "S6", "medium",
     "An admin account's password has not been changed for too long.", AdminPasswordOld},
    {"stale-account", "K5", "low",
     "The account is switched on but has not been used for a long time.", StaleAccount},
    {"auth-level-below-required", "S11", "medium",
     "How this account logs on is weaker than what its access requires.",
     AuthLevelBelowRequired},
};

}  // namespace

std::span<const RuleSpec> AllRules() { return kRules; }

const RuleSpec* FindRule(std::string_view id) {
  for (const RuleSpec& r : kRules) {
    if (id == r.id) return &r;
  }
  return nullptr;
}

int SeverityRank(const std::string& severity) {
  if (severity == "critical") return 0;
  if (severity == "high") return 1;
  if (severity == "medium") return 2;
  return 3;
}

Finding MakeFinding(const RuleSpec& rule, const AccountFacts& facts, std::string detail) {
  Finding f;
  const Account& a = *facts.account;
  f.rule = rule.id;
  f.requirement = rule.requirement;
  f.severity = rule.severity;
  f.explanation = rule.explanation;
  f.account = a.name;
  f.dn = a.dn;
  f.display_name = a.display_name;
  f.mail = a.mail;
  f.enabled = a.enabled;
  f.account_class = facts.cls.primary;
  f.detail = std::move(detail);
  return f;
}

}  // namespace credsweep
