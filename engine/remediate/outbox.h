// Outbox: the mail that notify has composed but not yet delivered, and the ledger of what was
// delivered — on disk, so a dry run can be reviewed and a failed send is retried next run.
//
//   Outbox box = Outbox::Open(findings_dir + "/outbox", state_dir + "/notify-sent.jsonl");
//   if (!box.IsSent(id) && !box.IsPending(id)) box.Write(envelope, eml);
//   for (id : box.PendingIds()) { env = box.ReadEnvelope(id); send; box.MarkSent(env, now); }
//
// Layout, all files 0600 (written atomically by engine/base's file layer):
//   DIR/<id>.json      the envelope: {"id","kind","to","from","run","accounts":[{"account",
//                      "dn","rules"}]} — what the message covers, for the action log
//   DIR/<id>.eml       the RFC 5322 message (notify.h RenderEml). An id is PENDING while its .eml
//                      is here; the envelope is written first, so a pending message always has one
//   DIR/sent/          where both files move once delivered
//   LEDGER             one JSON line per delivered message {"id","to","kind","run","sent_at"},
//                      fsynced before the files move. A message whose id is in it is never sent
//                      again, even from another copy of the findings folder. A torn last line
//                      (crash mid-write) does not count as sent.
//
// Failure policy: I/O errors are Status values naming the path. A damaged envelope is
// kInvalidArgument naming the file, so the caller can mark that one message failed and go on.
// Thread-safety: none; one outbox per notify run (the run lock serialises runs).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "engine/base/status.h"

namespace credsweep {

struct EnvelopeAccount {
  std::string account;
  std::string dn;
  std::vector<std::string> rules;
};

struct Envelope {
  std::string id;
  std::string kind;  // "owner-digest" | "user"
  std::string to;
  std::string from;
  std::string run_id;
  std::vector<EnvelopeAccount> accounts;

  // Comma-separated account names / sorted, de-duplicated rule ids (for the action log).
  std::string AccountList() const;
  std::string RuleList() const;
};

class Outbox {
 public:
  // Creates DIR if needed and loads the ledger (a missing ledger is an empty one).
  [[nodiscard]] static Result<Outbox> Open(std::string dir, std::string ledger_path);

  const std::string& dir() const { return dir_; }

  // Delivered before: in the ledger, or already moved to sent/.
  bool IsSent(const std::string& id) const;
  bool InLedger(const std::string& id) const { return ledger_.count(id) > 0; }
  // Waiting in the outbox (its .eml is here).
  bool IsPending(const std::string& id) const;

  // Writes the envelope, then the message: the id is pending from then on.
  [[nodiscard]] Status Write(const Envelope& envelope, const std::string& eml);

  // Pending ids, sorted (a deterministic send order).
  [[nodiscard]] Result<std::vector<std::string>> PendingIds() const;
  [[nodiscard]] Result<Envelope> ReadEnvelope(const std::string& id) const;
  [[nodiscard]] Result<std::string> ReadEml(const std::string& id) const;

  // After the server accepted it: the ledger line (fsynced), then both files move to sent/.
  [[nodiscard]] Status MarkSent(const Envelope& envelope, int64_t now_unix);
  // Moves an id that the ledger already lists (a crash came between ledger and move).
  [[nodiscard]] Status MoveToSent(const std::string& id);

 private:
  Outbox(std::string dir, std::string ledger_path)
      : dir_(std::move(dir)), ledger_path_(std::move(ledger_path)) {}
  std::string dir_;
  std::string ledger_path_;
  std::set<std::string> ledger_;
};

}  // namespace credsweep
