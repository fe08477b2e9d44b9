// The audit stage of `credsweep run` (run_stages.h).
#include "engine/audit/audit_job.h"
#include "engine/run/run_stages.h"

namespace credsweep {

Result<FindingsDocument> AuditStage(const Config& cfg, const std::string& out_dir) {
  return RunAuditJob(cfg, out_dir);
}

std::string AuditOutDir(const Config& cfg, int64_t now_unix) {
  return DefaultAuditOutDir(cfg, now_unix);
}

}  // namespace credsweep
