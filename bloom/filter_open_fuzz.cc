// libFuzzer target: Filter::Open on arbitrary files must return a Status or a usable filter,
// never crash, read out of bounds or hang.
//
// Input byte 0 chooses how the rest becomes a file (libFuzzer's default max_len of 4096 is too
// short for a 4096-byte header plus blocks, so most inputs are expanded):
//   bit 0  0: the rest is the file, byte for byte
//          1: the rest is header bytes [0, 88) (zero-padded to the 4096-byte header) followed by
//             the body, so short inputs reach the size, block-count and lookup code
//   bit 1  load mode: 0 mmap, 1 huge-page copy
//   bit 2  skip the checksum (OpenOptions::verify_checksum = false)
//   bit 3  (expanded form) write the correct BLAKE2b checksum, so header fields that pass the
//          checks reach lookups even with verification on
// A filter that opens is then queried with keys taken from the input, single and batched, and
// both answers must agree.
#include <sodium.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bloom/blocked_bloom_filter.h"
#include "engine/base/secure_memory.h"

namespace {

// One scratch file per fuzzing process, removed at exit (libFuzzer ends runs with exit()).
struct ScratchFile {
  std::string path = "/tmp/filter_open_fuzz." + std::to_string(::getpid()) + ".csbf";
  ~ScratchFile() { ::unlink(path.c_str()); }
};

const std::string& TempPath() {
  static const ScratchFile file;
  return file.path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using credsweep::bloom::Filter;
  using credsweep::bloom::kHeaderSize;
  using credsweep::bloom::LoadMode;
  using credsweep::bloom::OpenOptions;
  if (size < 1 || !credsweep::InitSodium().ok()) return 0;
  const uint8_t flags = data[0];
  ++data;
  --size;

  std::vector<uint8_t> file;
  if ((flags & 1) == 0) {
    file.assign(data, data + size);
  } else {
    constexpr size_t kFields = 88;  // header bytes up to the padding
    file.assign(kHeaderSize, 0);
    const size_t head = size < kFields ? size : kFields;
    std::memcpy(file.data(), data, head);
    file.insert(file.end(), data + head, data + size);
    if (flags & 8) {
      crypto_generichash_state st;
      crypto_generichash_init(&st, nullptr, 0, 32);
      crypto_generichash_update(&st, file.data(), 56);
      crypto_generichash_update(&st, file.data() + kHeaderSize, file.size() - kHeaderSize);
      crypto_generichash_final(&st, file.data() + 56, 32);
    }
  }
  FILE* out = std::fopen(TempPath().c_str(), "wb");
  if (out == nullptr) return 0;
  if (!file.empty()) std::fwrite(file.data(), 1, file.size(), out);
  std::fclose(out);

  OpenOptions options;
  options.mode = (flags & 2) ? LoadMode::kHugePageCopy : LoadMode::kMmap;
  options.verify_checksum = (flags & 4) == 0;
  auto opened = Filter::Open(TempPath(), options);
  if (!opened.ok()) {
    // Every refusal of a file that exists must be a clean, named error.
    if (opened.status().message().find(TempPath()) == std::string::npos) __builtin_trap();
    return 0;
  }
  const Filter& f = *opened.value();
  const size_t ks = f.key_size();
  const size_t n = size / ks < 64 ? size / ks : 64;
  bool answers[64];
  f.MayContainBatch(data, n, answers);
  for (size_t i = 0; i < n; ++i) {
    if (f.MayContain(data + i * ks) != answers[i]) __builtin_trap();
  }
  (void)f.expected_fpr();
  return 0;
}
