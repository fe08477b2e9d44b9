// `credsweep notify --config FILE --findings DIR [--send]` — owner digests and user notices
// (engine/remediate/notify.h).
//
// Without --send: writes RFC 5322 .eml files to DIR/outbox/ and lists them.
// With --send: also delivers every pending message in DIR/outbox over SMTP (STARTTLS, TLS >= 1.2)
// and logs each delivery to the signed action log; sent messages move to DIR/outbox/sent/.
// Exit: 0 all done, 1 a send failed (it stays pending for the next --send) or an account has no
// owner address, 2 usage/config error, 3 runtime error.
#include <iostream>
#include <memory>
#include <string>

#include "engine/config/config.h"
#include "engine/model/finding.h"
#include "engine/remediate/notify.h"
#include "tools/command.h"

namespace credsweep {
namespace {

struct NotifyArgs {
  std::string config;
  std::string findings;
  bool send = false;
};

int RunNotifyCommand(const NotifyArgs& args) {
  Result<Config> cfg = LoadCommandConfig(args.config);
  if (!cfg.ok()) return ReportError(cfg.status());
  Result<FindingsDocument> doc = LoadFindings(args.findings);
  if (!doc.ok()) return ReportError(doc.status());
  NotifyOptions options;
  options.send = args.send;
  Result<NotifyReport> rep = RunNotify(*cfg, *doc, args.findings, options);
  if (!rep.ok()) return ReportError(rep.status().WithContext("notify"));

  std::cout << "credsweep notify: run " << doc->run.id << ", "
            << (args.send ? "sending" : "writing the outbox only (use --send to deliver)") << "\n";
  for (const auto& m : rep->messages) {
    std::cout << "  " << MessageOutcomeName(m.outcome) << "  " << m.kind << "  " << m.to << "  "
              << m.id;
    if (!m.message.empty()) std::cout << "  (" << m.message << ")";
    std::cout << "\n";
  }
  for (const auto& u : rep->unaddressed) {
    std::cerr << "credsweep: warning: " << u.account << " (" << u.dn << "): " << u.reason << "\n";
  }
  std::cout << "written: " << rep->written << ", pending: " << rep->pending
            << ", sent: " << rep->sent << ", already sent: " << rep->already_sent
            << ", failed: " << rep->failed << ", unaddressed: " << rep->unaddressed.size() << "\n"
            << "outbox: " << args.findings << "/outbox\n";
  if (!rep->log_head.empty()) std::cout << "action log head: " << rep->log_head << "\n";
  return rep->any_failed() ? kExitFound : kExitOk;
}

}  // namespace

void SetupNotifyCommand(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<NotifyArgs>();
  CLI::App* cmd = app.add_subcommand(
      "notify",
      "Write owner digests (and optional user notices) for the findings to DIR/outbox; "
      "--send delivers them over SMTP with STARTTLS");
  cmd->add_option("--config", args->config, "credsweep TOML config file")->required();
  cmd->add_option("--findings", args->findings, "folder holding findings.json from `audit`")
      ->required();
  cmd->add_flag("--send", args->send, "deliver pending messages over SMTP");
  cmd->callback([args, &ctx] { ctx.exit_code = RunNotifyCommand(*args); });
}

}  // namespace credsweep
