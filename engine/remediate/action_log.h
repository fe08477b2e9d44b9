// The action log: a signed, hash-chained, append-only record of every forced change, skip and
// notification (requirement S16; the Norwegian framework's non-repudiation: a log that not even
// the operator can alter afterwards without it showing).
//
// File format (version 1): UTF-8 JSON lines, one entry per line, each line ending in "\n":
//
//   {"v":1,"seq":1,"time":"2026-11-22T13:20:00Z",
//    "actor":{"id":"CN=credsweep,CN=Users,DC=example,DC=org","host":"dc-tools01"},
//    "run":"2026-11-22T132000Z-1a2b","action":"force-change",
//    "target":"CN=Jane Doe,OU=Staff,DC=example,DC=org","account":"jdoe",
//    "rule":"leaked-password","detail":"pwdLastSet set to 0",
//    "prev":"<64 hex>","hash":"<64 hex>","sig":"<128 hex>"}
//
// Definitions (pinned by a golden test; changing any of them is a new version):
//   canonical(entry) = the entry as a JSON object WITHOUT "hash" and "sig", serialised by
//                      nlohmann::json::dump() with default arguments: keys sorted
//                      (std::map order, byte-wise), no whitespace, UTF-8 kept as is.
//   line             = the whole entry (with "hash" and "sig") serialised the same way, + "\n".
//                      Verification requires each line's bytes to BE that canonical form, so
//                      what is hashed is determined by the exact bytes of the line: a duplicated
//                      key (JSON parsers keep one of the two), reordered keys, added spaces or
//                      an escaped character that means the same text all make a line BAD.
//   hash             = BLAKE2b-256 (libsodium crypto_generichash, unkeyed) of
//                      "credsweep-action-log-v1\n" || raw(prev) || canonical(entry), in hex.
//                      prev is also inside canonical; hashing it in front keeps the chain link
//                      explicit even if the field set changes in a later version.
//   sig              = Ed25519 (crypto_sign_detached) over the 32 raw hash bytes, in hex.
//   prev             = the previous entry's hash; for seq 1 the genesis hash
//                      BLAKE2b-256("credsweep-action-log-v1 genesis\n" || public key), which
//                      binds the log to its signing key.
//   seq              = 1, 2, 3 … without gaps.
//
// What verification detects, and how (the first bad line is named, with its seq):
//   modified entry        hash mismatch (or, if the hash was recomputed, a bad signature)
//   non-canonical line    the line's bytes differ from its canonical serialisation
//   deleted entry         seq gap and prev mismatch on the next line
//   inserted / reordered  seq or prev mismatch, bad signature without the secret key
//   truncated tail        a last line without "\n" or with partial JSON
//   wrong public key      genesis mismatch and bad signatures from line 1
//   deleted LAST entries, only against an anchor recorded elsewhere: VerifyOptions::expect_head
//   emptied log           and min_count. Every run-history record and the report's evidence block
//                         hold the head hash and entry count after the run (ReadLogHead);
//                         `credsweep log verify --config FILE` checks the log against the latest.
//
// Write-ahead entries: an action whose effect is outside the log (a directory write, a mail)
// is logged twice — "<family>-intent" before it and the outcome after ("force-change" /
// "force-change-failed", "notify-sent" / "notify-failed"). An intent that no later entry of the
// same family, or "skip", for the same target and account answers is reported in
// VerifyReport::unfinished: the process stopped between the two (crash, kill, full disk), so
// whether the change happened must be checked in the directory. The next run's entry for that
// target (e.g. "skip: already pending") answers it.
//
// Key files (self-describing one-line text, written 0600 / 0644 by `credsweep log keygen`):
//   secret: "credsweep-log-key v1 ed25519-secret <128 hex: libsodium 64-byte secret key>"
//   public: "credsweep-log-key v1 ed25519-public <64 hex>"
//
// Appending: ActionLog::Append takes an exclusive flock on the file, re-reads and verifies the
// last entry (hash and signature against this key), continues its seq and prev, writes the line
// with one write() on an O_APPEND descriptor, fdatasyncs (data and size), and releases the lock. It refuses to append
// (kCorruption) to a log whose tail does not verify, so a tampered or truncated log is never
// silently extended. The file is created 0600. Only the tail is checked on append (O(1));
// `credsweep log verify` checks the whole chain.
//
// Thread-safety: an ActionLog may be shared by threads (each Append locks); separate processes
// appending to one file are serialised by flock.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/status.h"

namespace credsweep {

inline constexpr size_t kLogHashHexLen = 64;

// An Ed25519 key pair. The secret part is held in sodium_malloc'd memory (locked, zeroed on
// free) and never printed.
class LogSigningKey {
 public:
  ~LogSigningKey();
  LogSigningKey(const LogSigningKey&) = delete;
  LogSigningKey& operator=(const LogSigningKey&) = delete;

  static Result<std::unique_ptr<LogSigningKey>> Generate();
  // Reads a secret key file; kInvalidArgument naming the file if it is not one.
  static Result<std::unique_ptr<LogSigningKey>> Load(const std::string& path);

