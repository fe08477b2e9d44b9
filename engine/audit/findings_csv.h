// findings.csv: the findings as a spreadsheet an auditor opens in Excel.
//
// UTF-8 with a byte-order mark (Excel otherwise guesses a legacy code page and mangles
// "Ø"), CRLF line ends, a header row, one row per finding, RFC 4180 quoting (a field holding
// ',', '"', CR or LF is quoted and inner quotes doubled). Formula-injection guard (OWASP "CSV
// Injection"): a cell starting with '=', '+', '-', '@', TAB or CR is prefixed with a single
// quote so a crafted displayName cannot run as a formula.
//
// Columns: rule, requirement, severity, account, dn, display_name, mail, enabled, class,
// detail, prevalence (a band such as "1 k–10 k", never the exact count: prevalence.h), group,
// history, waived, waiver_reason, waiver_approved_by, waiver_expires, explanation.
#pragma once

#include <string>

#include "engine/base/output_buffer.h"
#include "engine/model/finding.h"

namespace credsweep {

// Streams the CSV into `out` row by row (no whole-file string).
// Errors are the sink's (a failed file write).
[[nodiscard]] Status WriteFindingsCsv(const FindingsDocument& doc, OutputBuffer* out);
// The same into a string (tests, small documents).
std::string FindingsToCsv(const FindingsDocument& doc);
// One cell, guarded and quoted as above.
std::string CsvCell(const std::string& value);

}  // namespace credsweep
