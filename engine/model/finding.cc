#include "engine/model/finding.h"

#include <cstdio>
#include <map>
#include <string_view>
#include <nlohmann/json.hpp>

#include "engine/base/file_util.h"
#include "engine/base/json_writer.h"

namespace credsweep {
namespace {

using nlohmann::json;

constexpr const char* kFormat = "credsweep-findings";
// Version 2: "prevalence" is a band label (prevalence.h). Version 1 files (an exact count)
// are still read; their count is turned into its band on the way in.
constexpr int kVersion = 2;
constexpr int kOldestReadable = 1;

// The streamed writer (json_writer.h) emits keys in the order nlohmann's DOM sorts them, so
// findings.json keeps the bytes it had when it was built as a DOM (the golden test pins them).
void WriteSummary(const AccountSummary& a, JsonWriter& w) {
  w.BeginObject();
  w.StringField("account", a.account);
  w.IntField("auth_level", a.auth_level);
  w.StringField("class", AccountClassName(a.account_class));
  w.Key("classes");
  w.BeginArray();
  for (const std::string& c : a.classes) w.String(c);
  w.EndArray();
  w.StringField("display_name", a.display_name);
  w.StringField("dn", a.dn);
  w.BoolField("enabled", a.enabled);
  w.StringField("mail", a.mail);
  w.StringField("object_id", a.object_id);
  w.StringField("owner_mail", a.owner_mail);
  w.StringField("owner_source", a.owner_source);
  w.Key("pwd_last_set");
  if (a.pwd_last_set) {
    w.Int(*a.pwd_last_set);
  } else {
    w.Null();
  }
  w.BoolField("smartcard_required", a.smartcard_required);
  w.EndObject();
}

void WriteFinding(const Finding& f, JsonWriter& w) {
  w.BeginObject();
  w.StringField("account", f.account);
  w.StringField("class", AccountClassName(f.account_class));
  w.StringField("detail", f.detail);
  w.StringField("display_name", f.display_name);
  w.StringField("dn", f.dn);
  w.BoolField("enabled", f.enabled);
  w.StringField("explanation", f.explanation);
  if (f.group) w.StringField("group", *f.group);
  w.BoolField("history", f.history);
  w.StringField("mail", f.mail);
  if (f.prevalence) w.StringField("prevalence", PrevalenceBandLabel(*f.prevalence));
  w.StringField("requirement", f.requirement);
  w.StringField("rule", f.rule);
  w.StringField("severity", f.severity);
  w.BoolField("waived", f.waived);
  if (f.waived) {
    w.Key("waiver");
    w.BeginObject();
    w.StringField("approved_by", f.waiver_approved_by);
    w.StringField("expires", f.waiver_expires);
    w.StringField("reason", f.waiver_reason);
    w.EndObject();
  }
  w.EndObject();
}

void WriteHashMaterial(const HashMaterialInfo& h, JsonWriter& w) {
  const bool replication = h.source == "replication";
  w.BeginObject();
  w.UintField("accounts_covered", h.accounts_covered);
  w.UintField("accounts_expected", h.accounts_expected);
  if (replication) {
    w.UintField("accounts_fetched", h.accounts_fetched);
    w.BoolField("changed_only", h.changed_only);
    w.StringField("dc", h.dc);
    w.UintField("highwatermark", h.highwatermark);
  }
  w.Key("min_coverage");
  w.Double(h.min_coverage);
  if (replication) w.StringField("naming_context", h.naming_context);
  w.StringField("origin", h.origin);
  if (replication) w.StringField("read_at", h.read_at);
  if (replication && h.changed_only) w.UintField("since_highwatermark", h.since_highwatermark);
  w.StringField("source", h.source);
  w.EndObject();
}

void WriteRun(const RunInfo& run, JsonWriter& w) {
  w.BeginObject();
  w.UintField("accounts_checked", run.accounts_checked);
  w.UintField("accounts_without_hash", run.accounts_without_hash);
  w.Key("corpus_sources");
  w.BeginArray();
  for (const CorpusSource& s : run.corpus_sources) {
    w.BeginObject();
    w.StringField("imported_at", s.imported_at);
    w.UintField("lines", s.lines);
    w.StringField("name", s.name);
    w.StringField("version", s.version);
    w.EndObject();
  }
  w.EndArray();
  // An object's keys come out sorted (and a repeated rule once, its last count), as the DOM did.
  std::map<std::string_view, uint64_t> counts;
  for (const auto& [rule, n] : run.counts) counts[rule] = n;
  w.Key("counts");
  w.BeginObject();
  for (const auto& [rule, n] : counts) w.UintField(rule, n);
  w.EndObject();
  w.StringField("directory", run.directory);
  w.StringField("finished_at", run.finished_at);
  w.StringField("flavor", run.flavor);
  w.Key("hash_material");
  WriteHashMaterial(run.hash_material, w);
  w.UintField("hashes_loaded", run.hashes_loaded);
  w.UintField("hashes_unmatched", run.hashes_unmatched);
  w.StringField("id", run.id);
  w.StringField("scope", RunScope(run.hash_material));
  w.Key("skipped_entries");
  w.BeginArray();
  for (const auto& [dn, reason] : run.skipped_entries) {
    w.BeginObject();
    w.StringField("dn", dn);
    w.StringField("reason", reason);
    w.EndObject();
  }
  w.EndArray();
  w.StringField("started_at", run.started_at);
  w.StringField("store", run.store);
  w.EndObject();
}

// Field access that names what is missing instead of throwing deep inside nlohmann.
template <typename T>
Status Get(const json& j, const char* key, T* out, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end()) return Status::InvalidArgument(where + ": missing field '" + key + "'");
  try {
    *out = it->get<T>();
  } catch (const json::exception& e) {
    return Status::InvalidArgument(where + ": field '" + key + "' has the wrong type");
  }
  return Status::Ok();
}

template <typename T>
void GetOpt(const json& j, const char* key, T* out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) {
    try {
      *out = it->get<T>();
    } catch (const json::exception&) {
    }
  }
}

}  // namespace

