// libFuzzer target: FindingsFromJson on arbitrary bytes must return a document or a Status —
// never crash or throw (notify and enforce read findings.json, which a person may have edited;
// an uncaught nlohmann exception used to abort them with rc 134). Beyond "no crash": a
// document that parses re-serialises to JSON that parses again to the same findings, and an
// error names the file.
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/model/finding.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  credsweep::Result<credsweep::FindingsDocument> doc =
      credsweep::FindingsFromJson(text, "fuzz/findings.json");
  if (!doc.ok()) {
    if (doc.status().message().find("fuzz/findings.json") == std::string::npos) __builtin_trap();
    if (doc.status().code() != credsweep::StatusCode::kInvalidArgument) __builtin_trap();
    return 0;
  }
  credsweep::Result<credsweep::FindingsDocument> again =
      credsweep::FindingsFromJson(credsweep::FindingsToJson(*doc), "again");
  if (!again.ok() || again->findings.size() != doc->findings.size()) __builtin_trap();
  for (size_t i = 0; i < doc->findings.size(); ++i) {
    if (again->findings[i].prevalence != doc->findings[i].prevalence) __builtin_trap();
    if (again->findings[i].account != doc->findings[i].account) __builtin_trap();
  }
  return 0;
}
