// The enforce, notify and action-log stages of `credsweep run` (run_stages.h).
#include "engine/remediate/action_log.h"
#include "engine/remediate/enforce.h"
#include "engine/remediate/notify.h"
#include "engine/run/run_stages.h"

namespace credsweep {
namespace {

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

}  // namespace

StageResult EnforceStage(const Config& cfg, const FindingsDocument& doc, bool apply,
                         bool allow_mass_change) {
  StageResult out;
  EnforceOptions opt;
  opt.apply = apply;
  opt.allow_mass_change = allow_mass_change;
  Result<EnforceReport> r = RunEnforce(cfg, doc, opt);
  if (!r.ok()) {
    out.state = "failed";
    out.message = r.status().message();
    return out;
  }
  for (const PlannedSkip& s : r->plan.skips) {
    ++out.counts.skipped;
    out.rows.push_back({s.account, s.dn, Join(s.rules), "not forced (" + s.reason_code + ")", "",
                        s.reason});
  }
  for (const ChangeResult& c : r->results) {
    ActionRow row{c.change.account, c.change.dn, Join(c.change.rules),
                  "force change at next logon (" + c.change.action + ")", "", ""};
    switch (c.outcome) {
      case ChangeOutcome::kPlanned:
        ++out.counts.planned;
        row.result = "planned (dry run)";
        break;
      case ChangeOutcome::kApplied:
        ++out.counts.forced;
        row.result = "done";
        break;
      case ChangeOutcome::kAlreadyPending:
      case ChangeOutcome::kSkipped:
        ++out.counts.skipped;
        row.result = std::string("skipped: ") +
                     (c.message.empty() ? ChangeOutcomeName(c.outcome) : c.message);
        break;
      case ChangeOutcome::kFailed:
      case ChangeOutcome::kNotAttempted:
        ++out.counts.failed;
        row.result = std::string(ChangeOutcomeName(c.outcome)) +
                     (c.message.empty() ? "" : ": " + c.message);
        break;
    }
    out.rows.push_back(std::move(row));
  }
  out.message = std::to_string(apply ? out.counts.forced : out.counts.planned) +
                (apply ? " forced" : " planned") + ", " + std::to_string(out.counts.skipped) +
                " not forced, " + std::to_string(out.counts.failed) + " failed";
  if (r->plan.cap_exceeded) {
    out.message += "; the plan exceeds the safety cap of " + std::to_string(r->plan.cap) +
                   " changes: --apply would be refused without --allow-mass-change";
  }
  if (!r->stopped_reason.empty()) out.message += "; stopped: " + r->stopped_reason;
  if (r->any_failed()) out.state = "failed";
  return out;
}

StageResult NotifyStage(const Config& cfg, const FindingsDocument& doc,
                        const std::string& out_dir, bool apply) {
  StageResult out;
  // Applying without a mail server would silently leave owners uninformed: write the outbox
  // and say so as a failure.
  const bool no_smtp = apply && cfg.smtp.url.empty();
  NotifyOptions opt;
  opt.send = apply && !no_smtp;
  Result<NotifyReport> r = RunNotify(cfg, doc, out_dir, opt);
  if (!r.ok()) {
    out.state = "failed";
    out.message = r.status().message();
    return out;
  }
  for (const MessageResult& m : r->messages) {
    ActionRow row{Join(m.accounts), "", "", m.kind == "user" ? "notify user" : "notify owner",
                  m.to, ""};
    switch (m.outcome) {
      case MessageOutcome::kSent:
        ++out.counts.notified;
        row.result = "sent";
        break;
      case MessageOutcome::kWritten:
      case MessageOutcome::kPending:
        ++out.counts.outbox;
        row.result = opt.send ? "pending (not sent)" : "written to outbox (dry run)";
        break;
      case MessageOutcome::kAlreadySent:
        row.result = "already sent in an earlier run";
        break;
      case MessageOutcome::kFailed:
        ++out.counts.failed;
        row.result = "failed" + (m.message.empty() ? std::string() : ": " + m.message);
        break;
    }
    out.rows.push_back(std::move(row));
  }
  for (const UnaddressedAccount& u : r->unaddressed) {
    ++out.counts.failed;
    out.rows.push_back({u.account, u.dn, "", "notify owner", "", "failed: " + u.reason});
  }
  out.message = std::to_string(out.counts.notified) + " sent, " +
                std::to_string(out.counts.outbox) + (opt.send ? " pending" : " in outbox") +
                ", " + std::to_string(out.counts.failed) + " failed";
  if (!r->unaddressed.empty()) {
    out.message += " (" + std::to_string(r->unaddressed.size()) + " accounts without an owner address)";
  }
  if (r->any_failed()) out.state = "failed";
  if (no_smtp && out.counts.outbox > 0) {
    out.state = "failed";
    out.message += "; [run] apply is true but no [smtp] url is configured: messages were left "
                   "in the outbox, not sent";
  }
  return out;
}

std::string ActionLogPathStage(const Config& cfg) { return ConfiguredActionLogPath(cfg); }

Result<LogHead> ActionLogHeadStage(const std::string& log_path) { return ReadLogHead(log_path); }

}  // namespace credsweep
