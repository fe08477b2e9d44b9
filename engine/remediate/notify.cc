#include "engine/remediate/notify.h"

#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>
#include <set>

#include "connectors/directory/directory_reader.h"
#include "engine/base/file_util.h"
#include "engine/base/hex.h"
#include "engine/base/time_util.h"
#include "engine/remediate/enforce.h"
#include "engine/remediate/mime.h"
#include "engine/remediate/notify_templates.h"
#include "engine/remediate/outbox.h"

namespace credsweep {
namespace {

using nlohmann::json;

struct RuleText {
  const char* finding;
  const char* todo;
  const char* user_reason;
};

// Per-language explanation of the rules notify is about; others fall back to the report.
RuleText TextFor(const std::string& lang, const std::string& rule) {
  const bool da = lang == "da";
  if (rule == "leaked-password") {
    return da ? RuleText{"adgangskoden findes på en liste over lækkede adgangskoder",
                         "skift til en ny, lang og unik adgangskode, og opdatér den alle steder, "
                         "hvor kontoen bruges",
                         "findes på en liste over lækkede adgangskoder"}
              : RuleText{"the password is on a list of leaked passwords",
                         "change it to a new, long, unique password and update it everywhere "
                         "the account is used",
                         "is on a list of leaked passwords"};
  }
  if (rule == "empty-password") {
    return da ? RuleText{"adgangskoden er tom", "sæt en lang og unik adgangskode", "er tom"}
              : RuleText{"the password is empty", "set a long, unique password", "is empty"};
  }
  return da ? RuleText{"se credsweep-rapporten", "se credsweep-rapporten",
                       "skal skiftes (se credsweep-rapporten)"}
            : RuleText{"see the credsweep report", "see the credsweep report",
                       "must be changed (see the credsweep report)"};
}

std::string RenderAccountList(const std::string& lang, const std::vector<NotifyAccount>& accts) {
  const bool da = lang == "da";
  std::string out;
  for (const auto& a : accts) {
    // Directory values: control characters must not add lines to the mail (mime.h).
    out += "  - " + SanitizeMailValue(a.account) + "\n";
    out += "    DN: " + SanitizeMailValue(a.dn) + "\n";
    for (const auto& r : a.rules) {
      RuleText t = TextFor(lang, r);
      out += std::string(da ? "    Fund: " : "    Finding: ") + t.finding + " (" + r + ")\n";
      out += std::string(da ? "    Gør dette: " : "    What to do: ") + t.todo + "\n";
    }
    if (a.protected_account) {
      out += da ? "    Bemærk: beskyttet konto; credsweep ændrer den aldrig\n"
                : "    Note: protected account; credsweep never changes it\n";
    }
    out += "\n";
  }
  return out;
}


std::string MessageId(const std::string& run_id, const std::string& to, const std::string& kind,
                      const std::vector<NotifyAccount>& accts) {
  std::vector<std::string> keys;
  for (const auto& a : accts) {
    std::string k = a.dn + "|";
    for (const auto& r : a.rules) k += r + ",";
    keys.push_back(k);
  }
  std::sort(keys.begin(), keys.end());
  std::string material = run_id + '\0' + to + '\0' + kind + '\0';
  for (const auto& k : keys) material += k + '\n';
  uint8_t h[16];
  crypto_generichash(h, sizeof(h), reinterpret_cast<const uint8_t*>(material.data()),
                     material.size(), nullptr, 0);
  return HexEncode(h, sizeof(h));
}

// Built-in or overriding template text and its origin (for error messages).
Result<std::pair<std::string, std::string>> LoadTemplate(const NotifyConfig& cfg,
                                                         const std::string& kind) {
  const std::string file = kind + "." + cfg.language + ".txt";
  if (!cfg.template_dir.empty()) {
    const std::string path = ResolvePath(cfg.template_dir, file);
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) {
      CS_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
      return std::make_pair(text, path);
    }
  }
  const bool da = cfg.language == "da";
  if (cfg.language != "en" && !da) {
    return Status::InvalidArgument("[notify] language \"" + cfg.language +
                                   "\" has no built-in templates (\"en\" or \"da\")");
  }
  const char* text = kind == "owner_digest" ? (da ? internal::kOwnerDigestDa : internal::kOwnerDigestEn)
                                            : (da ? internal::kUserDa : internal::kUserEn);
  return std::make_pair(std::string(text), "built-in " + file);
}

// Splits "Subject: ...\n\nbody" and renders both.
Status RenderMessage(const std::pair<std::string, std::string>& tmpl,
                     const std::map<std::string, std::string>& vars, NotifyMessage* m) {
  const std::string& text = tmpl.first;
  std::string norm;
  norm.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    norm += text[i];
  }
  const std::string prefix = "Subject:";
  size_t eol = norm.find('\n');
  if (norm.rfind(prefix, 0) != 0 || eol == std::string::npos) {
    return Status::InvalidArgument(tmpl.second + ": the first line must be \"Subject: ...\"");
  }
  std::string subject = norm.substr(prefix.size(), eol - prefix.size());
  subject.erase(0, subject.find_first_not_of(" \t"));
  size_t body_start = eol + 1;
  if (body_start < norm.size() && norm[body_start] == '\n') ++body_start;
  CS_ASSIGN_OR_RETURN(m->subject, RenderTemplate(subject, vars, tmpl.second));
  CS_ASSIGN_OR_RETURN(m->body, RenderTemplate(norm.substr(body_start), vars, tmpl.second));
  for (char& c : m->subject) {
    if (c == '\n' || c == '\r') c = ' ';  // a value must not open a new header
  }
  return Status::Ok();
}

