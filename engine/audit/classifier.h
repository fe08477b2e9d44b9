// Account classification: regular, privileged, service, external, computer, protected.
//
// Every name and DN pattern of [classify] is compiled ONCE into one Hyperscan database and each
// account is matched in one scan of the subject "<name>\n<normalised DN>" (HS_FLAG_MULTILINE,
// so ^/$ anchor at the line ends). A match is attributed to the name or the DN by its end
// offset. Pattern kinds:
//   service_name_patterns  regex on the name   (HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH)
//   admin_name_patterns    regex on the name   (same flags)
//   protected names        "^name$" literal    (krbtgt, Administrator, [classify] protected_accounts)
//   external_ous, service_ous   DN suffix: "(^|,)<OU literal>$" on the DN (caseless)
// Hyperscan reports which pattern matched but not capture groups, so for admin_name_patterns
// the one pattern that hit is re-run with std::regex (ECMAScript, icase) on that name only, to
// take capture group 1: the linked daily account ("^adm-(.+)$" links adm-jdoe to jdoe).
// Names are matched caselessly because sAMAccountName is case-insensitive in AD.
//
// Group membership (privileged_groups, it_staff_group, [auth] groups) is decided on the
// transitive closure of the account's groups: Account::groups as the connector computed it,
// plus parents found through Group::member_dns, so nested membership counts whichever way the
// snapshot was built. A configured group matches by name (cn) or by DN, case-insensitively.
// When [classify] privileged_groups is empty the built-in AD administrative groups count:
// Domain Admins, Enterprise Admins, Administrators, Schema Admins, Account Operators, Backup
// Operators, Server Operators (any that exist; OpenLDAP has none, so configure them there).
//
// Labels and primary class. An account gets every label that applies; its primary class is the
// first of: protected > computer > service > privileged > external > regular. Service ranks
// above privileged because the primary class drives remediation (service accounts are never
// forced to change, DESIGN.md); the privilege rules look at the labels, not the primary class.
//   protected   krbtgt, Administrator or RID 500/502, [classify] protected_accounts
//   computer    a computer object, a trust-account uac bit, or a name ending in '$'
//   service     under a service OU, name matches service_name_patterns, or has an SPN and is
//               not a computer
//   privileged  member (nested) of a privileged group
//   external    under an external OU, or an [classify] external_attribute matches
//
// Failure policy: a pattern Hyperscan or std::regex cannot compile is kInvalidArgument naming
// the config FILE:LINE, the key and the pattern. Thread-safety: Classify() uses one Hyperscan
// scratch space and is not thread-safe; use one Classifier per thread.
#pragma once

#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/base/ascii.h"
#include "engine/base/status.h"
#include "engine/config/config.h"
#include "engine/model/account.h"
#include "engine/model/finding.h"

struct hs_database;
struct hs_scratch;

namespace credsweep {

// ASCII lower-case; DNs and names are compared case-insensitively everywhere in the audit.
std::string ToLower(std::string s);
// Lower-cases a DN and drops blanks around ',' and '=' ("OU=Ext, DC=x" == "ou=ext,dc=x").
std::string NormalizeDn(const std::string& dn);

// Hash and equality of DNs as NormalizeDn sees them, on views: a DN without blanks (nearly
// all) hashes and compares case-folded in place; only one with blanks is normalised into a
// copy. Consistent because NormalizeDn of a blank-free DN is its ASCII lower case.
struct DnHash {
  using is_transparent = void;
  size_t operator()(std::string_view dn) const;
};
struct DnEqual {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const;
};

// Lookups over one snapshot: accounts and groups by DN/name, nested membership.
// Each group's transitive closure of parents is computed once; an account's memberships are
// the union over its groups, kept as sorted group ids, so membership tests are a hash lookup
// plus a binary search (the audit's 1-second budget for 100 000 accounts depends on it).
class DirectoryIndex {
 public:
  explicit DirectoryIndex(const DirectorySnapshot& snapshot);
  // True when the account is (nested) in the group named by `name_or_dn` (a value containing
  // '=' is a DN, else a name); case-insensitive. Groups known only by DN (listed in
  // Account::groups but not in the snapshot) are named by their first RDN value.
  bool InGroup(size_t account_index, const std::string& name_or_dn) const;
  // The first configured group (of `groups`) the account is in, or "" — for human details.
  std::string FirstGroup(size_t account_index, const std::vector<std::string>& groups) const;
  const Account* AccountByDn(const std::string& dn) const;
  // The group objects the account is in: direct groups first, then nested ones.
  const std::vector<const Group*>& GroupObjects(size_t account_index) const {
    return group_objects_[account_index];
  }

 private:
  struct Node {
    const Group* group = nullptr;  // nullptr for a group known only by DN
    std::vector<int> parents;
  };
  int NodeFor(const std::string& normalized_dn);

  const DirectorySnapshot& snapshot_;
  // Views into the snapshot's DNs, normalised on the fly: no lower-cased copy per account
  // (issue 11), and a member or manager DN finds its account in one lookup.
  std::unordered_map<std::string_view, size_t, DnHash, DnEqual> account_by_dn_;
  std::unordered_map<std::string, int> node_by_dn_;
  std::unordered_map<std::string, std::vector<int>, CaseFoldHash, CaseFoldEqual> nodes_by_name_;
  std::vector<Node> nodes_;
  std::vector<std::vector<int>> memberships_;  // per account: sorted node ids
  std::vector<std::vector<const Group*>> group_objects_;
};

struct Classification {
  AccountClass primary = AccountClass::kRegular;
  bool is_protected = false;
  bool is_computer = false;
  bool is_service = false;
  bool is_privileged = false;
  bool is_external = false;
  std::vector<std::string> labels;  // AccountClassName()s that applied, in precedence order
  // Why, in words for finding details (config names only, never secrets).
  std::string privileged_via;  // the privileged group
  std::string service_via;     // "service OU", "name pattern", "servicePrincipalName"
  std::string external_via;    // "external OU", "employeeType=consultant"
  // Capture group 1 of the admin_name_pattern that matched ("" when none matched).
  std::string admin_link;
  bool admin_pattern_matched = false;
};

class Classifier {
 public:
  // Compiles every pattern of cfg.classify into one Hyperscan database.
  [[nodiscard]] static Result<std::unique_ptr<Classifier>> Create(const Config& cfg);
  ~Classifier();
  Classifier(const Classifier&) = delete;
  Classifier& operator=(const Classifier&) = delete;

  // Classifies snapshot.accounts[account_index]; `index` must be built over the same snapshot.
  Classification Classify(const DirectoryIndex& index, const Account& account,
                          size_t account_index) const;

 private:
  enum class Kind { kServiceName, kAdminName, kProtectedName, kExternalOu, kServiceOu };
  struct Pattern {
    Kind kind;
    std::string source;  // as configured
  };
  Classifier() = default;

  const Config* cfg_ = nullptr;
  std::vector<Pattern> patterns_;                // index = Hyperscan id
  std::vector<std::unique_ptr<std::regex>> admin_regex_;  // per pattern id, admin kind only
  std::vector<std::string> privileged_groups_;
  hs_database* db_ = nullptr;
  mutable hs_scratch* scratch_ = nullptr;
};

}  // namespace credsweep
