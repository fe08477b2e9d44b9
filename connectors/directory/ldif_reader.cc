#include "connectors/directory/ldif_reader.h"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <optional>

namespace credsweep {
namespace {

struct LogicalLine {
  uint64_t line = 0;  // physical line where it starts
  std::string text;   // unfolded
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// RFC 2849 base64 (the standard alphabet, '=' padding); whitespace inside is tolerated because
// some exporters fold in odd places. nullopt on anything else.
std::optional<std::string> DecodeBase64(std::string_view b64) {
  std::string out(b64.size() / 4 * 3 + 3, '\0');
  size_t len = 0;
  if (b64.empty()) return std::string();
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), b64.data(),
                        b64.size(), " \t", &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0) {
    sodium_memzero(out.data(), out.size());  // a partial decode of a secret value
    return std::nullopt;
  }
  out.resize(len);
  return out;
}

// s += more, wiping the old buffer when it has to grow: the unfolded text may hold secret
// values (sambaNTPassword), and std::string would free the old buffer unwiped.
void AppendWiping(std::string& s, std::string_view more) {
  if (s.size() + more.size() > s.capacity()) {
    std::string bigger;
    bigger.reserve(std::max(s.capacity() * 2, s.size() + more.size()));
    bigger.append(s);
    sodium_memzero(s.data(), s.size());
    s.swap(bigger);
  }
  s.append(more);
}

bool ValidAttrDesc(std::string_view d) {
  if (d.empty()) return false;
  return std::all_of(d.begin(), d.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == ';' || c == '.' ||
           c == '=' || c == '_';
  });
}

// ldapsearch writes these records after the entries: "search: 2", "result: 0 Success",
// and with -LLL nothing at all. They are not entries.
bool IsSearchTrailer(const std::vector<LogicalLine>& rec) {
  for (const auto& l : rec) {
    std::string key = Lower(l.text.substr(0, l.text.find(':')));
    if (key != "search" && key != "result" && key != "text" && key != "matched" &&
        key != "ref" && key != "control") {
      return false;
    }
  }
  return true;
}

}  // namespace

LdifParseResult ParseLdif(std::string_view text, const std::string& origin) {
  LdifParseResult out;
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);

  // Pass 1: physical lines -> records of unfolded logical lines; comments dropped (a folded
  // continuation of a comment is part of the comment, RFC 2849 note 2).
  std::vector<std::vector<LogicalLine>> records(1);
  bool in_comment = false;
  uint64_t n = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++n;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      in_comment = false;
      if (!records.back().empty()) records.emplace_back();
      if (end == text.size()) break;
      continue;
    }
    if (line.front() == ' ') {
      if (in_comment) continue;
      if (!records.back().empty()) {
        AppendWiping(records.back().back().text, line.substr(1));
      } else {
        records.back().push_back({n, std::string(line.substr(1))});  // reported below as malformed
      }
      continue;
    }
    if (line.front() == '#') {
      in_comment = true;
      continue;
    }
    in_comment = false;
    records.back().push_back({n, std::string(line)});
    if (end == text.size()) break;
  }

  // Pass 2: each record -> entry or skipped.
  bool first = true;
  for (auto& rec : records) {
    if (rec.empty()) continue;
    if (first) {
      first = false;
      if (Lower(rec.front().text.substr(0, 8)) == "version:") rec.erase(rec.begin());
      if (rec.empty()) continue;
    }
    if (IsSearchTrailer(rec)) continue;
    LdapEntry e;
    std::string reason;
    bool skip = false;
    for (size_t i = 0; i < rec.size(); ++i) {
      const LogicalLine& l = rec[i];
      std::string where = origin + ":" + std::to_string(l.line) + ": ";
      size_t colon = l.text.find(':');
      if (colon == std::string::npos || !ValidAttrDesc(std::string_view(l.text).substr(0, colon))) {
        reason = where + "not an 'attribute: value' line";
        skip = true;
        break;
      }
      std::string attr = Lower(std::string_view(l.text).substr(0, colon));
      std::string_view rest = std::string_view(l.text).substr(colon + 1);
      std::string value;
      if (!rest.empty() && rest.front() == ':') {
        auto decoded = DecodeBase64(rest.substr(1));
        if (!decoded) {
          reason = where + "attribute '" + attr + "' has an invalid base64 value";
          skip = true;
          break;
        }
        value = std::move(*decoded);
      } else if (!rest.empty() && rest.front() == '<') {
        reason = where + "attribute '" + attr + "' refers to a URL ('attr:<'), which is not read";
        skip = true;
        break;
      } else {
        size_t s = rest.find_first_not_of(' ');
        value = s == std::string_view::npos ? std::string() : std::string(rest.substr(s));
      }
      if (i == 0) {
        if (attr != "dn") {
          reason = where + "record does not start with 'dn:'";
          skip = true;
          break;
        }
        e.dn = std::move(value);
        continue;
      }
      if (attr == "changetype") {
        if (Lower(value) != "add") {
          reason = where + "change record (changetype: " + Lower(value) + ") is not an entry";
          skip = true;
          break;
        }
        continue;
      }
      if (attr == "control") continue;
      e.attrs[attr].push_back(std::move(value));
    }
    if (skip) {
      // Values read so far may include secrets (sambaNTPassword): wipe before dropping them.
      for (auto& [k, vs] : e.attrs)
        for (auto& v : vs) sodium_memzero(v.data(), v.size());
      out.skipped.push_back({e.dn, reason});
      continue;
    }
    out.entries.push_back(std::move(e));
  }
  // The unfolded text may hold secret attribute values; wipe it before the memory is reused.
  for (auto& rec : records)
    for (auto& l : rec) sodium_memzero(l.text.data(), l.text.size());
  return out;
}

}  // namespace credsweep
