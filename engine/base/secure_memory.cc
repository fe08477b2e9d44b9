#include "engine/base/secure_memory.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace credsweep {
namespace {

// No credsweep secret (a password, a 64-byte key in hex) comes near this; a bigger file is a
// wrong path, and refusing it keeps secure memory (mlock'd, limited) small.
constexpr size_t kMaxSecretFile = 64 * 1024;

}  // namespace

Status InitSodium() {
  static const int rc = sodium_init();  // thread-safe static init; idempotent; <0: no entropy
  if (rc < 0) return Status::Internal("libsodium failed to initialise (no entropy source?)");
  return Status::Ok();
}

#if defined(__x86_64__)
namespace {

#define CS_XMM_0_15 "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", \
                    "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"

void WipeSse() {
  asm volatile(
      "pxor %%xmm0, %%xmm0\n\tpxor %%xmm1, %%xmm1\n\tpxor %%xmm2, %%xmm2\n\t"
      "pxor %%xmm3, %%xmm3\n\tpxor %%xmm4, %%xmm4\n\tpxor %%xmm5, %%xmm5\n\t"
      "pxor %%xmm6, %%xmm6\n\tpxor %%xmm7, %%xmm7\n\tpxor %%xmm8, %%xmm8\n\t"
      "pxor %%xmm9, %%xmm9\n\tpxor %%xmm10, %%xmm10\n\tpxor %%xmm11, %%xmm11\n\t"
      "pxor %%xmm12, %%xmm12\n\tpxor %%xmm13, %%xmm13\n\tpxor %%xmm14, %%xmm14\n\t"
      "pxor %%xmm15, %%xmm15" ::: CS_XMM_0_15);
}

// VZEROALL clears the whole of registers 0-15 (zmm included); 16-31 exist only with AVX-512.
__attribute__((target("avx"))) void WipeAvx() { asm volatile("vzeroall" ::: CS_XMM_0_15); }

__attribute__((target("avx512f"))) void WipeAvx512Upper() {
  asm volatile(
      "vpxord %%zmm16, %%zmm16, %%zmm16\n\tvpxord %%zmm17, %%zmm17, %%zmm17\n\t"
      "vpxord %%zmm18, %%zmm18, %%zmm18\n\tvpxord %%zmm19, %%zmm19, %%zmm19\n\t"
      "vpxord %%zmm20, %%zmm20, %%zmm20\n\tvpxord %%zmm21, %%zmm21, %%zmm21\n\t"
      "vpxord %%zmm22, %%zmm22, %%zmm22\n\tvpxord %%zmm23, %%zmm23, %%zmm23\n\t"
      "vpxord %%zmm24, %%zmm24, %%zmm24\n\tvpxord %%zmm25, %%zmm25, %%zmm25\n\t"
      "vpxord %%zmm26, %%zmm26, %%zmm26\n\tvpxord %%zmm27, %%zmm27, %%zmm27\n\t"
      "vpxord %%zmm28, %%zmm28, %%zmm28\n\tvpxord %%zmm29, %%zmm29, %%zmm29\n\t"
      "vpxord %%zmm30, %%zmm30, %%zmm30\n\tvpxord %%zmm31, %%zmm31, %%zmm31" ::
          : "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23", "xmm24",
            "xmm25", "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", "xmm31");
}

#undef CS_XMM_0_15

}  // namespace

void WipeVectorRegisters() {
  if (__builtin_cpu_supports("avx")) {
    WipeAvx();
  } else {
    WipeSse();
  }
  if (__builtin_cpu_supports("avx512f")) WipeAvx512Upper();
}
#else
void WipeVectorRegisters() {}
#endif

Status DisableCoreDumps() {
  const rlimit none{0, 0};
  if (::setrlimit(RLIMIT_CORE, &none) != 0) {
    return Status::FromErrno("cannot turn core dumps off (setrlimit RLIMIT_CORE)", errno);
  }
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    return Status::FromErrno("cannot turn core dumps off (prctl PR_SET_DUMPABLE)", errno);
  }
  return Status::Ok();
}

// ---- SecretBuffer ------------------------------------------------------------------------------

