// libFuzzer target: ParseHibpLine ("HASH:COUNT") on arbitrary bytes. Checks that a record
// round-trips (the hash re-encodes to the line's first 32 characters, case-folded), that bad
// lines always carry a message, and that ClassifyLine agrees with the parser on valid lines.
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
  ParseHibpLine(line, &p);
  switch (p.kind) {
    case LineKind::kRecord: {
      std::string hex = credsweep::NtHashToHex(p.hash);
      for (size_t i = 0; i < 32; ++i) {
        if (hex[i] != std::toupper(static_cast<unsigned char>(line[i]))) std::abort();
      }
      if (p.count == 0 || ClassifyLine(line) != LineShape::kHex32Count) std::abort();
      break;
    }
    case LineKind::kBad:
      if (p.error.empty()) std::abort();
      break;
    case LineKind::kSkip:
      break;
  }
  (void)DescribeShape(ClassifyLine(line));
  return 0;
}
