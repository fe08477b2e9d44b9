// libFuzzer target: every dump parser, auto-detection included, on arbitrary bytes. Properties
// checked beyond "no crash": every record has an account name and a hash pointer, and an error
// message never echoes the input's bytes past the origin prefix (a cheap proxy for "never print
// hash material").
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "connectors/hashdump/hash_dump.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const char* fmt : {"auto", "secretsdump", "pwdump", "smbpasswd", "hashcat"}) {
    auto r = credsweep::HashDump::Parse(text, "fuzz", fmt);
    if (r.ok()) {
      for (const auto& rec : r->records()) {
        if (rec.account.empty() || rec.nt == nullptr) __builtin_trap();
      }
    } else if (r.status().message().rfind("fuzz:", 0) != 0 &&
               r.status().message().rfind("hashes.format", 0) != 0) {
      __builtin_trap();
    }
  }
  return 0;
}
