#include "engine/report/run_history.h"

#include <algorithm>
#include <cerrno>
#include <dirent.h>
#include <map>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "engine/base/file_util.h"

namespace credsweep {
namespace {

using nlohmann::json;

constexpr const char* kFormat = "credsweep-run";
constexpr int kVersion = 1;

json PairsToJson(const std::vector<std::pair<std::string, uint64_t>>& pairs) {
  json j = json::object();
  for (const auto& [k, v] : pairs) j[k] = v;
  return j;
}

std::vector<std::pair<std::string, uint64_t>> PairsFromJson(const json& j) {
  std::vector<std::pair<std::string, uint64_t>> out;
  if (!j.is_object()) return out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.value().is_number_unsigned() || it.value().is_number_integer()) {
      out.emplace_back(it.key(), it.value().get<uint64_t>());
    }
  }
  return out;
}

template <typename T>
void GetOpt(const json& j, const char* key, T* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;
  try {
    *out = it->get<T>();
  } catch (const json::exception&) {
    // A field of the wrong type keeps its default; the record stays readable.
  }
}

}  // namespace

uint64_t RunRecord::CountFor(const std::string& rule) const {
  for (const auto& [r, n] : counts) {
    if (r == rule) return n;
  }
  return 0;
}

void FillFromFindings(const FindingsDocument& doc, RunRecord* record) {
  record->id = doc.run.id;
  record->started_at = doc.run.started_at;
  record->directory = doc.run.directory;
  record->store = doc.run.store;
  record->corpus_sources = doc.run.corpus_sources;
  record->accounts_checked = doc.run.accounts_checked;
  record->hash_material = doc.run.hash_material;
  // Count from the findings themselves rather than run.counts so waived findings are excluded:
  // the trend must show what still needs doing.
  std::vector<std::pair<std::string, uint64_t>> counts;
  for (const auto& [rule, n] : doc.run.counts) counts.emplace_back(rule, 0);
  std::map<std::string, uint64_t> severity;
  record->findings = 0;
  record->waived = 0;
  for (const Finding& f : doc.findings) {
    if (f.waived) {
      ++record->waived;
      continue;
    }
    ++record->findings;
    ++severity[f.severity];
    auto it = std::find_if(counts.begin(), counts.end(),
                           [&](const auto& p) { return p.first == f.rule; });
    if (it == counts.end()) {
      counts.emplace_back(f.rule, 1);
    } else {
      ++it->second;
    }
  }
  record->counts = std::move(counts);
  record->severity.clear();
  for (const char* s : {"critical", "high", "medium", "low"}) {
    record->severity.emplace_back(s, severity[s]);
  }
}

std::string RunRecordToJson(const RunRecord& r) {
  json j{{"format", kFormat},
         {"version", kVersion},
         {"id", r.id},
         {"started_at", r.started_at},
         {"finished_at", r.finished_at},
         {"apply", r.apply},
         {"directory", r.directory},
         {"store", r.store},
         {"report_dir", r.report_dir},
         {"scope", RunScope(r.hash_material)},
         {"accounts_checked", r.accounts_checked},
         {"hash_material", HashMaterialToJson(r.hash_material)},
         {"findings", r.findings},
         {"waived", r.waived},
         {"counts", PairsToJson(r.counts)},
         {"severity", PairsToJson(r.severity)},
         {"actions",
          {{"forced", r.actions.forced},
           {"planned", r.actions.planned},
           {"skipped", r.actions.skipped},
           {"notified", r.actions.notified},
           {"outbox", r.actions.outbox},
           {"failed", r.actions.failed}}},
         {"log_head_hash", r.log_head_hash},
         {"log_entries", r.log_entries},
         {"exit_code", r.exit_code}};
  j["corpus_sources"] = json::array();
  for (const auto& s : r.corpus_sources) {
    j["corpus_sources"].push_back(
        {{"name", s.name}, {"version", s.version}, {"lines", s.lines}, {"imported_at", s.imported_at}});
  }
  j["stages"] = json::array();
  for (const auto& s : r.stages) {
    j["stages"].push_back({{"name", s.name}, {"state", s.state}, {"message", s.message}});
  }
  return j.dump(2) + "\n";
}