std::string MonthOf(const FindingsDocument& doc, int64_t now) {
  if (doc.run.started_at.size() >= 7) return doc.run.started_at.substr(0, 7);
  return FormatUtcDate(now).substr(0, 7);
}

Envelope EnvelopeOf(const NotifyMessage& m, const std::string& from, const std::string& run_id) {
  Envelope e{m.id, m.kind, m.to, from, run_id, {}};
  for (const auto& a : m.accounts) e.accounts.push_back({a.account, a.dn, a.rules});
  return e;
}

}  // namespace

const char* MessageOutcomeName(MessageOutcome o) {
  switch (o) {
    case MessageOutcome::kWritten: return "written";
    case MessageOutcome::kPending: return "pending";
    case MessageOutcome::kAlreadySent: return "already-sent";
    case MessageOutcome::kSent: return "sent";
    case MessageOutcome::kFailed: return "failed";
  }
  return "unknown";
}

Result<std::string> RenderTemplate(const std::string& tmpl,
                                   const std::map<std::string, std::string>& vars,
                                   const std::string& origin) {
  std::string out;
  size_t pos = 0;
  int line = 1;
  while (pos < tmpl.size()) {
    size_t open = tmpl.find("{{", pos);
    if (open == std::string::npos) {
      out.append(tmpl, pos, std::string::npos);
      break;
    }
    line += static_cast<int>(std::count(tmpl.begin() + pos, tmpl.begin() + open, '\n'));
    out.append(tmpl, pos, open - pos);
    size_t close = tmpl.find("}}", open + 2);
    if (close == std::string::npos || tmpl.find('\n', open) < close) {
      return Status::InvalidArgument(origin + ":" + std::to_string(line) +
                                     ": unclosed placeholder \"{{\"");
    }
    std::string name = tmpl.substr(open + 2, close - open - 2);
    name.erase(0, name.find_first_not_of(' '));
    name.erase(name.find_last_not_of(' ') + 1);
    auto it = vars.find(name);
    if (it == vars.end()) {
      std::string known;
      for (const auto& [k, v] : vars) known += (known.empty() ? "" : ", ") + k;
      return Status::InvalidArgument(origin + ":" + std::to_string(line) +
                                     ": unknown placeholder {{" + name + "}} (known: " + known +
                                     ")");
    }
    out += it->second;
    pos = close + 2;
  }
  return out;
}

