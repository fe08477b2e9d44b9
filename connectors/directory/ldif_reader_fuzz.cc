// libFuzzer target: the offline account source end to end — LDIF parsing, then the entry
// mapper for both flavours (times, SIDs, sambaAcctFlags, hashes, the membership closure) on
// whatever the parser produced. Beyond "no crash": every account has a name and a DN, and
// every skipped record has a reason.
#include <cstddef>
#include <cstdint>
#include <string>

#include "connectors/directory/directory_reader.h"
#include "connectors/directory/ldif_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (auto flavor : {credsweep::DirectoryFlavor::kActiveDirectory, credsweep::DirectoryFlavor::kOpenLdap}) {
    credsweep::LdifParseResult parsed = credsweep::ParseLdif(text, "fuzz.ldif");
    for (const auto& s : parsed.skipped)
      if (s.reason.empty()) __builtin_trap();
    credsweep::HashDump hashes = credsweep::HashDump::Empty();
    credsweep::DirectorySnapshot snap =
        credsweep::BuildSnapshot(parsed.entries, flavor, "ldif:fuzz", &hashes);
    for (const auto& a : snap.accounts)
      if (a.name.empty()) __builtin_trap();
    for (const auto& s : snap.skipped)
      if (s.reason.empty()) __builtin_trap();
  }
  return 0;
}