json HashMaterialToJson(const HashMaterialInfo& h) {
  json j{{"source", h.source},
         {"origin", h.origin},
         {"accounts_expected", h.accounts_expected},
         {"accounts_covered", h.accounts_covered},
         {"min_coverage", h.min_coverage}};
  if (h.source == "replication") {
    j["dc"] = h.dc;
    j["naming_context"] = h.naming_context;
    j["highwatermark"] = h.highwatermark;
    j["read_at"] = h.read_at;
    j["changed_only"] = h.changed_only;
    j["accounts_fetched"] = h.accounts_fetched;
    if (h.changed_only) j["since_highwatermark"] = h.since_highwatermark;
  }
  return j;
}

HashMaterialInfo HashMaterialFromJson(const json& j) {
  HashMaterialInfo h;
  if (!j.is_object()) return h;
  GetOpt(j, "source", &h.source);
  GetOpt(j, "origin", &h.origin);
  GetOpt(j, "accounts_expected", &h.accounts_expected);
  GetOpt(j, "accounts_covered", &h.accounts_covered);
  GetOpt(j, "min_coverage", &h.min_coverage);
  GetOpt(j, "dc", &h.dc);
  GetOpt(j, "naming_context", &h.naming_context);
  GetOpt(j, "highwatermark", &h.highwatermark);
  GetOpt(j, "read_at", &h.read_at);
  GetOpt(j, "changed_only", &h.changed_only);
  GetOpt(j, "accounts_fetched", &h.accounts_fetched);
  GetOpt(j, "since_highwatermark", &h.since_highwatermark);
  return h;
}

const char* RunScope(const HashMaterialInfo& h) { return h.changed_only ? "delta" : "full"; }

std::string HashMaterialSentence(const HashMaterialInfo& h) {
  std::string s;
  if (h.source == "replication") {
    s = "replicated from DC " + h.dc + " (" + h.naming_context + ", high-water mark USN " +
        std::to_string(h.highwatermark) + ") at " + h.read_at;
    if (h.changed_only) {
      // A delta covers what changed by design: a coverage figure would read as a failure.
      return s + ": a delta — only the " + std::to_string(h.accounts_fetched) +
             " accounts whose password changed since the last full run (USN " +
             std::to_string(h.since_highwatermark) + "); coverage is checked by full runs";
    }
  } else if (h.source == "file") {
    s = "dump " + h.origin;
  } else if (h.source == "directory") {
    s = "read from the directory (sambaNTPassword)";
  } else {
    return "none";
  }
  char pct[64] = "";
  if (h.accounts_expected > 0) {
    std::snprintf(pct, sizeof pct, " (%.1f %%, minimum %.0f %%)",
                  100.0 * static_cast<double>(h.accounts_covered) /
                      static_cast<double>(h.accounts_expected),
                  100.0 * h.min_coverage);
  }
  return s + ": hashes for " + std::to_string(h.accounts_covered) + " of " +
         std::to_string(h.accounts_expected) + " enabled user accounts" + pct;
}

