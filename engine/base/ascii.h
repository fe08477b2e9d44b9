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
#include <string>
#include <string_view>

namespace credsweep {

inline char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

inline std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

struct CaseFoldHash {
  size_t operator()(std::string_view s) const {
    uint64_t h = 14695981039346656037ULL;  // FNV-1a 64 over the folded bytes
    for (char c : s) h = (h ^ static_cast<unsigned char>(AsciiLower(c))) * 1099511628211ULL;
    return static_cast<size_t>(h);
  }
};

struct CaseFoldEqual {
  bool operator()(std::string_view a, std::string_view b) const {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
    }
    return true;
  }
};

}  // namespace credsweep
