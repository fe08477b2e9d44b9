// The straightforward findings.json writer: the whole document as an nlohmann DOM, then
// dump(2). This is how findings.json was written before it was streamed (issue 11), kept
// for the tests only: they check that WriteFindingsJson (finding.h) gives the same bytes and
// parses to the same findings, on hand-made documents and on real audits (the demo directory
// and a generated 10 000-account one). Never used by credsweep itself: at 100 000 accounts
// the DOM costs ~1 GB and most of the audit's time.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "engine/model/finding.h"

namespace credsweep::testing {

inline std::string FindingsToJsonReference(const FindingsDocument& doc) {
  using nlohmann::json;
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

  json out{{"format", "credsweep-findings"}, {"version", 2}, {"run", run}};
  out["accounts"] = json::array();
  for (const AccountSummary& a : doc.accounts) {
    out["accounts"].push_back(json{{"account", a.account},
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
                                   {"pwd_last_set", a.pwd_last_set ? json(*a.pwd_last_set) : json()}});
  }
  out["findings"] = json::array();
  for (const Finding& f : doc.findings) {
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
    out["findings"].push_back(std::move(j));
  }
  // replace: a directory value that is not UTF-8 becomes U+FFFD instead of an exception.
  return out.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace credsweep::testing
