#include "engine/base/json_writer.h"

#include <cstdint>
#include <cstring>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

namespace credsweep {
namespace {

// Well-formed UTF-8 per RFC 3629 / Unicode Table 3-7 (no overlong forms, no surrogates, nothing
// above U+10FFFF): exactly what nlohmann's decoder accepts, so a string that passes here is
// copied by nlohmann unchanged (with ensure_ascii off), and one that fails is left to it.
bool ValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (static_cast<size_t>(end - p) <= n) return false;
    if (p[1] < lo || p[1] > hi) return false;
    for (size_t k = 2; k <= n; ++k) {
      if ((p[k] & 0xC0) != 0x80) return false;
    }
    p += n + 1;
  }
  return true;
}

}  // namespace

void JsonWriter::AppendEscaped(std::string_view s, OutputBuffer* out) {
  // Eight bytes at a time (most strings are plain ASCII names and DNs): a word holds a byte
  // < 0x20, '"' or '\\' iff the classic "has a zero byte" test fires on it, exactly (a borrow
  // only ever adds false hits above a true one, never a hit in a word without one).
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  auto has_zero = [&](uint64_t v) { return ((v - kOnes) & ~v & kHigh) != 0; };
  bool plain = true;
  bool ascii = true;
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    if (w & kHigh) ascii = false;
    if (((w - 0x20 * kOnes) & ~w & kHigh) || has_zero(w ^ ('"' * kOnes)) ||
        has_zero(w ^ ('\\' * kOnes))) {
      plain = false;
    }
  }
  for (; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) ascii = false;
    if (c < 0x20 || c == '"' || c == '\\') plain = false;
  }
  if (!ascii && !ValidUtf8(s)) {
    // The rare path: nlohmann's own replacement of bad sequences (see the header).
    out->Append(nlohmann::json(std::string(s)).dump(-1, ' ', false,
                                                    nlohmann::json::error_handler_t::replace));
    return;
  }
  out->Append('"');
  if (plain) {
    out->Append(s);
  } else {
    static constexpr char kHex[] = "0123456789abcdef";
    size_t run = 0;  // start of the bytes not yet copied
    for (size_t i = 0; i < s.size(); ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      out->Append(s.substr(run, i - run));
      run = i + 1;
      switch (c) {
        case '"': out->Append("\\\""); break;
        case '\\': out->Append("\\\\"); break;
        case '\b': out->Append("\\b"); break;
        case '\f': out->Append("\\f"); break;
        case '\n': out->Append("\\n"); break;
        case '\r': out->Append("\\r"); break;
        case '\t': out->Append("\\t"); break;
        default: {
          const char u[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
          out->Append(std::string_view(u, 6));
        }
      }
    }
    out->Append(s.substr(run));
  }
  out->Append('"');
}

void JsonWriter::Indent(size_t depth) {
  static constexpr std::string_view kSpaces = "                                ";
  size_t n = 2 * depth;
  while (n > 0) {
    const size_t k = std::min(n, kSpaces.size());
    out_->Append(kSpaces.substr(0, k));
    n -= k;
  }
}

void JsonWriter::NextItem() {
  Level& l = stack_.back();
  out_->Append(l.empty ? "\n" : ",\n");
  l.empty = false;
  Indent(stack_.size());
}

void JsonWriter::Key(std::string_view key) {
  NextItem();
  AppendEscaped(key, out_);
  out_->Append(": ");
  after_key_ = true;
}

void JsonWriter::Scalar(std::string_view text) {
  if (after_key_) {
    after_key_ = false;
  } else if (!stack_.empty()) {
    NextItem();
  }
  out_->Append(text);
}

void JsonWriter::Open(char bracket) {
  Scalar(std::string_view(&bracket, 1));
  stack_.push_back({});
}

void JsonWriter::Close(char bracket) {
  const bool empty = stack_.back().empty;
  stack_.pop_back();
  if (!empty) {
    out_->Append('\n');
    Indent(stack_.size());
  }
  out_->Append(bracket);
}

void JsonWriter::String(std::string_view s) {
  Scalar("");
  AppendEscaped(s, out_);
}

void JsonWriter::Uint(uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  Scalar(std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
}

void JsonWriter::Int(int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  Scalar(std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
}

void JsonWriter::Double(double v) { Scalar(nlohmann::json(v).dump()); }

Status JsonWriter::Finish() {
  out_->Append('\n');
  return out_->Finish();
}

}  // namespace credsweep
