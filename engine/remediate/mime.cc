#include "engine/remediate/mime.h"

#include <sodium.h>

#include <cstring>
#include <ctime>
#include <algorithm>

#include "engine/base/hex.h"

namespace credsweep {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

// Length of the UTF-8 sequence starting with lead byte c (1 for stray continuation bytes, so a
// malformed string still advances).
size_t Utf8SeqLen(unsigned char c) {
  if (c >= 0xF0) return 4;
  if (c >= 0xE0) return 3;
  if (c >= 0xC0) return 2;
  return 1;
}

}  // namespace

std::string SanitizeMailValue(std::string_view v) {
  static constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD
  std::string out;
  out.reserve(v.size());
  size_t i = 0;
  while (i < v.size()) {
    const auto b = static_cast<unsigned char>(v[i]);
    if (b < 0x20 || b == 0x7F) {
      out += kReplacement;
      ++i;
      continue;
    }
    if (b < 0x80) {
      out += static_cast<char>(b);
      ++i;
      continue;
    }
    // A multi-byte sequence: decode just enough to recognise C1 and U+2028/U+2029, and
    // refuse malformed sequences (so a stray byte cannot swallow a following newline).
    const size_t len = Utf8SeqLen(b);
    bool ok = len > 1 && i + len <= v.size();
    uint32_t cp = len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
    for (size_t k = 1; ok && k < len; ++k) {
      const auto c = static_cast<unsigned char>(v[i + k]);
      ok = (c & 0xC0) == 0x80;
      cp = (cp << 6) | (c & 0x3F);
    }
    if (!ok || (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029) {
      out += kReplacement;
      i += ok ? len : 1;
      continue;
    }
    out.append(v.substr(i, len));
    i += len;
  }
  return out;
}

std::string Rfc5322Date(int64_t unix_seconds) {
  static const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string EncodeHeaderText(const std::string& utf8, size_t prefix_len) {
  bool ascii = true;
  for (unsigned char c : utf8) {
    if (c >= 0x80 || c == '\r' || c == '\n') ascii = false;
  }
  if (ascii) return utf8;
  // "=?UTF-8?B?" + base64 + "?=" <= 75 characters: 12 overhead leaves 63, i.e. 60 base64
  // characters = 45 input bytes per word (RFC 2047 section 2). A line (1 folding space or the
  // header name, plus the word) stays within 76 characters.
  auto max_bytes = [](size_t used) {
    size_t b64 = std::min<size_t>(60, used + 12 < 76 ? 76 - used - 12 : 4) / 4 * 4;
    return std::max<size_t>(3, b64 / 4 * 3);
  };
  std::string out;
  size_t i = 0;
  while (i < utf8.size()) {
    const size_t kMaxBytes = max_bytes(out.empty() ? prefix_len : 1);
    size_t j = i;
    while (j < utf8.size()) {
      size_t n = Utf8SeqLen(static_cast<unsigned char>(utf8[j]));
      if (j + n > utf8.size()) n = utf8.size() - j;
      if (j - i + n > kMaxBytes) break;
      j += n;
    }
    std::string chunk = utf8.substr(i, j - i);
    for (char& c : chunk) {
      if (c == '\r' || c == '\n') c = ' ';  // a header value never carries a line break
    }
    std::string b64(sodium_base64_ENCODED_LEN(chunk.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(b64.data(), b64.size(), reinterpret_cast<const unsigned char*>(chunk.data()),
                      chunk.size(), sodium_base64_VARIANT_ORIGINAL);
    b64.resize(std::strlen(b64.c_str()));
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + b64 + "?=";
    i = j;
  }
  return out;
}

std::string EncodeQuotedPrintable(const std::string& text) {
  std::string out;
  size_t col = 0;
  auto emit = [&](const std::string& tok) {
    if (col + tok.size() > 75) {  // keep room for the soft-break "=" within 76
      out += "=\r\n";
      col = 0;
    }
    out += tok;
    col += tok.size();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    if (c == '\n') {
      out += "\r\n";
      col = 0;
      continue;
    }
    const bool at_eol = i + 1 == text.size() || text[i + 1] == '\n' ||
                        (text[i + 1] == '\r' && i + 2 < text.size() && text[i + 2] == '\n');
    const bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_eol);
    if (literal) {
      emit(std::string(1, static_cast<char>(c)));
    } else {
      emit(std::string{'=', kHex[c >> 4], kHex[c & 15]});
    }
  }
  return out;
}

std::string DecodeQuotedPrintable(const std::string& qp) {
  std::string out;
  for (size_t i = 0; i < qp.size(); ++i) {
    if (qp[i] == '\r' && i + 1 < qp.size() && qp[i + 1] == '\n') {
      out += '\n';
      ++i;
    } else if (qp[i] == '=' && i + 2 < qp.size() && qp[i + 1] == '\r' && qp[i + 2] == '\n') {
      i += 2;  // soft line break
    } else if (qp[i] == '=' && i + 2 < qp.size() && HexDigitValue(qp[i + 1]) >= 0 &&
               HexDigitValue(qp[i + 2]) >= 0) {
      out += static_cast<char>(HexDigitValue(qp[i + 1]) * 16 + HexDigitValue(qp[i + 2]));
      i += 2;
    } else {
      out += qp[i];
    }
  }
  return out;
}

}  // namespace credsweep
