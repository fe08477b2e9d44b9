#include "engine/audit/findings_csv.h"

#include <vector>

namespace credsweep {

std::string CsvCell(const std::string& value) {
  std::string v = value;
  if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\t' ||
                     v[0] == '\r')) {
    v.insert(v.begin(), '\'');
  }
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string FindingsToCsv(const FindingsDocument& doc) {
  std::string out = "\xEF\xBB\xBF";
  auto row = [&out](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i) out += ',';
      out += CsvCell(cells[i]);
    }
    out += "\r\n";
  };
  row({"rule", "requirement", "severity", "account", "dn", "display_name", "mail", "enabled",
       "class", "detail", "prevalence", "group", "history", "waived", "waiver_reason",
       "waiver_approved_by", "waiver_expires", "explanation"});
  for (const Finding& f : doc.findings) {
    row({f.rule, f.requirement, f.severity, f.account, f.dn, f.display_name, f.mail,
         f.enabled ? "true" : "false", AccountClassName(f.account_class), f.detail,
         f.prevalence ? PrevalenceBandLabel(*f.prevalence) : "", f.group.value_or(""),
         f.history ? "true" : "false", f.waived ? "true" : "false", f.waiver_reason,
         f.waiver_approved_by, f.waiver_expires, f.explanation});
  }
  return out;
}

}  // namespace credsweep
