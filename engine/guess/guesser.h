// The guessing engine: try what a password sprayer tries first against the domain's own hashes.
//
// A breach corpus only knows passwords that already leaked. Sprayers start from the
// organisation's own patterns — "Efteraar2026!", "Solbjerg123", "Velkommen1", the account name.
// credsweep holds every NT hash of the audit, so it does the same offline: generate the
// candidates, NT-hash them (MD4 of UTF-16LE, 8 at a time: nt_hash_lanes.h) and look them up.
//
//   CS_ASSIGN_OR_RETURN(GuessPlan plan, PlanFromConfig(cfg, account_dns, year, rules_on));
//   CS_ASSIGN_OR_RETURN(std::vector<GuessResult> r, GuessPasswords(targets, plan));
//
// What is tried (candidates.h has the word lists and endings):
//   global      every base word x every rule x every ending (a candidate is at most
//               kMaxLaneUnits = 27 UTF-16 units; longer ones are not tried), looked up in ONE
//               table of every target's current hash and, when given, history hashes. The
//               default plan is ~140 base words x 16 rules x 174 endings ≈ 0.3 M candidates,
//               independent of the number of accounts.
//   per account the account name (without a trailing '$') as is, lower-case, Capitalised and
//               UPPER-case, with every ending, compared with that account's own hashes only
//               (a sprayer tries "<user>2026" against <user>, not against everyone): ~700
//               candidates per account, 70 M for 100 000 accounts — the bulk of the work.
//               A hit with the name as is / lower / Capitalised and the ending "", "1", "123"
//               or "!" on the CURRENT hash is password-is-username; any other hit is the family
//               "account name + …" of guessable-password.
//   computers   a computer account's current hash against its lower-case name without '$'
//               (and that name cut to 14 characters, the pre-Windows 2000 rule): the default
//               password of a pre-created computer (default-computer-password).
//
// Lookup table. The targets' hashes are copied into SecureArray memory, sorted by their first
// 32-bit word, with a directory of 2^b bucket starts (2^b >= the number of hashes, so a bucket
// holds ~1 entry: NT hashes are uniform). A candidate's digest word A picks the bucket; only an
// equal word A is compared in full.
//
// Speed. Work is split into units (one global base word, or 64 accounts) handed to `threads`
// workers through an atomic counter. Measured figures are in README "Guessing" and
// bench/guess_bench.cc; the budget (DESIGN.md) is the default space for 100 000 accounts in
// <= 10 s on 2 cores.
//
// Secrets. Candidates and digests live only in per-worker SecureArray buffers (zeroed on
// free); a result names the target index and a family id, never a candidate. No message
// holds a password, candidate or hash.
//
// Thread-safety: GuessPasswords runs its own worker threads; independent calls may run
// concurrently. Targets' hash pointers must stay valid for the call.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/base/nt_hash.h"
#include "engine/base/status.h"
#include "engine/config/config.h"
#include "engine/guess/candidates.h"
#include "engine/guess/hashcat_rules.h"

namespace credsweep {

struct GuessTarget {
  std::string name;  // account name (sAMAccountName / uid), UTF-8
  bool is_computer = false;
  const NtHash* current = nullptr;        // nullptr: no current hash
  std::vector<const NtHash*> history;     // previous passwords to check (may be empty)
};

struct GuessResult {
  // Lowest family id (candidates.h) that matched the CURRENT hash, -1 when none. A
  // password-is-username hit also sets it (family "account name …"), so a caller that does not
  // report password-is-username still reports the password as guessable.
  int family = -1;
  std::vector<int> history_families;  // families that matched previous passwords, sorted
  bool password_is_username = false;
  bool default_computer_password = false;
};

struct GuessPlan {
  std::vector<BaseWord> words;    // global base words: organisation, configured, built-in
  std::vector<HashcatRule> rules;
  std::vector<Ending> endings;    // appended to rule(word)
  // Endings tried after the account name: all of `endings` when account-name families are
  // reported, only the password-is-username ones ("", 1, 123, !) otherwise, none to skip.
  std::vector<Ending> name_endings;
  bool computer_defaults = true;  // default-computer-password
  unsigned threads = 0;           // 0 = std::thread::hardware_concurrency()
};

struct GuessStats {
  uint64_t candidates = 0;  // NT hashes computed
  unsigned threads = 0;
  const char* kernel = "";  // "avx2" or "scalar"
};

// The plan for an audit. `year` is the current UTC year (from the injected clock); `dns` are
// the audited accounts' DNs (for the organisation's name); `global` = guessable-password is on,
// `username` = password-is-username is on, `computers` = default-computer-password is on.
// Reads [guess] words_file and rules_file. Errors (kInvalidArgument): an unreadable file naming
// "[guess] words_file"/"rules_file" and the path, invalid UTF-8 as FILE:LINE, a bad rule as
// FILE:LINE: rule "…": what is wrong.
[[nodiscard]] Result<GuessPlan> PlanFromConfig(const Config& cfg,
                                               const std::vector<std::string>& dns, int year,
                                               bool global, bool username, bool computers);

// Runs the plan over the targets; result i belongs to targets[i]. Fails only when secure memory
// cannot be allocated (kInternal).
[[nodiscard]] Result<std::vector<GuessResult>> GuessPasswords(std::span<const GuessTarget> targets,
                                                              const GuessPlan& plan,
                                                              GuessStats* stats = nullptr);

}  // namespace credsweep
