// Findings and the findings.json contract between `audit` and `enforce` / `notify` / `run`.
//
// `credsweep audit` writes DIR/findings.json (and findings.csv); every later step reads only
// that file, never the directory snapshot, so a dry run can be reviewed before `--apply`.
// A finding never holds a password or hash: `detail` is human text about the account,
// `prevalence` is the corpus count as a band (prevalence.h: never the exact count), `group`
// labels a set of accounts sharing one password.
//
// Reading is defensive: findings.json is input that a person or another tool may have
// edited, so any malformed content (not JSON, wrong types, missing fields, a band that is not
// one of ours) is kInvalidArgument naming the file and the field — never an exception.
//
// findings.json:
// {
//   "format": "credsweep-findings", "version": 2,   (1 is still read: see prevalence below)
//   "run": { "id", "started_at", "finished_at" (UTC ISO-8601 "2026-11-22T13:20:00Z"),
//            "scope" ("full"|"delta": RunScope), "directory", "flavor" ("ad"|"openldap"), "store",
//            "corpus_sources": [ {"name","version","lines","imported_at"} ],
//            "accounts_checked", "hashes_loaded", "hashes_unmatched", "accounts_without_hash",
//            "skipped_entries": [ {"dn","reason"} ],
//            "hash_material": { "source" ("file"|"replication"|"directory"), "origin",
//                               "accounts_expected", "accounts_covered", "min_coverage",
//                               "dc", "naming_context", "highwatermark", "read_at",
//                               "changed_only", "accounts_fetched", "since_highwatermark" },
//            "counts": { "<rule>": n } },
//   "accounts": [ AccountSummary... ],   // every account audited, findings or not; each with
//                                        // "object_id" and "pwd_last_set" (null when none)
//   "findings": [ Finding... ]
// }
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/status.h"
#include "engine/model/corpus_source.h"
#include "engine/model/prevalence.h"

namespace credsweep {

class OutputBuffer;

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
  // leaked-password: how often the corpus saw the hash, as a band ("1 k–10 k"). Version 1
  // files held the exact count; reading one turns it into its band.
  std::optional<PrevalenceBand> prevalence;
  // The exact corpus count, for ranking inside the audit process only. Never serialised
  // (findings.json, CSV, reports); 0 after reading findings.json.
  uint64_t rank_count = 0;
  std::optional<std::string> group;    // shared-password / admin-shares-password: group label
  bool history = false;                // found on a password-history hash, not the current one
  // Exceptions register ([[exceptions]] in the config): a waived finding is kept and marked.
  bool waived = false;
  std::string waiver_reason;
  std::string waiver_approved_by;
  std::string waiver_expires;  // ISO date
};

// Where the hash material came from and how much of the domain it covers: the evidence that
// the leaked-password check looked at every account (issue 9). Coverage is counted over
// enabled, non-computer, non-trust accounts expected to have a password (see audit_job.h).
struct HashMaterialInfo {
  std::string source;   // "file" (a dump), "replication" (MS-DRSR), "directory" (sambaNTPassword)
  std::string origin;   // the dump's path, or the DC replicated from; never a secret
  uint64_t accounts_expected = 0;  // enabled user accounts expected to have a password
  uint64_t accounts_covered = 0;   // ... of which a current hash was joined to
  double min_coverage = 0;         // [hashes] min_coverage the run was held to
  // Replication only: naming context, the DC's high-water mark (highest USN) after the read,
  // UTC time of the read, whether only changed accounts were fetched (--changed), and how
  // many account objects the DC returned.
  std::string dc;
  std::string naming_context;
  uint64_t highwatermark = 0;
  std::string read_at;
  bool changed_only = false;
  uint64_t accounts_fetched = 0;
  // --changed only: the high-water mark of the full run the delta is measured from.
  uint64_t since_highwatermark = 0;
};

// What a run covered: "full" — every account of the directory, the monthly evidence — or
// "delta" — `audit --changed` / `run --changed`: only the accounts whose password the DC
// replicated since the last full run (changed_only). Derived from changed_only, never stored
// apart from it; written as "scope" in findings.json `run` and in the run record, and shown in
// the report, so a delta is never mistaken for the monthly check.
const char* RunScope(const HashMaterialInfo& h);

struct RunInfo {
  std::string id;
  std::string started_at;
  std::string finished_at;
  std::string directory;
  std::string flavor;
  std::string store;
  std::vector<CorpusSource> corpus_sources;
  uint64_t accounts_checked = 0;
  uint64_t hashes_loaded = 0;
  uint64_t hashes_unmatched = 0;       // current-hash records that matched no account
  uint64_t accounts_without_hash = 0;  // accounts no current hash was joined to
  std::vector<std::pair<std::string, std::string>> skipped_entries;  // (dn, reason)
  std::vector<std::pair<std::string, uint64_t>> counts;              // (rule, n), rule order
  HashMaterialInfo hash_material;
};

// "hash_material" as JSON and back (shared by findings.json and the run history).
nlohmann::json HashMaterialToJson(const HashMaterialInfo& h);
HashMaterialInfo HashMaterialFromJson(const nlohmann::json& j);
// One line for the report's evidence block and the CLI summary, e.g. "replicated from DC
// dc1.corp.example (DC=corp,DC=example, high-water mark USN 4711) at 2026-12-01T02:30:00Z:
// hashes for 64 of 65 enabled user accounts (98.5 %, minimum 95 %)".
std::string HashMaterialSentence(const HashMaterialInfo& h);

struct FindingsDocument {
  RunInfo run;
  std::vector<AccountSummary> accounts;
  std::vector<Finding> findings;
};

// Streams the JSON above (pretty-printed, keys sorted) into `out`, one field at a time: no
// document tree and no whole-file string (json_writer.h), so 100 000 accounts cost the bytes
// they write. The bytes are what nlohmann::json::dump(2) of the same document gave (pinned
// by the golden test; engine/model/testing/findings_json_reference.h is that DOM writer,
// kept for the tests that compare the two). Errors are the sink's (a failed file write).
[[nodiscard]] Status WriteFindingsJson(const FindingsDocument& doc, OutputBuffer* out);
// The same into a string (tests, fuzzing, small documents).
std::string FindingsToJson(const FindingsDocument& doc);
// Parses findings.json; a wrong format/version or missing field is kInvalidArgument naming it.
Result<FindingsDocument> FindingsFromJson(const std::string& text, const std::string& origin);
// Reads DIR/findings.json.
Result<FindingsDocument> LoadFindings(const std::string& dir);

}  // namespace credsweep
