// Findings and the findings.json contract between `audit` and `enforce` / `notify` / `run`.
//
// `credsweep audit` writes DIR/findings.json (and findings.csv); every later step reads only
// that file, never the directory snapshot, so a dry run can be reviewed before `--apply`.
// A finding never holds a password or hash: `detail` is human text about the account,
// `prevalence` is the corpus count, `group` labels a set of accounts sharing one password.
//
// findings.json:
// {
//   "format": "credsweep-findings", "version": 1,
//   "run": { "id", "started_at", "finished_at" (UTC ISO-8601 "2026-11-22T13:20:00Z"),
//            "directory", "flavor" ("ad"|"openldap"), "store",
//            "corpus_sources": [ {"name","version","lines","imported_at"} ],
//            "accounts_checked", "hashes_loaded", "hashes_unmatched", "accounts_without_hash",
//            "skipped_entries": [ {"dn","reason"} ],
//            "counts": { "<rule>": n } },
//   "accounts": [ AccountSummary... ],   // every account audited, findings or not; each with
//                                        // "object_id" and "pwd_last_set" (null when none)
//   "findings": [ Finding... ]
// }
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/status.h"

namespace credsweep {

// What the classification decided an account is (engine/audit). Protected wins over all.
enum class AccountClass { kRegular, kPrivileged, kService, kExternal, kComputer, kProtected };
const char* AccountClassName(AccountClass c);  // "regular", "privileged", ...
Result<AccountClass> ParseAccountClass(const std::string& s);

// Per-account facts later steps need without re-reading the directory.
struct AccountSummary {
  std::string account;       // sAMAccountName / uid
  std::string dn;
  std::string display_name;
  std::string mail;
  bool enabled = true;
  AccountClass account_class = AccountClass::kRegular;
  std::vector<std::string> classes;  // all labels that applied, e.g. {"privileged","external"}
  bool smartcard_required = false;
  // Owner for notifications (service/system accounts), resolved by the audit in this order:
  // managedBy (account, then its groups/computer), manager, [classify] owner_map.
  std::string owner_mail;    // empty when none was found; notify then uses [notify] fallback_to
  std::string owner_source;  // "managedBy" | "manager" | "owner_map" | ""
  int auth_level = 0;        // computed authentication level (1–4), 0 when unknown
  // What enforce re-checks before it writes (enforce.h): the object's identity — AD objectSid as
  // "S-1-5-21-…", OpenLDAP entryUUID; "" when the directory gave none — and the password's last
  // change as the audit read it (Unix seconds; 0 = a change is already pending; nullopt = none).
  std::string object_id;
  std::optional<int64_t> pwd_last_set;
};

struct Finding {
  std::string rule;         // stable id from DESIGN.md, e.g. "leaked-password"
  std::string requirement;  // "S12", "S6", "K5", "K9", "S11"
  std::string severity;     // "critical" | "high" | "medium" | "low"
  std::string account;
  std::string dn;
  std::string display_name;
  std::string mail;
  bool enabled = true;
  AccountClass account_class = AccountClass::kRegular;
  std::string detail;                  // one human sentence; never a hash or password
  std::string explanation;             // the rule's one-line explanation for a non-expert
  std::optional<uint64_t> prevalence;  // leaked-password: corpus count
  std::optional<std::string> group;    // shared-password / admin-shares-password: group label
  bool history = false;                // found on a password-history hash, not the current one
  // Exceptions register ([[exceptions]] in the config): a waived finding is kept and marked.
  bool waived = false;
  std::string waiver_reason;
  std::string waiver_approved_by;
  std::string waiver_expires;  // ISO date
};

struct CorpusSourceRef {
  std::string name;
  std::string version;
  uint64_t lines = 0;
  std::string imported_at;
};

struct RunInfo {
  std::string id;
  std::string started_at;
  std::string finished_at;
  std::string directory;
  std::string flavor;
  std::string store;
  std::vector<CorpusSourceRef> corpus_sources;
  uint64_t accounts_checked = 0;
  uint64_t hashes_loaded = 0;
  uint64_t hashes_unmatched = 0;       // current-hash records that matched no account
  uint64_t accounts_without_hash = 0;  // accounts no current hash was joined to
  std::vector<std::pair<std::string, std::string>> skipped_entries;  // (dn, reason)
  std::vector<std::pair<std::string, uint64_t>> counts;              // (rule, n), rule order
};

struct FindingsDocument {
  RunInfo run;
  std::vector<AccountSummary> accounts;
  std::vector<Finding> findings;
};

// Serialises to the JSON above (pretty-printed).
std::string FindingsToJson(const FindingsDocument& doc);
// Parses findings.json; a wrong format/version or missing field is kInvalidArgument naming it.
Result<FindingsDocument> FindingsFromJson(const std::string& text, const std::string& origin);
// Reads DIR/findings.json.
Result<FindingsDocument> LoadFindings(const std::string& dir);

}  // namespace credsweep
