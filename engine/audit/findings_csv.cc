#include "engine/audit/findings_csv.h"

#include <initializer_list>
#include <string_view>


namespace credsweep {
namespace {

void AppendCell(std::string_view v, OutputBuffer* out) {
  const bool guard = !v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' ||
                                    v[0] == '\t' || v[0] == '\r');
  if (v.find_first_of(",\"\r\n") == std::string_view::npos) {
    if (guard) out->Append('\'');
    out->Append(v);
    return;
  }
  out->Append('"');
  if (guard) out->Append('\'');
  for (size_t quote; (quote = v.find('"')) != std::string_view::npos; v.remove_prefix(quote + 1)) {
    out->Append(v.substr(0, quote + 1));
    out->Append('"');
  }
  out->Append(v);
  out->Append('"');
}

void AppendRow(std::initializer_list<std::string_view> cells, OutputBuffer* out) {
  bool first = true;
  for (std::string_view c : cells) {
    if (!first) out->Append(',');
    first = false;
    AppendCell(c, out);
  }
  out->Append("\r\n");
}

}  // namespace

std::string CsvCell(const std::string& value) {
  std::string text;
  OutputBuffer out(&text);
  AppendCell(value, &out);
  (void)out.Finish();  // a string sink cannot fail
  return text;
}

Status WriteFindingsCsv(const FindingsDocument& doc, OutputBuffer* out) {
  out->Append("\xEF\xBB\xBF");
  AppendRow({"rule", "requirement", "severity", "account", "dn", "display_name", "mail", "enabled",
             "class", "detail", "prevalence", "group", "history", "waived", "waiver_reason",
             "waiver_approved_by", "waiver_expires", "explanation"},
            out);
  for (const Finding& f : doc.findings) {
    AppendRow({f.rule, f.requirement, f.severity, f.account, f.dn, f.display_name, f.mail,
               f.enabled ? "true" : "false", AccountClassName(f.account_class), f.detail,
               f.prevalence ? PrevalenceBandLabel(*f.prevalence) : "",
               f.group ? std::string_view(*f.group) : std::string_view(),
               f.history ? "true" : "false", f.waived ? "true" : "false", f.waiver_reason,
               f.waiver_approved_by, f.waiver_expires, f.explanation},
              out);
  }
  return out->Finish();
}

std::string FindingsToCsv(const FindingsDocument& doc) {
  std::string text;
  OutputBuffer out(&text);
  (void)WriteFindingsCsv(doc, &out);  // a string sink cannot fail
  return text;
}

}  // namespace credsweep
