// SecureArray<T>: a fixed-size array of trivially copyable T in libsodium secure memory
// (sodium_allocarray: guard pages, mlock'd, never swapped) that is zeroed when it is freed.
//
// For copies of secret material that only live for one step: the hashes of one corpus lookup
// batch, the NT hashes and password candidates of the guessing engine. Elements are NOT
// initialised (sodium fills new memory with 0xdb); write before reading.
//
//   SecureArray<NtHash> batch(n);
//   if (!batch.ok()) return Status::Internal("cannot allocate secure memory ...");
//   batch[0] = *record.nt;
//
// Move-only. Not thread-safe beyond what a plain array is (disjoint elements may be written
// from different threads).
#pragma once

#include <sodium.h>

#include <cstddef>
#include <span>
#include <type_traits>
#include <utility>

namespace credsweep {

template <typename T>
class SecureArray {
  static_assert(std::is_trivially_copyable_v<T>, "SecureArray holds plain data only");

 public:
  SecureArray() = default;
  // sodium_init() must precede sodium_malloc (it learns the page size); it is idempotent.
  explicit SecureArray(size_t n)
      : n_(n), p_(n && sodium_init() >= 0 ? static_cast<T*>(sodium_allocarray(n, sizeof(T)))
                                          : nullptr) {}
  ~SecureArray() { Reset(); }
  SecureArray(SecureArray&& o) noexcept
      : n_(std::exchange(o.n_, 0)), p_(std::exchange(o.p_, nullptr)) {}
  SecureArray& operator=(SecureArray&& o) noexcept {
    if (this != &o) {
      Reset();
      n_ = std::exchange(o.n_, 0);
      p_ = std::exchange(o.p_, nullptr);
    }
    return *this;
  }
  SecureArray(const SecureArray&) = delete;
  SecureArray& operator=(const SecureArray&) = delete;

  // False when the allocation failed (n > 0 but no memory).
  bool ok() const { return n_ == 0 || p_ != nullptr; }
  size_t size() const { return p_ ? n_ : 0; }
  T* data() { return p_; }
  const T* data() const { return p_; }
  T& operator[](size_t i) { return p_[i]; }
  const T& operator[](size_t i) const { return p_[i]; }
  std::span<T> span() { return {p_, size()}; }
  std::span<const T> span() const { return {p_, size()}; }

 private:
  void Reset() {
    if (p_) sodium_free(p_);  // zeroes the memory before releasing it
    p_ = nullptr;
    n_ = 0;
  }
  size_t n_ = 0;
  T* p_ = nullptr;
};

}  // namespace credsweep
