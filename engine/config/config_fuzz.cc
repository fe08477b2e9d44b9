// libFuzzer target: ParseConfig on arbitrary bytes must return a value or a Status — never
// crash, hang or throw (toml++ throws toml::parse_error; ParseConfig must catch it).
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  credsweep::Result<credsweep::Config> c = credsweep::ParseConfig(text, "fuzz.toml", "/etc/credsweep");
  if (c.ok() && c->origin != "fuzz.toml") __builtin_trap();
  return 0;
}
