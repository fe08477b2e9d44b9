#include "connectors/corpus/corpus_line.h"

#include <array>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "engine/base/hex.h"

namespace credsweep::corpus {
namespace {

inline bool IsHex(char c) { return HexDigitValue(c) >= 0; }
inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string_view StripCr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

size_t HexRun(std::string_view s) {
  size_t n = 0;
  while (n < s.size() && IsHex(s[n])) ++n;
  return n;
}

// Parses a decimal count: 1..19 digits (no sign, no spaces). 19 digits always fit in u64.
bool ParseCount(std::string_view s, uint64_t* out, std::string* error) {
  if (s.empty()) {
    *error = "empty count after ':'";
    return false;
  }
  if (s.size() > 19) {
    *error = "count has " + std::to_string(s.size()) + " digits (at most 19)";
    return false;
  }
  uint64_t v = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!IsDigit(s[i])) {
      *error = "count is not a decimal number (column " + std::to_string(i + 1) + " of the count)";
      return false;
    }
    v = v * 10 + static_cast<uint64_t>(s[i] - '0');
  }
  *out = v;
  return true;
}

// Explains why a hash field of `want` hex digits did not parse, from the line's shape only.
std::string ExplainBadHash(std::string_view line, size_t want) {
  size_t run = HexRun(line);
  if (run == 40 && (run == line.size() || line[run] == ':')) {
    return "found a 40-hex SHA-1 hash where a " + std::to_string(want) +
           "-hex NT hash was expected (this looks like the HIBP SHA-1 download; use the NTLM one)";
  }
  if (run == line.size() || line[run] == ':') {
    return "hash has " + std::to_string(run) + " hex digits, expected " + std::to_string(want);
  }
  if (run < want) {
    return "non-hex character at column " + std::to_string(run + 1) + " (expected " +
           std::to_string(want) + " hex digits)";
  }
  return "hash has " + std::to_string(run) + " hex digits followed by an unexpected character, "
         "expected " + std::to_string(want) + " hex digits then ':'";
}

void SetBad(ParsedLine* out, std::string msg) {
  out->kind = LineKind::kBad;
  out->error = std::move(msg);
}

}  // namespace

#if defined(__SSE2__)
namespace {

// 16 characters -> their digit values (0..15) in 16 lanes; *ok &= a mask of the valid lanes.
inline __m128i HexValues(__m128i c, __m128i* ok) {
  // Signed compares: bytes >= 0x80 are negative and fail every range test.
  const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(c, _mm_set1_epi8('0' - 1)),
                                      _mm_cmplt_epi8(c, _mm_set1_epi8('9' + 1)));
  const __m128i lower = _mm_or_si128(c, _mm_set1_epi8(0x20));  // 'A'..'F' -> 'a'..'f'
  const __m128i alpha = _mm_and_si128(_mm_cmpgt_epi8(lower, _mm_set1_epi8('a' - 1)),
                                      _mm_cmplt_epi8(lower, _mm_set1_epi8('f' + 1)));
  *ok = _mm_and_si128(*ok, _mm_or_si128(digit, alpha));
  return _mm_or_si128(_mm_and_si128(digit, _mm_sub_epi8(c, _mm_set1_epi8('0'))),
                      _mm_and_si128(alpha, _mm_sub_epi8(lower, _mm_set1_epi8('a' - 10))));
}

// Pairs of digit values (high, low) in 8 16-bit lanes -> 8 bytes in the low halves of the lanes.
inline __m128i PackNibbles(__m128i v) {
  const __m128i high = _mm_slli_epi16(_mm_and_si128(v, _mm_set1_epi16(0x00FF)), 4);
  return _mm_or_si128(high, _mm_srli_epi16(v, 8));
}

}  // namespace

bool DecodeHashHex(const char* hex, uint8_t* out) {
  __m128i ok = _mm_set1_epi8(-1);
  const __m128i a = HexValues(_mm_loadu_si128(reinterpret_cast<const __m128i*>(hex)), &ok);
  const __m128i b = HexValues(_mm_loadu_si128(reinterpret_cast<const __m128i*>(hex + 16)), &ok);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out),
                   _mm_packus_epi16(PackNibbles(a), PackNibbles(b)));
  return _mm_movemask_epi8(ok) == 0xFFFF;
}
#else
bool DecodeHashHex(const char* hex, uint8_t* out) { return HexDecode(hex, 16, out); }
#endif

