// libFuzzer target: ParsePlaintextLine (UTF-8 password -> NT hash). Invalid UTF-8 must be a
// bad line whose message never contains the input; valid input must hash like NtHashOfUtf8.
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "connectors/corpus/corpus_line.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace credsweep::corpus;
  std::string_view line(reinterpret_cast<const char*>(data), size);
  ParsedLine p;
  ParsePlaintextLine(line, &p);
  std::string_view stripped = line;
  if (!stripped.empty() && stripped.back() == '\r') stripped.remove_suffix(1);
  if (p.kind == LineKind::kRecord) {
    auto h = credsweep::NtHashOfUtf8(stripped);
    if (!h.ok() || *h != p.hash) std::abort();
  } else if (p.kind == LineKind::kBad) {
    if (p.error.empty()) std::abort();
    // Long enough that a coincidental match with the message's own words is impossible.
    if (stripped.size() >= 24 && p.error.find(stripped) != std::string::npos) std::abort();
  } else if (!stripped.empty()) {
    std::abort();
  }
  return 0;
}
