// How a subcommand plugs into the one `credsweep` binary (CLI11 `subcom_in_files` pattern):
// each tools/<name>_command.cc defines `void Setup<Name>Command(CLI::App& app, CommandContext& ctx)`
// which adds its subcommand with an options struct and a callback that runs it and stores the
// exit code in ctx.exit_code. main() only wires them.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "engine/base/status.h"
#include "engine/config/config.h"

namespace credsweep {

struct CommandContext {
  int exit_code = kExitOk;
};

// Prints "credsweep: error: <message>" to stderr and returns the exit code for the status
// (2 usage/config, 3 runtime). The message must already be free of secrets.
int ReportError(const Status& status);

// LoadConfig plus the checks that need the rule table (ValidateRuleIds: [[exceptions]],
// [rules] disabled, [remediation] force_rules). Every subcommand that reads a config loads it
// through this, so a typo in force_rules stops enforce and notify as well as audit (exit 2).
Result<Config> LoadCommandConfig(const std::string& path);

void SetupCorpusCommand(CLI::App& app, CommandContext& ctx);
void SetupAuditCommand(CLI::App& app, CommandContext& ctx);
void SetupEnforceCommand(CLI::App& app, CommandContext& ctx);
void SetupNotifyCommand(CLI::App& app, CommandContext& ctx);
void SetupLogCommand(CLI::App& app, CommandContext& ctx);
void SetupRunCommand(CLI::App& app, CommandContext& ctx);
void SetupCheckPasswordCommand(CLI::App& app, CommandContext& ctx);

}  // namespace credsweep
