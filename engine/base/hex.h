// Lower-case hex of bytes: digests, signatures, keys and checksums in logs and manifests.
// (NT hashes use NtHashToHex, upper-case as HIBP writes them — for tests and fixtures only.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace credsweep {

std::string HexEncode(const uint8_t* bytes, size_t len);

}  // namespace credsweep