const char* AccountClassName(AccountClass c) {
  switch (c) {
    case AccountClass::kRegular: return "regular";
    case AccountClass::kPrivileged: return "privileged";
    case AccountClass::kService: return "service";
    case AccountClass::kExternal: return "external";
    case AccountClass::kComputer: return "computer";
    case AccountClass::kProtected: return "protected";
  }
  return "regular";
}

Result<AccountClass> ParseAccountClass(const std::string& s) {
  for (AccountClass c : {AccountClass::kRegular, AccountClass::kPrivileged, AccountClass::kService,
                         AccountClass::kExternal, AccountClass::kComputer,
                         AccountClass::kProtected}) {
    if (s == AccountClassName(c)) return c;
  }
  return Status::InvalidArgument("unknown account class '" + s + "'");
}

Status WriteFindingsJson(const FindingsDocument& doc, OutputBuffer* out) {
  JsonWriter w(out);
  w.BeginObject();
  w.Key("accounts");
  w.BeginArray();
  for (const AccountSummary& a : doc.accounts) WriteSummary(a, w);
  w.EndArray();
  w.Key("findings");
  w.BeginArray();
  for (const Finding& f : doc.findings) WriteFinding(f, w);
  w.EndArray();
  w.StringField("format", kFormat);
  w.Key("run");
  WriteRun(doc.run, w);
  w.IntField("version", kVersion);
  w.EndObject();
  return w.Finish();
}

std::string FindingsToJson(const FindingsDocument& doc) {
  std::string text;
  OutputBuffer out(&text);
  (void)WriteFindingsJson(doc, &out);  // a string sink cannot fail
  return text;
}

