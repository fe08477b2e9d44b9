// Wipe-on-free for the credsweep binary: every heap block the process frees is zeroed first.
//
// Why: credsweep's own secrets live in libsodium secure memory (engine/base/secure_memory.h),
// but libraries make copies credsweep cannot reach — libldap's BER buffers hold the bind
// request (the password) and every search response (sambaNTPassword values), GnuTLS decrypts
// records into its own buffers, libcurl keeps the SMTP AUTH exchange. Those buffers are freed,
// not wiped, and would otherwise sit in the heap for the rest of the run, where a debugger
// attached by root (gcore) or a later heap disclosure finds them. With core dumps off (main),
// this closes the remaining copies at their source. tests/integration/test_hardening.py dumps
// a running audit and enforce with gcore and finds no password, key or hash; without this
// file the directory's hashes were found there (measured with gcore, issue 8).
//
// How: the executable defines free() and realloc(); by ELF symbol interposition every
// library's calls resolve to these, which zero the block (malloc_usable_size bytes) and hand
// it to glibc (__libc_free). realloc never resizes in place upwards, so the old block is wiped
// too. Blocks over 16 MiB are bulk data (RocksDB blocks, filter buffers) and are not wiped;
// secrets that large do not exist, and the LDIF text credsweep reads is wiped explicitly.
//
// Scope: on for every subcommand except `corpus` (public breach data only, where the import's
// hot path would pay for nothing); main calls EnableWipeOnFree before parsing. Only this
// executable has it: unit tests and fuzzers (AddressSanitizer owns free there) do not.
#include <malloc.h>
#include <string.h>

#include <cstddef>

extern "C" {
void __libc_free(void* p);        // glibc's own free and malloc, exported for
void* __libc_malloc(size_t size);  // exactly this use (interposing allocators)
}

namespace credsweep {
namespace {

constexpr size_t kMaxWipedBlock = size_t{16} << 20;
bool g_wipe = false;  // set once by main before any thread starts

inline void WipeBlock(void* p) {
  const size_t n = malloc_usable_size(p);
  if (n <= kMaxWipedBlock) explicit_bzero(p, n);
}

}  // namespace

void EnableWipeOnFree() { g_wipe = true; }

}  // namespace credsweep

extern "C" void free(void* p) {
  if (p != nullptr && credsweep::g_wipe) credsweep::WipeBlock(p);
  __libc_free(p);
}

extern "C" void* realloc(void* p, size_t size) {
  if (p == nullptr) return __libc_malloc(size);
  if (size == 0) {
    free(p);
    return nullptr;
  }
  const size_t old = malloc_usable_size(p);
  if (size <= old) return p;  // fits: the bytes stay inside this block, wiped when it is freed
  void* q = __libc_malloc(size);
  if (q == nullptr) return nullptr;  // p stays valid, as realloc promises
  memcpy(q, p, old);
  free(p);
  return q;
}