Result<ComposedNotifications> ComposeNotifications(const Config& config,
                                                   const FindingsDocument& doc, int64_t now_unix) {
  CS_ASSIGN_OR_RETURN(DirectoryFlavor flavor, ParseFlavor(config.directory.flavor));
  CS_ASSIGN_OR_RETURN(EnforcePlan plan, PlanEnforcement(config.remediation, flavor, doc));
  const NotifyConfig& nc = config.notify;
  const std::string month = MonthOf(doc, now_unix);
  const std::string date = FormatUtcDate(now_unix);

  std::map<std::string, const AccountSummary*> by_dn;
  for (const auto& a : doc.accounts) by_dn[a.dn] = &a;

  ComposedNotifications out;
  // Owner digests, grouped by recipient in first-seen order.
  std::vector<std::string> owners;
  std::map<std::string, std::vector<NotifyAccount>> by_owner;
  for (const auto& s : plan.skips) {
    if (s.reason_code != "service" && s.reason_code != "protected") continue;
    auto it = by_dn.find(s.dn);
    std::string owner = it != by_dn.end() ? it->second->owner_mail : "";
    if (owner.empty()) owner = nc.fallback_to;
    if (owner.empty()) {
      out.unaddressed.push_back({s.account, s.dn,
                                 "no owner found (managedBy, manager, owner_map) and [notify] "
                                 "fallback_to is not set"});
      continue;
    }
    if (!IsPlausibleMailAddress(owner)) {
      out.unaddressed.push_back({s.account, s.dn, "owner address \"" + owner + "\" is not usable"});
      continue;
    }
    if (!by_owner.count(owner)) owners.push_back(owner);
    by_owner[owner].push_back(NotifyAccount{s.account, s.dn, s.rules, s.reason_code == "protected"});
  }
  if (!owners.empty()) {
    CS_ASSIGN_OR_RETURN(auto tmpl, LoadTemplate(nc, "owner_digest"));
    for (const auto& owner : owners) {
      NotifyMessage m;
      m.kind = "owner-digest";
      m.to = owner;
      m.accounts = by_owner[owner];
      std::map<std::string, std::string> vars{{"owner", owner},
                                              {"accounts", RenderAccountList(nc.language, m.accounts)},
                                              {"count", std::to_string(m.accounts.size())},
                                              {"month", month},
                                              {"date", date},
                                              {"run_id", doc.run.id},
                                              {"from", nc.from}};
      CS_RETURN_IF_ERROR(RenderMessage(tmpl, vars, &m));
      m.id = MessageId(doc.run.id, m.to, m.kind, m.accounts);
      out.messages.push_back(std::move(m));
    }
  }
  if (nc.users && !plan.changes.empty()) {
    CS_ASSIGN_OR_RETURN(auto tmpl, LoadTemplate(nc, "user"));
    for (const auto& c : plan.changes) {
      auto it = by_dn.find(c.dn);
      if (it == by_dn.end() || !IsPlausibleMailAddress(it->second->mail)) continue;
      const AccountSummary& a = *it->second;
      NotifyMessage m;
      m.kind = "user";
      m.to = a.mail;
      m.accounts = {NotifyAccount{c.account, c.dn, c.rules, false}};
      std::map<std::string, std::string> vars{
          {"name", SanitizeMailValue(a.display_name.empty() ? a.account : a.display_name)},
          {"account", SanitizeMailValue(a.account)},
          {"reason", TextFor(nc.language, c.rules.empty() ? "" : c.rules.front()).user_reason},
          {"month", month},
          {"date", date},
          {"run_id", doc.run.id},
          {"from", nc.from}};
      CS_RETURN_IF_ERROR(RenderMessage(tmpl, vars, &m));
      m.id = MessageId(doc.run.id, m.to, m.kind, m.accounts);
      out.messages.push_back(std::move(m));
    }
  }
  return out;
}

std::string RenderEml(const NotifyMessage& m, const std::string& from, int64_t now_unix) {
  const size_t at = from.find('@');
  const std::string domain = at == std::string::npos ? "credsweep.invalid" : from.substr(at + 1);
  std::string eml;
  eml += "Date: " + Rfc5322Date(now_unix) + "\r\n";
  eml += "From: " + from + "\r\n";
  eml += "To: " + m.to + "\r\n";
  eml += "Subject: " + EncodeHeaderText(m.subject, 9) + "\r\n";
  eml += "Message-ID: <" + m.id + "@" + domain + ">\r\n";
  eml += "MIME-Version: 1.0\r\n";
  eml += "Content-Type: text/plain; charset=utf-8\r\n";
  eml += "Content-Transfer-Encoding: quoted-printable\r\n";
  eml += "Auto-Submitted: auto-generated\r\n";  // RFC 3834: no auto-replies, please
  eml += "X-Credsweep-Kind: " + m.kind + "\r\n";
  eml += "\r\n";
  eml += EncodeQuotedPrintable(m.body);
  if (eml.size() < 2 || eml.compare(eml.size() - 2, 2, "\r\n") != 0) eml += "\r\n";
  return eml;
}

