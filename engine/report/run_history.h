// Run history: one JSON record per `credsweep run`, kept in the state directory.
//
// This is the evidence behind requirement S12's "checked at least monthly" and the report's
// month-over-month trend: what was checked, against which corpus versions, what was found, what
// was done, and the action log's head hash at the end of the run — as data, not memory.
//
// Layout:   STATE/history/<run-id>.json   (0600, written atomically; never rewritten — a second
//           record with the same id, e.g. two runs in one second, becomes <run-id>-2.json)
//
// {
//   "format": "credsweep-run", "version": 1,
//   "id", "started_at", "finished_at" (UTC ISO-8601), "apply" (bool),
//   "scope" ("full" | "delta": a `run --changed`, finding.h RunScope), "directory", "store",
//   "report_dir", "corpus_sources": [ {"name","version","lines","imported_at"} ],
//   "accounts_checked", "hash_material" (as findings.json run.hash_material: source, DC,
//   naming context, high-water mark, coverage), "findings" (active, i.e. not waived), "waived",
//   "counts": { "<rule>": n }            (active findings per rule),
//   "severity": { "critical": n, ... }   (active findings per severity),
//   "actions": { "forced", "planned", "skipped", "notified", "outbox", "failed" },
//   "log_head_hash", "log_entries", "stages": [ {"name","state","message"} ], "exit_code"
// }
//
// Failure policy: SaveRunRecord fails with kIOError naming the path. LoadRunHistory skips (and
// names, in `unreadable`) a file that is not a run record, so one damaged file never hides the
// rest of the history; a missing history directory is an empty history.
// Thread-safety: plain functions; the run lock (run_lock.h) serialises writers.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/base/status.h"
#include "engine/model/finding.h"

namespace credsweep {

// What the remediation stages did, counted. "planned" = forced changes a dry run would make;
// "outbox" = notifications written as .eml files (dry run) or left pending after a failed send.
struct ActionCounts {
  uint64_t forced = 0;
  uint64_t planned = 0;
  uint64_t skipped = 0;
  uint64_t notified = 0;
  uint64_t outbox = 0;
  uint64_t failed = 0;
};

// One stage of the run (audit, enforce, notify, report): "ok", "failed" or "skipped".
struct StageOutcome {
  std::string name;
  std::string state;
  std::string message;  // one line; free of secrets
};

struct RunRecord {
  std::string id;
  std::string started_at;
  std::string finished_at;
  bool apply = false;
  std::string directory;
  std::string store;
  std::string report_dir;
  std::vector<CorpusSource> corpus_sources;
  uint64_t accounts_checked = 0;
  HashMaterialInfo hash_material;
  uint64_t findings = 0;  // active (not waived)
  uint64_t waived = 0;
  std::vector<std::pair<std::string, uint64_t>> counts;    // rule -> active findings
  std::vector<std::pair<std::string, uint64_t>> severity;  // severity -> active findings
  ActionCounts actions;
  std::string log_head_hash;  // the action log's head after the run ("" = no entries)
  uint64_t log_entries = 0;   // and its entry count: with the head, the anchor against truncation
  std::vector<StageOutcome> stages;
  int exit_code = 0;

  // Active findings for a rule (0 when absent).
  uint64_t CountFor(const std::string& rule) const;
};

struct RunHistory {
  std::vector<RunRecord> runs;         // oldest first (by started_at, then id)
  std::vector<std::string> unreadable;  // "PATH: reason" for skipped files
};

// Fills id, times, directory, store, corpus sources, accounts and the per-rule / per-severity
// counts of active findings from an audit's findings document.
void FillFromFindings(const FindingsDocument& doc, RunRecord* record);

std::string RunRecordToJson(const RunRecord& record);
Result<RunRecord> RunRecordFromJson(const std::string& text, const std::string& origin);

// STATE/history/<id>.json. The id is reduced to [A-Za-z0-9._-] for the file name.
std::string RunRecordPath(const std::string& state_dir, const std::string& id);
[[nodiscard]] Status SaveRunRecord(const std::string& state_dir, const RunRecord& record);
[[nodiscard]] Result<RunHistory> LoadRunHistory(const std::string& state_dir);

}  // namespace credsweep
