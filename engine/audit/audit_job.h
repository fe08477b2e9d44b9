// The audit: directory snapshot + hash material + corpus store -> FindingsDocument.
//
// Two layers, so every rule is tested on plain data without a server:
//   RunAudit / RunAuditOnRecords  pure: no clock (now_unix is passed in), no network, no writes;
//                                 the only file it reads is [classify] owner_map.
//   RunAuditJob                   the thin job behind `credsweep audit`: opens the store, reads
//                                 the directory and the hash dump, calls RunAudit, writes
//                                 OUT/findings.json and OUT/findings.csv (0600, atomic).
//                                 With a dump file (not replication, not OpenLDAP) a second
//                                 thread opens the store index-only, loads the dump and looks
//                                 up its hashes (prefetched_store.h) while the directory is
//                                 read; the two outputs are written by one thread each.
//
// Example:
//   CS_ASSIGN_OR_RETURN(Config cfg, LoadConfig("credsweep.toml"));
//   CS_ASSIGN_OR_RETURN(FindingsDocument doc, RunAuditJob(cfg, "out/2026-11"));
//
// What RunAudit does, in order:
//   1. checks rule ids named in [rules] disabled and [[exceptions]] (unknown id: kInvalidArgument
//      with FILE:LINE);
//   2. classifies every account (classifier.h);
//   3. joins hash records to accounts case-insensitively by name (the dump's domain prefix is
//      already stripped), else by RID; records matching no account are counted in
//      run.hashes_unmatched (current hashes only), never fatal;
//   4. looks every current hash (and, with check_history, every history hash) up in the corpus
//      in ONE LookupBatch, from a sodium_malloc'd copy that is wiped afterwards;
//   5. resolves owners (owners.h), authentication levels and shared-password groups, and runs
//      targeted guessing over the joined hashes (guess_stage.h, engine/guess/guesser.h);
//   6. runs every rule of rules.h not in [rules] disabled;
//   7. applies the exceptions register (waivers.h);
//   8. orders findings: severity (critical first), then rule table order, then — within
//      leaked-password — risk = privilege weight x prevalence, highest first (weight: privileged
//      or protected 10, service 5, regular or external 2, computer 1; halved when disabled),
//      then account name.
//   run.counts lists every rule that ran, in table order, counting findings that are NOT waived
//   (a waived finding stays in `findings` with waived = true but does not count).
//
// Failure policy (fail closed): store == nullptr while leaked-password is enabled is
// kFailedPrecondition — never "no leaks". A lookup error is returned as is. No message,
// finding or detail ever holds a hash or password.
//
// Thread-safety: independent calls may run concurrently (each builds its own classifier).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "connectors/hashdump/hash_dump.h"
#include "engine/base/status.h"
#include "engine/config/config.h"
#include "engine/model/account.h"
#include "engine/model/finding.h"
#include "engine/store/corpus_store.h"

namespace credsweep {

// Which accounts an audit reports on.
//   kFull   every account of the snapshot (the monthly evidence).
//   kDelta  `--changed`: only the accounts a current hash was joined to — with a replication
//           delta, the accounts whose password changed since the last full run. Every rule
//           still runs over the whole snapshot (owners, groups and linked daily accounts need
//           it), then `accounts` and `findings` keep only those accounts and accounts_checked
//           counts them. Shared-password groups are formed within the delta's hashes only: a
//           changed account that now shares an unchanged account's password shows at the
//           next full run.
enum class AuditScope { kFull, kDelta };

// Pure audit over a loaded dump. See above.
[[nodiscard]] Result<FindingsDocument> RunAudit(const Config& cfg,
                                                const DirectorySnapshot& snapshot,
                                                const HashDump& hashes, const CorpusStore* store,
                                                int64_t now_unix,
                                                AuditScope scope = AuditScope::kFull);
// The same, taking the accounts' text (name, DN, display name, mail, object id) out of a
// snapshot the caller no longer needs into the account summaries instead of copying it: the
// audit's peak holds that text once, not twice (~16 MB at 100 000 accounts, issue 11). The
// snapshot's accounts are left with those fields empty.
[[nodiscard]] Result<FindingsDocument> RunAudit(const Config& cfg, DirectorySnapshot&& snapshot,
                                                const HashDump& hashes, const CorpusStore* store,
                                                int64_t now_unix,
                                                AuditScope scope = AuditScope::kFull);
// The same over plain records (the records' hash pointers must stay valid for the call).
// `consume`, when given, is `snapshot` itself, handed over as in the second RunAudit.
[[nodiscard]] Result<FindingsDocument> RunAuditOnRecords(const Config& cfg,
                                                         const DirectorySnapshot& snapshot,
                                                         std::span<const HashRecord> records,
                                                         const CorpusStore* store,
                                                         int64_t now_unix,
                                                         AuditScope scope = AuditScope::kFull,
                                                         DirectorySnapshot* consume = nullptr);

// The default output directory when --out is not given: [run] out_dir if set, else
// [run] state_dir + "/reports/<YYYY-MM>" (UTC month of now_unix); a delta (changed_only) goes
// to "<that>/changed-<YYYY-MM-DD>" so the month's full findings and report stay as they are.
std::string DefaultAuditOutDir(const Config& cfg, int64_t now_unix, bool changed_only = false);

struct AuditJobOptions {
  // `--changed`: with [hashes] source = "replication", fetch only the accounts whose secrets
  // changed since the last full run (replication state in the state directory) and check
  // those (AuditScope::kDelta); coverage is then not enforced (it covers the delta by design)
  // and the replication state is left as the full run wrote it. Without a stored state:
  // kFailedPrecondition "run a full audit first" — a delta never silently becomes a full run.
  bool changed_only = false;
};

// Fail closed on hash coverage (issue 9): kFailedPrecondition when fewer than min_coverage of
// the accounts expected to have a password got a current hash, e.g. "hash material covers 9 of
// 65 enabled user accounts (the dump FILE; ...) — is the dump from this domain, and complete?".
// Expected = enabled, not a computer or trust account, not PASSWD_NOTREQD without a hash, and
// on OpenLDAP a sambaSamAccount. A domain with no such account passes.
[[nodiscard]] Status CheckHashCoverage(const HashMaterialInfo& material);

// The job behind `credsweep audit`. Errors, each naming where:
//   kInvalidArgument  config: no [store] path, no [directory] url, unknown rule ids
//                     (exit 2)
//   kNotFound / kCorruption  store missing or corrupt (exit 3, "re-import")
//   kUnavailable / kPermissionDenied / kIOError  directory unreachable, bind refused, files
//   kCorruption       a malformed hash dump ("FILE:LINE: ..."; re-export the dump), two
//                     records for one account (naming both lines) (exit 3)
//   kFailedPrecondition  an empty dump, or hash coverage below [hashes] min_coverage
//                     (CheckHashCoverage) — nothing is written (exit 3)
//   replication errors as connectors/replication/replication.h describes (exit 3)
// On success out_dir holds findings.json and findings.csv (mode 0600); run.hash_material says
// where the hashes came from and what they covered.
[[nodiscard]] Result<FindingsDocument> RunAuditJob(const Config& cfg, const std::string& out_dir,
                                                   const AuditJobOptions& opts = {});

}  // namespace credsweep
