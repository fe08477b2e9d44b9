// Notify: tell the owners of accounts credsweep will not force (requirement S12 point 3), and
// optionally the users it does force, by mail.
//
//   Result<NotifyReport> r = RunNotify(config, findings, findings_dir, NotifyOptions{.send = true});
//
// Who is told what (ComposeNotifications, pure):
//   - Owner digests: the enforce plan's skips for reason "service" or "protected" (accounts with
//     a non-waived [remediation] force_rules finding that credsweep must not force) are grouped
//     by owner: AccountSummary::owner_mail (resolved by the audit: managedBy, manager,
//     [classify] owner_map), else [notify] fallback_to. One digest per owner lists each
//     account, its DN, the finding and what to do. An account with no usable owner address is
//     reported as unaddressed (and makes notify exit 1) — a notification that cannot be sent
//     must not vanish silently.
//   - User notices ([notify] users = true): one per account the enforce plan forces, to its
//     mail attribute; accounts without one are skipped silently (they are forced anyway).
//   Messages never contain a hash or a password: only names, DNs, rule ids and advice.
//
// Templates: built-in English and Danish ([notify] language "en" | "da"), replaceable per
// language by files in [notify] template_dir: owner_digest.<lang>.txt and user.<lang>.txt.
// A template is "Subject: <subject>" on the first line, an empty line, then the body.
// Placeholders: {{owner}} {{accounts}} {{count}} {{month}} {{date}} {{run_id}} {{from}}
// (digests) and {{name}} {{account}} {{reason}} {{month}} {{date}} {{run_id}} {{from}} (user
// notices). An unknown placeholder is kInvalidArgument naming the file — a typo must not reach
// a mailbox.
//
// Message identity: id = hex BLAKE2b-128 of (run id, recipient, kind, the sorted DN|rules of
// the accounts it covers). Re-running notify for the same findings yields the same ids, so a
// message is written and sent once.
//
// Outbox (outbox.h): DIR/outbox of the findings directory, and the sent ledger
// STATE_DIR/notify-sent.jsonl. Each message is DIR/outbox/<id>.eml — RFC 5322 (CRLF; Date,
// From, To, Subject (RFC 2047 when not ASCII), Message-ID <id@from-domain>, MIME-Version,
// Content-Type text/plain; charset=utf-8, Content-Transfer-Encoding quoted-printable,
// Auto-Submitted: auto-generated) — beside its envelope <id>.json. A message whose id is in the
// ledger is never sent again, even from another copy of the findings directory.
// Without send, messages are only written to the outbox. With send, every pending message in
// the outbox (this run's and any left over from an earlier failed send) is delivered through
// the Mailer, write-ahead logged: action log "notify-intent" before the send; success → ledger
// line (fsynced), move to sent/, action log "notify-sent"; failure → stays pending, action log
// "notify-failed". A crash between the send and its outcome leaves an intent that
// `credsweep log verify` reports as unfinished. After a server-unavailable error the
// remaining messages are not tried in this run (they stay pending). Delivery is at-least-once:
// a crash between the server's acceptance and the ledger write can repeat one message, which
// carries the same Message-ID so the receiver can tell.
// Sending requires a [log] signing key (every notification is logged); writing the outbox does
// not log anything.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "connectors/smtp/smtp_client.h"
#include "engine/base/status.h"
#include "engine/config/config.h"
#include "engine/model/finding.h"
#include "engine/remediate/action_log.h"
#include "engine/remediate/outbox.h"

namespace credsweep {

struct NotifyAccount {
  std::string account;
  std::string dn;
  std::vector<std::string> rules;
  bool protected_account = false;
};

struct NotifyMessage {
  std::string id;    // 32 hex
  std::string kind;  // "owner-digest" | "user"
  std::string to;
  std::string subject;  // UTF-8
  std::string body;     // UTF-8, LF line endings
  std::vector<NotifyAccount> accounts;
};

struct UnaddressedAccount {
  std::string account;
  std::string dn;
  std::string reason;
};

struct ComposedNotifications {
  std::vector<NotifyMessage> messages;  // digests by recipient, then user notices
  std::vector<UnaddressedAccount> unaddressed;
};

// Pure apart from reading override templates from [notify] template_dir. `now_unix` gives
// {{date}} (and {{month}} when the findings carry no start time).
Result<ComposedNotifications> ComposeNotifications(const Config& config,
                                                   const FindingsDocument& doc, int64_t now_unix);

// Replaces {{name}} placeholders; kInvalidArgument naming `origin` for an unknown or unclosed
// placeholder.
Result<std::string> RenderTemplate(const std::string& tmpl,
                                   const std::map<std::string, std::string>& vars,
                                   const std::string& origin);

// The .eml text of a message (see the outbox format above).
std::string RenderEml(const NotifyMessage& m, const std::string& from, int64_t now_unix);

enum class MessageOutcome {
  kWritten,         // newly written to the outbox (pending)
  kPending,         // already in the outbox, not sent (dry run) / not tried (server down)
  kAlreadySent,     // in the sent ledger: never sent twice
  kSent,
  kFailed,
};
const char* MessageOutcomeName(MessageOutcome o);

struct MessageResult {
  std::string id;
  std::string kind;
  std::string to;
  MessageOutcome outcome = MessageOutcome::kWritten;
  std::string message;  // error or note; never a secret
  std::vector<std::string> accounts;  // account names the message covers
};

struct NotifyReport {
  std::vector<MessageResult> messages;  // this run's composed messages, then older pending ones
  std::vector<UnaddressedAccount> unaddressed;
  uint64_t written = 0, pending = 0, already_sent = 0, sent = 0, failed = 0;
  std::string log_head;  // action log head after sending ("" without send)
  bool any_failed() const { return failed > 0 || !unaddressed.empty(); }
};

struct NotifyOptions {
  bool send = false;
  // Injected for tests; default SmtpClient::Create(config.smtp, config.notify.from).
  std::function<Result<std::unique_ptr<Mailer>>()> mailer;
  // Injected for tests; default OpenConfiguredActionLog (engine/remediate/enforce.h).
  std::function<Result<std::unique_ptr<ActionLog>>(const std::string& actor_id)> open_log;
  // The clock (Unix seconds): the month and date in the messages, their Date header, the
  // ledger's sent_at and the action log's times. Default NowUnix.
  std::function<int64_t()> clock;
};

Result<NotifyReport> RunNotify(const Config& config, const FindingsDocument& doc,
                               const std::string& findings_dir, const NotifyOptions& options);

}  // namespace credsweep
