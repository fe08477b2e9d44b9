#include "engine/model/finding.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "engine/base/file_util.h"

namespace credsweep {
namespace {

using nlohmann::json;

constexpr const char* kFormat = "credsweep-findings";
// Version 2: "prevalence" is a band label (prevalence.h). Version 1 files (an exact count)
// are still read; their count is turned into its band on the way in.
constexpr int kVersion = 2;
constexpr int kOldestReadable = 1;

json SummaryToJson(const AccountSummary& a) {
  return json{{"account", a.account},
              {"dn", a.dn},
              {"display_name", a.display_name},
              {"mail", a.mail},
              {"enabled", a.enabled},
              {"class", AccountClassName(a.account_class)},
              {"classes", a.classes},
              {"smartcard_required", a.smartcard_required},
              {"owner_mail", a.owner_mail},
              {"owner_source", a.owner_source},
              {"auth_level", a.auth_level},
              {"object_id", a.object_id},
              {"pwd_last_set", a.pwd_last_set ? json(*a.pwd_last_set) : json()}};
}

json FindingToJson(const Finding& f) {
  json j{{"rule", f.rule},
         {"requirement", f.requirement},
         {"severity", f.severity},
         {"account", f.account},
         {"dn", f.dn},
         {"display_name", f.display_name},
         {"mail", f.mail},
         {"enabled", f.enabled},
         {"class", AccountClassName(f.account_class)},
         {"detail", f.detail},
         {"explanation", f.explanation},
         {"history", f.history},
         {"waived", f.waived}};
  if (f.prevalence) j["prevalence"] = PrevalenceBandLabel(*f.prevalence);
  if (f.group) j["group"] = *f.group;
  if (f.waived) {
    j["waiver"] = {{"reason", f.waiver_reason},
                   {"approved_by", f.waiver_approved_by},
                   {"expires", f.waiver_expires}};
  }
  return j;
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

std::string FindingsToJson(const FindingsDocument& doc) {
  json run{{"id", doc.run.id},
           {"scope", RunScope(doc.run.hash_material)},
           {"started_at", doc.run.started_at},
           {"finished_at", doc.run.finished_at},
           {"directory", doc.run.directory},
           {"flavor", doc.run.flavor},
           {"store", doc.run.store},
           {"accounts_checked", doc.run.accounts_checked},
           {"hashes_loaded", doc.run.hashes_loaded},
           {"hashes_unmatched", doc.run.hashes_unmatched},
           {"accounts_without_hash", doc.run.accounts_without_hash}};
  run["corpus_sources"] = json::array();
  for (const auto& s : doc.run.corpus_sources) {
    run["corpus_sources"].push_back(
        {{"name", s.name}, {"version", s.version}, {"lines", s.lines}, {"imported_at", s.imported_at}});
  }
  run["skipped_entries"] = json::array();
  for (const auto& [dn, reason] : doc.run.skipped_entries) {
    run["skipped_entries"].push_back({{"dn", dn}, {"reason", reason}});
  }
  run["counts"] = json::object();
  for (const auto& [rule, n] : doc.run.counts) run["counts"][rule] = n;
  run["hash_material"] = HashMaterialToJson(doc.run.hash_material);

  json out{{"format", kFormat}, {"version", kVersion}, {"run", run}};
  out["accounts"] = json::array();
  for (const auto& a : doc.accounts) out["accounts"].push_back(SummaryToJson(a));
  out["findings"] = json::array();
  for (const auto& f : doc.findings) out["findings"].push_back(FindingToJson(f));
  // replace: a directory value that is not UTF-8 becomes U+FFFD instead of an exception.
  return out.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
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
      CorpusSourceRef r;
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
