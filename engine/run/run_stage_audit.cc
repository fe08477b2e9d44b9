// The audit stage of `credsweep run` (run_stages.h).
#include "engine/audit/audit_job.h"
#include "engine/run/run_stages.h"

namespace credsweep {

Result<FindingsDocument> AuditStage(const Config& cfg, const std::string& out_dir,
                                    bool changed_only) {
  AuditJobOptions opts;
  opts.changed_only = changed_only;
  return RunAuditJob(cfg, out_dir, opts);
}

std::string AuditOutDir(const Config& cfg, int64_t now_unix, bool changed_only) {
  return DefaultAuditOutDir(cfg, now_unix, changed_only);
}

}  // namespace credsweep
