#include "tools/command.h"

#include <iostream>

#include "engine/audit/waivers.h"

namespace credsweep {

int ReportError(const Status& status) {
  std::cerr << "credsweep: error: " << status.message() << "\n";
  return ExitCodeFor(status);
}

Result<Config> LoadCommandConfig(const std::string& path) {
  CS_ASSIGN_OR_RETURN(Config cfg, LoadConfig(path));
  CS_RETURN_IF_ERROR(ValidateRuleIds(cfg));
  return cfg;
}

}  // namespace credsweep
