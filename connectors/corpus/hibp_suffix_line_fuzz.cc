// libFuzzer target: ParseHibpSuffixLine ("SUFFIX:COUNT" in a prefix file). The first two bytes
// choose the prefix; a record's hash must start with that prefix and end with the suffix.
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "connectors/corpus/corpus_line.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace credsweep::corpus;
  if (size < 3) return 0;
  uint32_t prefix = ((static_cast<uint32_t>(data[0]) << 12) | (static_cast<uint32_t>(data[1]) << 4) |
                     (data[2] & 0xF)) & 0xFFFFF;
  std::string_view line(reinterpret_cast<const char*>(data + 3), size - 3);
  ParsedLine p;
  ParseHibpSuffixLine(line, prefix, &p);
  if (p.kind == LineKind::kRecord) {
    std::string hex = credsweep::NtHashToHex(p.hash);
    char want[6];
    std::snprintf(want, sizeof want, "%05X", prefix);
    if (hex.compare(0, 5, want) != 0) std::abort();
    for (size_t i = 0; i < 27; ++i) {
      if (hex[5 + i] != std::toupper(static_cast<unsigned char>(line[i]))) std::abort();
    }
    if (p.count == 0) std::abort();
  } else if (p.kind == LineKind::kBad && p.error.empty()) {
    std::abort();
  }
  return 0;
}
