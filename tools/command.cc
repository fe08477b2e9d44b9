#include "tools/command.h"

#include <iostream>

namespace credsweep {

int ReportError(const Status& status) {
  std::cerr << "credsweep: error: " << status.message() << "\n";
  return ExitCodeFor(status);
}

}  // namespace credsweep
