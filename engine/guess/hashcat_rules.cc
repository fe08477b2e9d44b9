#include "engine/guess/hashcat_rules.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "engine/base/nt_hash.h"

namespace credsweep {
namespace {

// Argument shapes of each supported operation: N = position/count (0-9, A-Z), X = character.
const char* ArgShape(char op) {
  switch (op) {
    case ':': case 'l': case 'u': case 'c': case 'C': case 't': case 'E': case 'r': case 'd':
    case 'f': case 'q': case '{': case '}': case '[': case ']': case 'k': case 'K':
      return "";
    case 'T': case 'p': case 'D': case '\'': case 'z': case 'Z': case 'y': case 'Y':
      return "N";
    case 'x': case 'O': case '*':
      return "NN";
    case '$': case '^': case '@':
      return "X";
    case 'i': case 'o':
      return "NX";
    case 's':
      return "XX";
    default:
      return nullptr;
  }
}

// Why an operation hashcat knows is refused, for the error message.
const char* UnsupportedReason(char32_t op) {
  switch (op) {
    case '<': case '>': case '_': case '!': case '/': case '(': case ')': case '=': case '%':
    case 'Q':
      return "rejection rules are not supported";
    case 'X': case '4': case '6': case 'M':
      return "memory rules are not supported";
    case '+': case '-': case '.': case ',': case 'L': case 'R': case 'e': case '3':
      return "this hashcat operation is not supported";
    default:
      return "unknown operation";
  }
}

int PositionValue(char16_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return -1;
}

// Work buffer: twice the output limit, so an operation may overshoot before the length check.
struct Word {
  std::array<char16_t, 2 * kMaxRuleWordUnits + 2> c;
  size_t n = 0;
  bool overflow = false;
  bool Fits(size_t len) {
    if (len > c.size()) {
      overflow = true;
      return false;
    }
    return true;
  }
};

void Apply(const RuleOp& o, Word& w) {
  auto& c = w.c;
  size_t& n = w.n;
  switch (o.op) {
    case ':': break;
    case 'l': for (size_t i = 0; i < n; ++i) c[i] = ToLowerUnit(c[i]); break;
    case 'u': for (size_t i = 0; i < n; ++i) c[i] = ToUpperUnit(c[i]); break;
    case 'c':
      for (size_t i = 0; i < n; ++i) c[i] = i == 0 ? ToUpperUnit(c[i]) : ToLowerUnit(c[i]);
      break;
    case 'C':
      for (size_t i = 0; i < n; ++i) c[i] = i == 0 ? ToLowerUnit(c[i]) : ToUpperUnit(c[i]);
      break;
    case 't':
      for (size_t i = 0; i < n; ++i) {
        char16_t lo = ToLowerUnit(c[i]);
        c[i] = lo == c[i] ? ToUpperUnit(c[i]) : lo;
      }
      break;
    case 'T':
      if (o.n < n) {
        char16_t lo = ToLowerUnit(c[o.n]);
        c[o.n] = lo == c[o.n] ? ToUpperUnit(c[o.n]) : lo;
      }
      break;
    case 'E':  // hashcat: lower-case everything, upper-case the first letter and each after a space
      for (size_t i = 0; i < n; ++i) {
        c[i] = (i == 0 || c[i - 1] == u' ') ? ToUpperUnit(c[i]) : ToLowerUnit(c[i]);
      }
      break;
    case 'r': std::reverse(c.begin(), c.begin() + n); break;
    case 'd':
      if (w.Fits(2 * n)) {
        std::copy_n(c.begin(), n, c.begin() + n);
        n *= 2;
      }
      break;
    case 'p':
      if (w.Fits(n * (o.n + 1))) {
        for (size_t k = 1; k <= o.n; ++k) std::copy_n(c.begin(), n, c.begin() + k * n);
        n *= o.n + 1;
      }
      break;
    case 'f':
      if (w.Fits(2 * n)) {
        std::reverse_copy(c.begin(), c.begin() + n, c.begin() + n);
        n *= 2;
      }
      break;
    case 'q':
      if (w.Fits(2 * n)) {
        for (size_t i = n; i-- > 0;) c[2 * i] = c[2 * i + 1] = c[i];
        n *= 2;
      }
      break;
    case '{': if (n > 1) std::rotate(c.begin(), c.begin() + 1, c.begin() + n); break;
    case '}': if (n > 1) std::rotate(c.begin(), c.begin() + n - 1, c.begin() + n); break;
    case '$':
      if (w.Fits(n + 1)) c[n++] = o.x;
      break;
    case '^':
      if (w.Fits(n + 1)) {
        std::copy_backward(c.begin(), c.begin() + n, c.begin() + n + 1);
        c[0] = o.x;
        ++n;
      }
      break;
    case '[': if (n > 0) { std::copy(c.begin() + 1, c.begin() + n, c.begin()); --n; } break;
    case ']': if (n > 0) --n; break;
    case 'D':
      if (o.n < n) {
        std::copy(c.begin() + o.n + 1, c.begin() + n, c.begin() + o.n);
        --n;
      }
      break;
    case '\'': if (o.n < n) n = o.n; break;
    case 'x':
      if (o.n + o.m <= n) {
        std::copy(c.begin() + o.n, c.begin() + o.n + o.m, c.begin());
        n = o.m;
      }
      break;
    case 'O':
      if (o.n + o.m <= n) {
        std::copy(c.begin() + o.n + o.m, c.begin() + n, c.begin() + o.n);
        n -= o.m;
      }
      break;
    case 'i':
      if (o.n <= n && w.Fits(n + 1)) {
        std::copy_backward(c.begin() + o.n, c.begin() + n, c.begin() + n + 1);
        c[o.n] = o.x;
        ++n;
      }
      break;
    case 'o': if (o.n < n) c[o.n] = o.x; break;
    case 's': std::replace(c.begin(), c.begin() + n, o.x, o.y); break;
    case '@': n = std::remove(c.begin(), c.begin() + n, o.x) - c.begin(); break;
    case 'z':
      if (n > 0 && w.Fits(n + o.n)) {
        std::copy_backward(c.begin(), c.begin() + n, c.begin() + n + o.n);
        std::fill_n(c.begin(), o.n, c[o.n]);
        n += o.n;
      }
      break;
    case 'Z':
      if (n > 0 && w.Fits(n + o.n)) {
        std::fill_n(c.begin() + n, o.n, c[n - 1]);
        n += o.n;
      }
      break;
    case 'y':
      if (o.n <= n && w.Fits(n + o.n)) {
        std::copy_backward(c.begin(), c.begin() + n, c.begin() + n + o.n);
        std::copy_n(c.begin() + o.n, o.n, c.begin());
        n += o.n;
      }
      break;
    case 'Y':
      if (o.n <= n && w.Fits(n + o.n)) {
        std::copy_n(c.begin() + n - o.n, o.n, c.begin() + n);
        n += o.n;
      }
      break;
    case 'k': if (n >= 2) std::swap(c[0], c[1]); break;
    case 'K': if (n >= 2) std::swap(c[n - 1], c[n - 2]); break;
    case '*': if (o.n < n && o.m < n) std::swap(c[o.n], c[o.m]); break;
    default: break;  // ParseRules admits no other op
  }
}

std::string Utf8Of(char32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    s.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    s.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
  return s;
}

constexpr const char* kDefaultRules =
    "# credsweep built-in rules: case variants and common leetspeak (a@ e3 i1 o0 s$).\n"
    ":\n"
    "l\n"
    "u\n"
    "so0\n"
    "sa@\n"
    "se3\n"
    "si1\n"
    "ss$\n"
    "sa@ so0\n"
    "sa@ ss$\n"
    "sa@ ss$ so0\n"
    "sa@ se3 si1 so0 ss$\n"
    "l so0\n"
    "l sa@\n"
    "l sa@ se3 si1 so0 ss$\n"
    "u sA@ sO0\n";

}  // namespace

char16_t ToLowerUnit(char16_t c) {
  if (c >= u'A' && c <= u'Z') return static_cast<char16_t>(c + 32);
  // Latin-1 supplement: U+00C0-U+00DE map to U+00E0-U+00FE, except U+00D7 (multiplication sign).
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return static_cast<char16_t>(c + 32);
  return c;
}

char16_t ToUpperUnit(char16_t c) {
  if (c >= u'a' && c <= u'z') return static_cast<char16_t>(c - 32);
  // U+00DF (sharp s) has no one-character upper case; U+00F7 is the division sign.
  if (c >= 0xE0 && c <= 0xFE && c != 0xF7) return static_cast<char16_t>(c - 32);
  return c;
}

Result<std::vector<HashcatRule>> ParseRules(std::string_view text, const std::string& origin) {
  std::vector<HashcatRule> rules;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') {
      if (end == text.size()) break;
      continue;
    }
    const std::string where = origin + ":" + std::to_string(line_no) + ": rule \"" +
                              std::string(line) + "\": ";
    Result<std::u16string> units = Utf8ToUtf16(line);
    if (!units.ok()) return Status::InvalidArgument(where + units.status().message());
    const std::u16string& u = *units;
    HashcatRule rule;
    rule.text = std::string(line);
    size_t i = 0;
    while (i < u.size()) {
      const char16_t op16 = u[i];
      if (op16 == u' ' || op16 == u'\t') {
        ++i;
        continue;
      }
      const size_t column = i + 1;
      const char* shape = op16 < 0x80 ? ArgShape(static_cast<char>(op16)) : nullptr;
      if (shape == nullptr) {
        return Status::InvalidArgument(where + UnsupportedReason(op16) + " '" + Utf8Of(op16) +
                                       "' at column " + std::to_string(column));
      }
      RuleOp op;
      op.op = static_cast<char>(op16);
      ++i;
      int positions = 0, chars = 0;
      for (const char* s = shape; *s; ++s) {
        if (i >= u.size()) {
          return Status::InvalidArgument(where + "operation '" + std::string(1, op.op) +
                                         "' at column " + std::to_string(column) + " needs " +
                                         std::to_string(std::strlen(shape)) + " argument(s)");
        }
        const char16_t a = u[i++];
        if (*s == 'N') {
          int v = PositionValue(a);
          if (v < 0) {
            return Status::InvalidArgument(where + "operation '" + std::string(1, op.op) +
                                           "' at column " + std::to_string(column) +
                                           ": position '" + Utf8Of(a) + "' is not 0-9 or A-Z");
          }
          (positions++ == 0 ? op.n : op.m) = static_cast<uint8_t>(v);
        } else {
          if (a >= 0xD800 && a <= 0xDFFF) {
            return Status::InvalidArgument(where + "character arguments must be in the Basic "
                                           "Multilingual Plane (column " +
                                           std::to_string(i) + ")");
          }
          (chars++ == 0 ? op.x : op.y) = a;
        }
      }
      rule.ops.push_back(op);
    }
    if (rule.ops.empty()) rule.ops.push_back(RuleOp{});  // a line of blanks: the word as is
    rules.push_back(std::move(rule));
    if (end == text.size()) break;
  }
  if (rules.empty()) return Status::InvalidArgument(origin + ": no rules (only comments or blank lines)");
  return rules;
}

int ApplyRule(const HashcatRule& rule, const char16_t* word, size_t n, char16_t* out) {
  Word w;
  if (n > w.c.size()) return -1;
  std::copy_n(word, n, w.c.begin());
  w.n = n;
  for (const RuleOp& op : rule.ops) {
    Apply(op, w);
    if (w.overflow) break;
  }
  int result = -1;
  if (!w.overflow && w.n <= kMaxRuleWordUnits) {
    std::copy_n(w.c.begin(), w.n, out);
    result = static_cast<int>(w.n);
  }
  // The work copy may be (part of) a password: wipe it.
  sodium_memzero(w.c.data(), sizeof w.c);
  return result;
}

const char* DefaultRulesText() { return kDefaultRules; }

const std::vector<HashcatRule>& DefaultRules() {
  static const std::vector<HashcatRule> rules = [] {
    Result<std::vector<HashcatRule>> r = ParseRules(kDefaultRules, "built-in rules");
    return r.ok() ? *r : std::vector<HashcatRule>{};  // the unit test proves it parses
  }();
  return rules;
}

}  // namespace credsweep
