// The real stages of `credsweep run` (run_job.h's RunStages defaults), one adapter per engine
// module, each turning that module's result into report terms (StageResult, ActionRow).
//
// They live in separate translation units on purpose: each includes only the one engine header
// it adapts, so the run job depends on the narrow RunStages interface and not on every module's
// headers at once.
#pragma once

#include <cstdint>
#include <string>

#include "engine/base/status.h"
#include "engine/config/config.h"
#include "engine/model/finding.h"
#include "engine/run/run_job.h"

namespace credsweep {

// run_stage_audit.cc: RunAuditJob (findings.json + findings.csv in out_dir); changed_only is
// AuditJobOptions::changed_only (`run --changed`).
Result<FindingsDocument> AuditStage(const Config& cfg, const std::string& out_dir,
                                    bool changed_only);
// Where a run writes findings and the report: the audit's DefaultAuditOutDir.
std::string AuditOutDir(const Config& cfg, int64_t now_unix, bool changed_only);

// run_stage_remediate.cc: RunEnforce / RunNotify / the action log.
StageResult EnforceStage(const Config& cfg, const FindingsDocument& doc, bool apply,
                         bool allow_mass_change);
StageResult NotifyStage(const Config& cfg, const FindingsDocument& doc,
                        const std::string& out_dir, bool apply);
std::string ActionLogPathStage(const Config& cfg);
Result<LogHead> ActionLogHeadStage(const std::string& log_path);

}  // namespace credsweep