Result<FindingsDocument> FindingsFromJson(const std::string& text, const std::string& origin) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::InvalidArgument(origin + ": not valid JSON; re-run `credsweep audit`");
  }
  std::string format;
  int version = 0;
  CS_RETURN_IF_ERROR(Get(j, "format", &format, origin));
  CS_RETURN_IF_ERROR(Get(j, "version", &version, origin));
  if (format != kFormat || version < kOldestReadable || version > kVersion) {
    return Status::InvalidArgument(origin + ": not a credsweep findings file of version " +
                                   std::to_string(kOldestReadable) + " to " +
                                   std::to_string(kVersion));
  }
  FindingsDocument doc;
  const json& run = j.value("run", json::object());
  const std::string rw = origin + ": run";
  CS_RETURN_IF_ERROR(Get(run, "id", &doc.run.id, rw));
  CS_RETURN_IF_ERROR(Get(run, "started_at", &doc.run.started_at, rw));
  GetOpt(run, "finished_at", &doc.run.finished_at);
  GetOpt(run, "directory", &doc.run.directory);
  GetOpt(run, "flavor", &doc.run.flavor);
  GetOpt(run, "store", &doc.run.store);
  GetOpt(run, "accounts_checked", &doc.run.accounts_checked);
  GetOpt(run, "hashes_loaded", &doc.run.hashes_loaded);
  GetOpt(run, "hashes_unmatched", &doc.run.hashes_unmatched);
  GetOpt(run, "accounts_without_hash", &doc.run.accounts_without_hash);
  if (auto it = run.find("hash_material"); it != run.end()) {
    doc.run.hash_material = HashMaterialFromJson(*it);
  }
  // Err towards "delta": a file saying so is never read back as a full check.
  if (run.value("scope", std::string()) == "delta") doc.run.hash_material.changed_only = true;
  if (run.contains("corpus_sources") && run["corpus_sources"].is_array()) {
    for (const auto& s : run["corpus_sources"]) {
      CorpusSource r;
      GetOpt(s, "name", &r.name);
      GetOpt(s, "version", &r.version);
      GetOpt(s, "lines", &r.lines);
      GetOpt(s, "imported_at", &r.imported_at);
      doc.run.corpus_sources.push_back(r);
    }
  }
  if (run.contains("skipped_entries") && run["skipped_entries"].is_array()) {
    for (const auto& s : run["skipped_entries"]) {
      std::string dn, reason;
      GetOpt(s, "dn", &dn);
      GetOpt(s, "reason", &reason);
      doc.run.skipped_entries.emplace_back(std::move(dn), std::move(reason));
    }
  }
  if (run.contains("counts") && run["counts"].is_object()) {
    for (const auto& [k, v] : run["counts"].items()) {
      if (v.is_number_unsigned()) doc.run.counts.emplace_back(k, v.get<uint64_t>());
    }
  }
  if (j.contains("accounts") && j["accounts"].is_array()) {
    size_t i = 0;
    for (const auto& a : j["accounts"]) {
      const std::string where = origin + ": accounts[" + std::to_string(i++) + "]";
      AccountSummary s;
      CS_RETURN_IF_ERROR(Get(a, "account", &s.account, where));
      CS_RETURN_IF_ERROR(Get(a, "dn", &s.dn, where));
      GetOpt(a, "display_name", &s.display_name);
      GetOpt(a, "mail", &s.mail);
      GetOpt(a, "enabled", &s.enabled);
      std::string cls = "regular";
      GetOpt(a, "class", &cls);
      Result<AccountClass> ac = ParseAccountClass(cls);
      if (!ac.ok()) return Status::InvalidArgument(where + ": " + ac.status().message());
      s.account_class = *ac;
      GetOpt(a, "classes", &s.classes);
      GetOpt(a, "smartcard_required", &s.smartcard_required);
      GetOpt(a, "owner_mail", &s.owner_mail);
      GetOpt(a, "owner_source", &s.owner_source);
      GetOpt(a, "auth_level", &s.auth_level);
      GetOpt(a, "object_id", &s.object_id);
      int64_t pwd_last_set = 0;
      if (a.contains("pwd_last_set") && a["pwd_last_set"].is_number_integer()) {
        GetOpt(a, "pwd_last_set", &pwd_last_set);
        s.pwd_last_set = pwd_last_set;
      }
      doc.accounts.push_back(std::move(s));
    }
  }
  if (!j.contains("findings") || !j["findings"].is_array()) {
    return Status::InvalidArgument(origin + ": missing field 'findings'");
  }
  size_t i = 0;
  for (const auto& fj : j["findings"]) {
    const std::string where = origin + ": findings[" + std::to_string(i++) + "]";
    Finding f;
    CS_RETURN_IF_ERROR(Get(fj, "rule", &f.rule, where));
    CS_RETURN_IF_ERROR(Get(fj, "requirement", &f.requirement, where));
    CS_RETURN_IF_ERROR(Get(fj, "severity", &f.severity, where));
    CS_RETURN_IF_ERROR(Get(fj, "account", &f.account, where));
    CS_RETURN_IF_ERROR(Get(fj, "dn", &f.dn, where));
    GetOpt(fj, "display_name", &f.display_name);
    GetOpt(fj, "mail", &f.mail);
    GetOpt(fj, "enabled", &f.enabled);
    std::string cls = "regular";
    GetOpt(fj, "class", &cls);
    Result<AccountClass> ac = ParseAccountClass(cls);
    if (!ac.ok()) return Status::InvalidArgument(where + ": " + ac.status().message());
    f.account_class = *ac;
    GetOpt(fj, "detail", &f.detail);
    GetOpt(fj, "explanation", &f.explanation);
    GetOpt(fj, "history", &f.history);
    GetOpt(fj, "waived", &f.waived);
    if (auto p = fj.find("prevalence"); p != fj.end() && !p->is_null()) {
      std::optional<PrevalenceBand> band;
      if (p->is_string()) band = ParsePrevalenceBand(p->get<std::string>());
      if (version == 1 && p->is_number_unsigned()) band = PrevalenceBandOf(p->get<uint64_t>());
      if (!band) {
        return Status::InvalidArgument(where + ": field 'prevalence' is not a prevalence band "
                                               "such as \"1 k–10 k\"; re-run `credsweep audit`");
      }
      f.prevalence = band;
    }
    if (fj.contains("group") && fj["group"].is_string()) f.group = fj["group"].get<std::string>();
    if (fj.contains("waiver") && fj["waiver"].is_object()) {
      GetOpt(fj["waiver"], "reason", &f.waiver_reason);
      GetOpt(fj["waiver"], "approved_by", &f.waiver_approved_by);
      GetOpt(fj["waiver"], "expires", &f.waiver_expires);
    }
    doc.findings.push_back(std::move(f));
  }
  return doc;
}

Result<FindingsDocument> LoadFindings(const std::string& dir) {
  const std::string path = dir + "/findings.json";
  Result<std::string> text = ReadFile(path);
  if (!text.ok()) {
    return Status::NotFound(path + ": cannot open; run `credsweep audit --out " + dir + "` first");
  }
  return FindingsFromJson(*text, path);
}

}  // namespace credsweep
