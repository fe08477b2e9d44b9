// ASCII case folding, in one place: attribute names, DNs, account names and rule keys are
// compared case-insensitively all over credsweep (AD treats them so). Only A-Z fold; every
// other byte, UTF-8 included, is kept — what std::tolower does in the "C" locale credsweep
// runs in, without a library call per character (issue 11: std::tolower was 7 % of the
// 100 000-account audit).
//
// CaseFoldHash / CaseFoldEqual key hash maps by string_view case-insensitively without
// lower-casing a copy of every key. Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace credsweep {

inline char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

inline std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

// Eight bytes at a time: A-Z in a little-endian word lower-cased with the usual SWAR
// comparison (a byte with its top bit set is never A-Z and is kept), then mixed in with one
// multiply per word. Only consistency within one process matters (hash maps), never the value.
inline uint64_t AsciiLowerWord(uint64_t x) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  const uint64_t low7 = x & (0x7f * kOnes);
  const uint64_t above_z = low7 + (0x7f - 'Z') * kOnes;     // top bit set where byte > 'Z'
  const uint64_t from_a = low7 + (0x80 - 'A') * kOnes;      // top bit set where byte >= 'A'
  const uint64_t upper = (from_a ^ above_z) & ~x & (0x80 * kOnes);
  return x | (upper >> 2);                                  // +0x20 on A-Z
}

struct CaseFoldHash {
  using is_transparent = void;  // find(string_view) in a map keyed by std::string: no copy
  size_t operator()(std::string_view s) const {
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ s.size();
    size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      h = (h ^ AsciiLowerWord(w)) * 0xff51afd7ed558ccdULL;
      h ^= h >> 32;
    }
    uint64_t tail = 0;
    if (i < s.size()) std::memcpy(&tail, s.data() + i, s.size() - i);
    h = (h ^ AsciiLowerWord(tail)) * 0xc4ceb9fe1a85ec53ULL;
    return static_cast<size_t>(h ^ (h >> 29));
  }
};

struct CaseFoldEqual {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
    }
    return true;
  }
};

}  // namespace credsweep