  // "credsweep-log-key v1 ed25519-secret <hex>\n" — only for writing the key file.
  std::string SecretKeyFileText() const;
  // "credsweep-log-key v1 ed25519-public <hex>\n".
  std::string PublicKeyFileText() const;
  std::string PublicKeyHex() const;
  const std::array<uint8_t, 32>& public_key() const { return pk_; }
  // Detached Ed25519 signature over `msg`.
  std::array<uint8_t, 64> Sign(const uint8_t* msg, size_t len) const;

 private:
  LogSigningKey();
  uint8_t* sk_ = nullptr;  // 64 bytes, sodium_malloc
  std::array<uint8_t, 32> pk_{};
};

// Reads a public key file (or a bare 64-hex line).
Result<std::array<uint8_t, 32>> LoadLogPublicKey(const std::string& path);

// Creates KEYFILE (secret, 0600) and KEYFILE.pub (0644); refuses (kFailedPrecondition) to
// overwrite either. Returns the public key hex.
Result<std::string> GenerateLogKeyFiles(const std::string& keyfile);

// Who performs the logged actions: the directory bind identity for forced changes and skips,
// the SMTP user (or the sender address without AUTH) for notifications; and the host name.
struct LogActor {
  std::string id;
  std::string host;
};
// LogActor{id, gethostname()}.
LogActor MakeLogActor(const std::string& id);

// One action to append. seq, time, prev, hash and sig are filled in by Append.
struct ActionRecord {
  std::string run_id;
  std::string action;  // "force-change", "force-change-failed", "skip", "notify-sent", ...
  std::string target;  // DN, or e-mail address for notifications
  std::string account;
  std::string rule;    // rule id(s), comma-separated when one action serves several
  std::string detail;  // one human sentence; never a password, hash or secret
};

struct AppendedEntry {
  uint64_t seq = 0;
  std::string hash;
};

class ActionLog {
 public:
  // Opens (creating 0600 if absent) the log at `path`; the key must outlive nothing: it is
  // shared. Does not read the file yet; every Append checks the tail.
  static Result<std::unique_ptr<ActionLog>> Open(const std::string& path,
                                                 std::shared_ptr<const LogSigningKey> key,
                                                 LogActor actor);
  ~ActionLog();
  ActionLog(const ActionLog&) = delete;
  ActionLog& operator=(const ActionLog&) = delete;

  // Appends one entry, durably (fsync) before returning. `now_unix` is injected for tests;
  // nullopt = the clock.
  Result<AppendedEntry> Append(const ActionRecord& record,
                               std::optional<int64_t> now_unix = std::nullopt);
  // Checks, without writing, that the tail verifies against this key (the same check Append
  // makes), so callers can refuse to start work they could not log.
  Status CheckTail();
  const std::string& path() const { return path_; }

 private:
  struct Tail {
    uint64_t seq = 0;      // last seq, 0 for an empty log
    std::string hash;      // last hash, genesis for an empty log
  };
  Result<Tail> ReadTailLocked();
  ActionLog(std::string path, int fd, std::shared_ptr<const LogSigningKey> key, LogActor actor);
  std::string path_;
  int fd_;
  std::shared_ptr<const LogSigningKey> key_;
  LogActor actor_;
};

struct VerifyOptions {
  // If set, some verified entry must carry this hash (the head the run history recorded);
  // catches deletion of entries from the end.
  std::optional<std::string> expect_head;
  // If set, the log must hold at least this many entries.
  std::optional<uint64_t> min_count;
};

// An intent entry without an outcome (see "Write-ahead entries" above).
struct UnfinishedAction {
  uint64_t seq = 0;
  std::string action;  // e.g. "force-change-intent"
  std::string target;
  std::string account;
  std::string time;
};

struct VerifyReport {
  bool ok = false;
  uint64_t entries_verified = 0;  // entries before the first bad one
  std::vector<UnfinishedAction> unfinished;  // of the verified entries, oldest first
  std::string head_hash;          // hash of the last verified entry; genesis when none
  // First problem, when !ok: 1-based line number (0 for whole-log problems such as a missing
  // expected head), the seq found on that line if readable, and what is wrong.
  uint64_t bad_line = 0;
  std::optional<uint64_t> bad_seq;
  std::string problem;
};

// Verifies a whole log against a public key. A file that cannot be read is an error Status;
// a readable but bad log is an OK Result with report.ok == false. A missing file is kNotFound;
// an empty file verifies with 0 entries.
Result<VerifyReport> VerifyActionLog(const std::string& path, const std::array<uint8_t, 32>& pk,
                                     const VerifyOptions& options = {});

// The same check on a log's text (for tests and fuzzing): every problem is in the report.
VerifyReport VerifyActionLogText(const std::string& text, const std::array<uint8_t, 32>& pk,
                                 const VerifyOptions& options = {});

// The genesis hash (hex) for a public key: the prev of seq 1.
std::string LogGenesisHash(const std::array<uint8_t, 32>& pk);

// The log's head: the last entry's hash (hex) and seq (= the number of entries). Recorded in
// the run history and the report as the anchor that shows truncation. {"", 0} when the log does
// not exist or is empty. kCorruption if the last line is not a complete entry. Does not verify
// signatures (no key needed); `credsweep log verify` does.
struct LogHead {
  std::string hash;
  uint64_t entries = 0;
};
Result<LogHead> ReadLogHead(const std::string& path);

}  // namespace credsweep
