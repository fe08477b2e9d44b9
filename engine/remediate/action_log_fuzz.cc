// libFuzzer target: the action log verifier on arbitrary bytes. Beyond "no crash", it checks the
// property the log exists for: without the secret key nothing can pass verification, so any
// input the verifier accepts with at least one entry would be a forgery (trap).
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/remediate/action_log.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A fixed public key whose secret key nobody holds: no input may verify against it.
  static const std::array<uint8_t, 32> kPk = [] {
    std::array<uint8_t, 32> pk{};
    for (size_t i = 0; i < pk.size(); ++i) pk[i] = static_cast<uint8_t>(0x5a ^ i);
    return pk;
  }();
  const std::string text(reinterpret_cast<const char*>(data), size);
  credsweep::VerifyOptions opt;
  opt.min_count = 1;
  credsweep::VerifyReport r = credsweep::VerifyActionLogText(text, kPk, opt);
  if (r.ok) __builtin_trap();  // an accepted entry without the secret key: a forgery
  if (r.problem.empty()) __builtin_trap();  // every rejection names its reason
  if (r.entries_verified != 0) __builtin_trap();
  return 0;
}