Result<SecretBuffer> SecretBuffer::Allocate(size_t size) {
  CS_RETURN_IF_ERROR(InitSodium());
  SecretBuffer b;
  b.data_ = static_cast<uint8_t*>(sodium_malloc(size + 1));
  if (b.data_ == nullptr) {
    return Status::Internal("cannot allocate " + std::to_string(size) +
                            " bytes of secure memory (RLIMIT_MEMLOCK?)");
  }
  sodium_memzero(b.data_, size + 1);  // sodium_malloc fills with 0xdb; the NUL terminator matters
  b.size_ = size;
  return b;
}

Result<SecretBuffer> SecretBuffer::CopyOf(std::string_view bytes) {
  CS_ASSIGN_OR_RETURN(SecretBuffer b, Allocate(bytes.size()));
  if (!bytes.empty()) std::memcpy(b.data_, bytes.data(), bytes.size());
  return b;
}

SecretBuffer::SecretBuffer(SecretBuffer&& o) noexcept
    : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}

SecretBuffer& SecretBuffer::operator=(SecretBuffer&& o) noexcept {
  if (this != &o) {
    if (data_ != nullptr) sodium_free(data_);
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
  }
  return *this;
}

SecretBuffer::~SecretBuffer() {
  if (data_ != nullptr) sodium_free(data_);  // zeroes before unmapping
}

void SecretBuffer::Truncate(size_t n) {
  if (n >= size_) return;
  sodium_memzero(data_ + n, size_ - n + 1);
  size_ = n;
}

// ---- secret files ------------------------------------------------------------------------------

Result<SecretBuffer> ReadSecret(const std::string& path, const std::string& what) {
  CS_RETURN_IF_ERROR(InitSodium());
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return Status::NotFound(what + " " + path + " does not exist");
    return Status::FromErrno("cannot open " + what + " " + path, err);
  }
  struct stat st;
  Status bad;
  if (::fstat(fd, &st) != 0) {
    bad = Status::FromErrno("cannot read " + what + " " + path, errno);
  } else if (!S_ISREG(st.st_mode)) {
    bad = Status::FailedPrecondition(what + " " + path + " is not a regular file");
  } else if (st.st_uid != ::geteuid() && st.st_uid != 0) {
    bad = Status::FailedPrecondition(
        what + " " + path + " is owned by uid " + std::to_string(st.st_uid) +
        ", neither the user running credsweep (uid " + std::to_string(::geteuid()) +
        ") nor root; that user could read or replace the secret. chown it to the service user");
  } else if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    bad = Status::FailedPrecondition(what + " " + path + " is readable by others (mode " + mode +
                                     "); run chmod 600 " + path);
  } else if (static_cast<uint64_t>(st.st_size) > kMaxSecretFile) {
    bad = Status::FailedPrecondition(what + " " + path + " is " + std::to_string(st.st_size) +
                                     " bytes; a secret file holds one password or key");
  }
  if (!bad.ok()) {
    ::close(fd);
    return bad;
  }
  Result<SecretBuffer> buf = SecretBuffer::Allocate(static_cast<size_t>(st.st_size));
  if (!buf.ok()) {
    ::close(fd);
    return buf.status();
  }
  size_t len = 0;
  while (len < buf->size()) {
    const ssize_t n = ::read(fd, buf->data() + len, buf->size() - len);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return Status::FromErrno("cannot read " + what + " " + path, err);
    }
    if (n == 0) break;  // shrank while reading: keep what is there
    len += static_cast<size_t>(n);
  }
  ::close(fd);
  buf->Truncate(len);
  return std::move(buf).value();
}

Result<SecretBuffer> ReadPassword(const std::string& file, const char* env_var,
                                  const std::string& what) {
  SecretBuffer pw;
  std::string source;
  if (!file.empty()) {
    CS_ASSIGN_OR_RETURN(pw, ReadSecret(file, what));
    const std::string_view v = pw.view();
    const size_t eol = v.find_first_of("\r\n");
    if (eol != std::string_view::npos) pw.Truncate(eol);
    source = what + " " + file;
  } else if (const char* env = std::getenv(env_var); env != nullptr) {
    CS_ASSIGN_OR_RETURN(pw, SecretBuffer::CopyOf(env));
    source = std::string("environment variable ") + env_var;
  } else {
    return Status::InvalidArgument("no password: set " + what + " or environment variable " +
                                   env_var);
  }
  if (pw.empty()) {
    return Status::InvalidArgument(source + " holds an empty password; credsweep does not "
                                            "treat an empty password as a login");
  }
  return pw;
}

}  // namespace credsweep