Result<NotifyReport> RunNotify(const Config& config, const FindingsDocument& doc,
                               const std::string& findings_dir, const NotifyOptions& options) {
  if (!IsPlausibleMailAddress(config.notify.from)) {
    return Status::InvalidArgument("[notify] from \"" + config.notify.from +
                                   "\" is not a usable address");
  }
  const std::function<int64_t()> clock = options.clock ? options.clock : NowUnix;
  const int64_t now = clock();
  CS_ASSIGN_OR_RETURN(ComposedNotifications composed, ComposeNotifications(config, doc, now));
  const std::string state = config.run.state_dir.empty() ? "credsweep-state" : config.run.state_dir;
  CS_ASSIGN_OR_RETURN(Outbox outbox, Outbox::Open(ResolvePath(findings_dir, "outbox"),
                                                  ResolvePath(state, "notify-sent.jsonl")));

  NotifyReport rep;
  rep.unaddressed = composed.unaddressed;
  std::map<std::string, size_t> index;  // id -> position in rep.messages
  for (const auto& m : composed.messages) {
    MessageResult r{m.id, m.kind, m.to, MessageOutcome::kWritten, "", {}};
    for (const auto& a : m.accounts) r.accounts.push_back(a.account);
    if (outbox.IsSent(m.id)) {
      r.outcome = MessageOutcome::kAlreadySent;
    } else if (outbox.IsPending(m.id)) {
      r.outcome = MessageOutcome::kPending;
    } else {
      CS_RETURN_IF_ERROR(outbox.Write(EnvelopeOf(m, config.notify.from, doc.run.id),
                                      RenderEml(m, config.notify.from, now)));
    }
    index[m.id] = rep.messages.size();
    rep.messages.push_back(std::move(r));
  }

  if (options.send) {
    std::unique_ptr<Mailer> mailer;
    if (options.mailer) {
      CS_ASSIGN_OR_RETURN(mailer, options.mailer());
    } else {
      CS_ASSIGN_OR_RETURN(std::unique_ptr<SmtpClient> smtp,
                          SmtpClient::Create(config.smtp, config.notify.from));
      mailer = std::move(smtp);
    }
    std::unique_ptr<ActionLog> log;
    if (options.open_log) {
      CS_ASSIGN_OR_RETURN(log, options.open_log(mailer->Identity()));
    } else {
      CS_ASSIGN_OR_RETURN(log, OpenConfiguredActionLog(config, mailer->Identity()));
    }
    CS_RETURN_IF_ERROR(log->CheckTail());

    CS_ASSIGN_OR_RETURN(std::vector<std::string> pending, outbox.PendingIds());
    bool server_down = false;
    for (const auto& id : pending) {
      auto pos = index.find(id);
      if (pos == index.end()) {
        index[id] = rep.messages.size();
        rep.messages.push_back(
            MessageResult{id, "", "", MessageOutcome::kPending, "left from an earlier run", {}});
        pos = index.find(id);
      }
      MessageResult& r = rep.messages[pos->second];
      if (outbox.InLedger(id)) {  // delivered before; only the move was interrupted
        CS_RETURN_IF_ERROR(outbox.MoveToSent(id));
        r.outcome = MessageOutcome::kAlreadySent;
        continue;
      }
      Result<Envelope> env = outbox.ReadEnvelope(id);
      if (!env.ok()) {
        r.outcome = MessageOutcome::kFailed;
        r.message = "its envelope file " + id + ".json is missing or damaged; delete both files "
                    "of this id and re-run notify to rewrite them";
        continue;
      }
      if (env->run_id.empty()) env->run_id = doc.run.id;
      r.to = env->to;
      r.kind = env->kind;
      if (r.accounts.empty()) {
        for (const auto& a : env->accounts) r.accounts.push_back(a.account);
      }
      if (server_down) {
        r.outcome = MessageOutcome::kPending;
        r.message = "not tried: the server was unavailable";
        continue;
      }
      CS_ASSIGN_OR_RETURN(std::string eml, outbox.ReadEml(id));

      // Write-ahead: the intent is durable before the mail leaves (action_log.h).
      CS_RETURN_IF_ERROR(log->Append(ActionRecord{env->run_id, "notify-intent", r.to,
                                                  env->AccountList(), env->RuleList(),
                                                  "about to send " + r.kind + " message " + id},
                                     clock())
                             .status());
      Status s = mailer->Send(env->from, r.to, eml);
      if (s.ok()) {
        CS_RETURN_IF_ERROR(outbox.MarkSent(*env, clock()));
        r.outcome = MessageOutcome::kSent;
        r.message.clear();
        CS_ASSIGN_OR_RETURN(AppendedEntry e,
                            log->Append(ActionRecord{env->run_id, "notify-sent", r.to,
                                                     env->AccountList(), env->RuleList(),
                                                     r.kind + " message " + id},
                                        clock()));
        rep.log_head = e.hash;
      } else {
        r.outcome = MessageOutcome::kFailed;
        r.message = s.message();
        if (s.code() == StatusCode::kUnavailable) server_down = true;
        CS_ASSIGN_OR_RETURN(AppendedEntry e,
                            log->Append(ActionRecord{env->run_id, "notify-failed", r.to,
                                                     env->AccountList(), env->RuleList(),
                                                     r.kind + " message " + id +
                                                         " stays pending: " + s.message()},
                                        clock()));
        rep.log_head = e.hash;
      }
    }
  }
  for (const auto& r : rep.messages) {
    switch (r.outcome) {
      case MessageOutcome::kWritten: ++rep.written; break;
      case MessageOutcome::kPending: ++rep.pending; break;
      case MessageOutcome::kAlreadySent: ++rep.already_sent; break;
      case MessageOutcome::kSent: ++rep.sent; break;
      case MessageOutcome::kFailed: ++rep.failed; break;
    }
  }
  return rep;
}

}  // namespace credsweep