Result<RunRecord> RunRecordFromJson(const std::string& text, const std::string& origin) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::InvalidArgument(origin + ": not valid JSON");
  }
  if (j.value("format", std::string()) != kFormat || j.value("version", 0) != kVersion) {
    return Status::InvalidArgument(origin + ": not a credsweep run record of version " +
                                   std::to_string(kVersion));
  }
  RunRecord r;
  GetOpt(j, "id", &r.id);
  GetOpt(j, "started_at", &r.started_at);
  if (r.id.empty() || r.started_at.empty()) {
    return Status::InvalidArgument(origin + ": run record without id or started_at");
  }
  GetOpt(j, "finished_at", &r.finished_at);
  GetOpt(j, "apply", &r.apply);
  GetOpt(j, "directory", &r.directory);
  GetOpt(j, "store", &r.store);
  GetOpt(j, "report_dir", &r.report_dir);
  GetOpt(j, "accounts_checked", &r.accounts_checked);
  if (j.contains("hash_material")) r.hash_material = HashMaterialFromJson(j["hash_material"]);
  if (j.value("scope", std::string()) == "delta") r.hash_material.changed_only = true;
  GetOpt(j, "findings", &r.findings);
  GetOpt(j, "waived", &r.waived);
  GetOpt(j, "log_head_hash", &r.log_head_hash);
  GetOpt(j, "log_entries", &r.log_entries);
  GetOpt(j, "exit_code", &r.exit_code);
  if (j.contains("counts")) r.counts = PairsFromJson(j["counts"]);
  if (j.contains("severity")) r.severity = PairsFromJson(j["severity"]);
  if (j.contains("actions") && j["actions"].is_object()) {
    const json& a = j["actions"];
    GetOpt(a, "forced", &r.actions.forced);
    GetOpt(a, "planned", &r.actions.planned);
    GetOpt(a, "skipped", &r.actions.skipped);
    GetOpt(a, "notified", &r.actions.notified);
    GetOpt(a, "outbox", &r.actions.outbox);
    GetOpt(a, "failed", &r.actions.failed);
  }
  if (j.contains("corpus_sources") && j["corpus_sources"].is_array()) {
    for (const json& s : j["corpus_sources"]) {
      CorpusSource ref;
      GetOpt(s, "name", &ref.name);
      GetOpt(s, "version", &ref.version);
      GetOpt(s, "lines", &ref.lines);
      GetOpt(s, "imported_at", &ref.imported_at);
      r.corpus_sources.push_back(std::move(ref));
    }
  }
  if (j.contains("stages") && j["stages"].is_array()) {
    for (const json& s : j["stages"]) {
      StageOutcome st;
      GetOpt(s, "name", &st.name);
      GetOpt(s, "state", &st.state);
      GetOpt(s, "message", &st.message);
      r.stages.push_back(std::move(st));
    }
  }
  return r;
}

std::string RunRecordPath(const std::string& state_dir, const std::string& id) {
  std::string safe;
  for (char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    safe += ok ? c : '_';
  }
  if (safe.empty() || safe[0] == '.') safe = "run" + safe;
  return state_dir + "/history/" + safe + ".json";
}

Status SaveRunRecord(const std::string& state_dir, const RunRecord& record) {
  CS_RETURN_IF_ERROR(MakeDirs(state_dir + "/history"));
  // Records are never rewritten: two runs with one id (two runs started in the same second)
  // get <id>.json and <id>-2.json. The run lock serialises writers, so check-then-write is safe.
  std::string path = RunRecordPath(state_dir, record.id);
  for (int n = 2; access(path.c_str(), F_OK) == 0; ++n) {
    path = RunRecordPath(state_dir, record.id + "-" + std::to_string(n));
  }
  return WriteFileAtomic(path, RunRecordToJson(record));
}

Result<RunHistory> LoadRunHistory(const std::string& state_dir) {
  RunHistory history;
  const std::string dir = state_dir + "/history";
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return history;
    return Status::FromErrno("reading run history " + dir, errno);
  }
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".json") == 0) names.push_back(name);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    const std::string path = dir + "/" + name;
    Result<std::string> text = ReadFile(path);
    if (!text.ok()) {
      history.unreadable.push_back(path + ": " + text.status().message());
      continue;
    }
    Result<RunRecord> rec = RunRecordFromJson(*text, path);
    if (!rec.ok()) {
      history.unreadable.push_back(rec.status().message());
      continue;
    }
    history.runs.push_back(std::move(rec).value());
  }
  std::stable_sort(history.runs.begin(), history.runs.end(),
                   [](const RunRecord& a, const RunRecord& b) {
                     return a.started_at != b.started_at ? a.started_at < b.started_at
                                                         : a.id < b.id;
                   });
  return history;
}

}  // namespace credsweep