void ParseHibpLine(std::string_view line, ParsedLine* out) {
  line = StripCr(line);
  if (line.empty()) {
    out->kind = LineKind::kSkip;
    return;
  }
  if (line.size() < 33 || line[32] != ':' || !DecodeHashHex(line.data(), out->hash.data())) {
    if (line.size() == 32 && HexRun(line) == 32) {
      SetBad(out, "missing ':COUNT' after the hash");
    } else {
      SetBad(out, ExplainBadHash(line, 32));
    }
    return;
  }
  std::string err;
  if (!ParseCount(line.substr(33), &out->count, &err)) {
    SetBad(out, std::move(err));
    return;
  }
  out->kind = out->count == 0 ? LineKind::kSkip : LineKind::kRecord;
}

void ParseHibpSuffixLine(std::string_view line, uint32_t prefix5, ParsedLine* out) {
  line = StripCr(line);
  if (line.empty()) {
    out->kind = LineKind::kSkip;
    return;
  }
  // Rebuild the 32-hex hash as 5 prefix digits + 27 suffix digits, decoded as one string so
  // the nibble that straddles byte 2 comes out right.
  if (line.size() < 28 || line[27] != ':' || HexRun(line) != 27) {
    if (line.size() == 27 && HexRun(line) == 27) {
      SetBad(out, "missing ':COUNT' after the suffix");
    } else {
      SetBad(out, ExplainBadHash(line, 27));
    }
    return;
  }
  static constexpr char kDigits[] = "0123456789ABCDEF";
  char full[32];
  for (int i = 0; i < 5; ++i) full[i] = kDigits[(prefix5 >> (4 * (4 - i))) & 0xF];
  for (int i = 0; i < 27; ++i) full[5 + i] = line[i];
  HexDecode(full, 16, out->hash.data());  // every character checked above
  std::string err;
  if (!ParseCount(line.substr(28), &out->count, &err)) {
    SetBad(out, std::move(err));
    return;
  }
  out->kind = out->count == 0 ? LineKind::kSkip : LineKind::kRecord;
}

void ParseNtlmListLine(std::string_view line, ParsedLine* out) {
  line = StripCr(line);
  if (line.empty()) {
    out->kind = LineKind::kSkip;
    return;
  }
  if (line.size() < 32 || (line.size() > 32 && line[32] != ':') ||
      !DecodeHashHex(line.data(), out->hash.data())) {
    SetBad(out, ExplainBadHash(line, 32));
    return;
  }
  out->count = 1;
  out->kind = LineKind::kRecord;
}

void ParsePlaintextLine(std::string_view line, ParsedLine* out) {
  line = StripCr(line);
  if (line.empty()) {
    out->kind = LineKind::kSkip;
    return;
  }
  Result<NtHash> h = NtHashOfUtf8(line);
  if (!h.ok()) {
    SetBad(out, h.status().message());  // "invalid UTF-8 at byte N": no content
    return;
  }
  out->hash = *h;
  out->count = 1;
  out->kind = LineKind::kRecord;
}

LineShape ClassifyLine(std::string_view line) {
  line = StripCr(line);
  if (line.empty()) return LineShape::kEmpty;
  size_t run = HexRun(line);
  bool colon = run < line.size() && line[run] == ':';
  bool digits_after = false;
  if (colon && run + 1 < line.size()) {
    digits_after = true;
    for (size_t i = run + 1; i < line.size(); ++i) digits_after &= IsDigit(line[i]);
  }
  if (run == line.size() || colon) {
    if (run == 32) {
      if (!colon) return LineShape::kHex32;
      return digits_after ? LineShape::kHex32Count : LineShape::kHex32Other;
    }
    if (run == 27 && digits_after) return LineShape::kHex27Count;
    if (run == 40) return LineShape::kHex40;
    if (run >= 16 && (run == line.size() || digits_after)) return LineShape::kHexOther;
  }
  return LineShape::kText;
}

const char* DescribeShape(LineShape shape) {
  switch (shape) {
    case LineShape::kEmpty: return "an empty line";
    case LineShape::kHex32: return "a 32-hex NT hash";
    case LineShape::kHex32Count: return "a 32-hex NT hash with a count (HIBP NTLM)";
    case LineShape::kHex32Other: return "a 32-hex NT hash with extra fields";
    case LineShape::kHex27Count: return "a 27-hex suffix with a count (HIBP prefix file)";
    case LineShape::kHex40: return "a 40-hex SHA-1 hash (the HIBP SHA-1 download, not NTLM)";
    case LineShape::kHexOther: return "a hex hash of a length that is not an NT hash";
    case LineShape::kText: return "text (a word list line)";
  }
  return "an unknown line";
}

}  // namespace credsweep::corpus
