// libFuzzer target: ParseNtlmListLine ("HASH" or "HASH:anything"), and the hex decoder it uses
// against ParseNtHashHex (two implementations of one rule must agree).
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "connectors/corpus/corpus_line.h"
#include "engine/base/hex.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace credsweep::corpus;
  std::string_view line(reinterpret_cast<const char*>(data), size);
  ParsedLine p;
  ParseNtlmListLine(line, &p);
  if (p.kind == LineKind::kRecord) {
    auto h = credsweep::ParseNtHashHex(line.substr(0, 32));
    if (!h || *h != p.hash || p.count != 1) std::abort();
  } else if (p.kind == LineKind::kBad && p.error.empty()) {
    std::abort();
  }
  if (size >= 32) {
    uint8_t out[16];
    bool ok = credsweep::HexDecode(line.data(), 16, out);
    bool all_hex = true;  // the reference: <cctype>'s isxdigit in the "C" locale
    for (size_t i = 0; i < 32; ++i) all_hex &= std::isxdigit(static_cast<unsigned char>(line[i])) != 0;
    if (ok != all_hex) std::abort();
  }
  return 0;
}
