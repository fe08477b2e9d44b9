#include "engine/base/hex.h"

#include <sodium.h>

namespace credsweep {

std::string HexEncode(const uint8_t* bytes, size_t len) {
  std::string out(len * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes, len);  // constant-time: safe for key material
  out.pop_back();
  return out;
}

}  // namespace credsweep
