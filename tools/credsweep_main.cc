// credsweep: one binary, git-style subcommands. main() only wires them (tools/command.h);
// each subcommand lives in tools/<name>_command.cc.
#include <malloc.h>

#include <CLI/CLI.hpp>

#include <string_view>

#include "engine/base/secure_memory.h"
#include "tools/command.h"

namespace credsweep {
void EnableWipeOnFree();  // tools/credsweep_main_heap.cc
}  // namespace credsweep

int main(int argc, char** argv) {
  // First thing: no core file of this process may ever hold a password, key or hash
  // (engine/base/secure_memory.h). Failing to turn dumps off is not worth running without.
  if (credsweep::Status s = credsweep::DisableCoreDumps(); !s.ok()) {
    return credsweep::ReportError(s);
  }
  // Freed heap is wiped (credsweep_main_heap.cc) wherever secrets pass; `corpus` handles only
  // public breach data and keeps its import hot path free of the cost.
  if (argc < 2 || std::string_view(argv[1]) != "corpus") credsweep::EnableWipeOnFree();
  // No fastbins: the audit frees millions of small blocks (entries, accounts, findings), and
  // glibc's periodic malloc_consolidate over fastbins was ~8 % of a 100 000-account audit;
  // without them small frees go to tcache or are coalesced at once. Measured with
  // bench/audit_bench.sh: median 4.5 s -> 4.1 s, same peak RSS (issue 11).
  mallopt(M_MXFAST, 0);
  CLI::App app{
      "credsweep — leaked-password and credential hygiene for Active Directory and OpenLDAP.\n"
      "Exit codes: 0 ok, 1 something found (leaked input, failed actions), 2 usage or\n"
      "configuration error, 3 runtime error (bad store, directory or SMTP unreachable)."};
  app.require_subcommand(1);
  credsweep::CommandContext ctx;
  // SUBCOMMANDS (one line each; keep this list in the order of the monthly job)
  credsweep::SetupCorpusCommand(app, ctx);
  credsweep::SetupAuditCommand(app, ctx);
  credsweep::SetupEnforceCommand(app, ctx);
  credsweep::SetupNotifyCommand(app, ctx);
  credsweep::SetupLogCommand(app, ctx);
  credsweep::SetupRunCommand(app, ctx);
  credsweep::SetupCheckPasswordCommand(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : credsweep::kExitUsage;
  }
  return ctx.exit_code;
}
