// Secrets in memory: libsodium start-up, secure buffers, reading secret files, core dumps off.
//
// Policy (README "Secrets"): a password or key never sits in ordinary heap memory longer than
// the one call that needs it there. Bind and SMTP passwords and the action-log signing key are
// read by ReadSecret straight from the file into a SecretBuffer — sodium_malloc'd memory that
// is mlock'd (never swapped), excluded from core dumps (MADV_DONTDUMP, which gdb's gcore
// honours too), fenced by guard pages and zeroed when freed — with no std::string, stream or
// stdio buffer in between. DisableCoreDumps (main, first thing) turns core dumps off for the
// whole process, so even the copies libraries make cannot end up in a core file.
//
// Secret files are checked before a byte is read: a regular file, owned by the user running
// credsweep or by root (another owner could change or read it), with no group or other
// permission bits at all (mode & 077 == 0, i.e. 0600 or 0400). Anything else is
// kFailedPrecondition naming the file and the fix ("run chmod 600 FILE"); the content is
// never echoed.
//
// Thread-safety: InitSodium is thread-safe and idempotent; a SecretBuffer is a plain value
// (move-only) — do not share one between threads without a lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/base/status.h"

namespace credsweep {

// sodium_init() once per process; kInternal if libsodium cannot start (no entropy source).
// Every user of libsodium calls this (it is cheap after the first call).
Status InitSodium();

// Turns core dumps off for this process: RLIMIT_CORE = 0 (no core file) and
// PR_SET_DUMPABLE = 0 (no core, and other non-root processes of the same user cannot ptrace
// it or read its /proc/PID/mem). Called by main before anything else. Root can still attach
// a debugger; what such a dump may hold is limited by the secure buffers above.
Status DisableCoreDumps();

// Zeroes the calling thread's vector registers (SSE, AVX, AVX-512). Why: glibc's memcpy moves
// buffers through them (its AVX-512 variant through zmm16-31), so after a thread copies
// directory data — an LDAP response holding sambaNTPassword values, a dump's lines — the last
// kilobyte it copied stays in those registers until its next large copy. A dump of that
// thread while it waits (gcore by root; tests/integration/test_hardening.py) holds them, in
// the core's register notes. Called where a long-lived thread has finished moving secrets in
// bulk (audit_job.cc after the directory and the hash material are read). No-op off x86-64.
void WipeVectorRegisters();

// Bytes in secure memory, zeroed and freed on destruction. Always NUL-terminated one byte past
// size(), so c_str() can be handed to C APIs (libldap, libcurl) without a copy.
class SecretBuffer {
 public:
  SecretBuffer() = default;
  // kInternal when secure memory cannot be had (RLIMIT_MEMLOCK exhausted).
  [[nodiscard]] static Result<SecretBuffer> Allocate(size_t size);
  [[nodiscard]] static Result<SecretBuffer> CopyOf(std::string_view bytes);
  SecretBuffer(SecretBuffer&& other) noexcept;
  SecretBuffer& operator=(SecretBuffer&& other) noexcept;
  SecretBuffer(const SecretBuffer&) = delete;
  SecretBuffer& operator=(const SecretBuffer&) = delete;
  ~SecretBuffer();

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  const char* c_str() const { return data_ ? reinterpret_cast<const char*>(data_) : ""; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::string_view view() const { return {c_str(), size_}; }
  // Shortens to n bytes (n <= size()), zeroing the rest.
  void Truncate(size_t n);

 private:
  uint8_t* data_ = nullptr;  // sodium_malloc'd, size_ + 1 bytes
  size_t size_ = 0;
};

// Reads a whole secret file into secure memory after the owner and mode checks above.
// `what` names it in messages ("directory.bind_password_file"). Files over 64 KiB are refused
// (no credsweep secret is that big). kNotFound / kIOError naming the path on open/read errors.
[[nodiscard]] Result<SecretBuffer> ReadSecret(const std::string& path, const std::string& what);

// A password: the first line of `file` (ReadSecret, CR/LF and what follows dropped) when `file`
// is set, else the value of environment variable `env_var` (copied into secure memory; the
// environment itself is left as is — prefer the file). kNotFound when neither is set.
// An empty password is kInvalidArgument: an empty simple-bind password would silently be an
// anonymous bind (RFC 4513 5.1.2), and an empty SMTP password is always a mistake.
[[nodiscard]] Result<SecretBuffer> ReadPassword(const std::string& file, const char* env_var,
                                                const std::string& what);

}  // namespace credsweep
