#include "connectors/directory/ldif_reader.h"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <span>

#include "engine/base/ascii.h"

namespace credsweep {
namespace {

// One unfolded line of a record. Most lines are not folded: they stay views into the input
// (no copy); a folded one is joined into `unfolded`.
struct LogicalLine {
  uint64_t line = 0;      // physical line where it starts
  std::string_view raw;   // the line as read, when not folded
  std::string unfolded;   // the joined text, when folded
  bool folded = false;
  std::string_view text() const { return folded ? std::string_view(unfolded) : raw; }
};

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
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == ';' || c == '.' || c == '=' || c == '_';
  });
}

// ldapsearch writes these records after the entries: "search: 2", "result: 0 Success",
// and with -LLL nothing at all. They are not entries.
bool IsSearchTrailer(std::span<const LogicalLine> rec) {
  for (const auto& l : rec) {
    std::string_view t = l.text();
    std::string key = AsciiLower(t.substr(0, t.find(':')));
    if (key != "search" && key != "result" && key != "text" && key != "matched" &&
        key != "ref" && key != "control") {
      return false;
    }
  }
  return true;
}

// One record -> an entry for on_entry, or a SkippedEntry.
// `e` is the previous record's entry, reused: its attribute map keeps its nodes and value
// lists (a 100 000-entry export would otherwise allocate and free ~3 million of them, issue
// 11); every value is wiped and dropped here, and attributes this record does not have are
// erased before the entry is handed on, so on_entry sees exactly this record.
void EmitRecord(std::span<const LogicalLine> rec, const std::string& origin,
                const std::function<void(LdapEntry&&)>& on_entry,
                std::vector<SkippedEntry>* skipped, LdapEntry& e, std::string& attr) {
  if (rec.empty() || IsSearchTrailer(rec)) return;
  for (auto& [k, vs] : e.attrs) {
    for (auto& v : vs) sodium_memzero(v.data(), v.size());
    vs.clear();
  }
  e.dn.clear();
  std::string reason;
  auto prev = e.attrs.end();  // the attribute of the previous line (only within this record)
  for (size_t i = 0; i < rec.size() && reason.empty(); ++i) {
    const LogicalLine& l = rec[i];
    const std::string_view text = l.text();
    auto where = [&] { return origin + ":" + std::to_string(l.line) + ": "; };
    size_t colon = text.find(':');
    if (colon == std::string::npos || !ValidAttrDesc(text.substr(0, colon))) {
      reason = where() + "not an 'attribute: value' line";
      break;
    }
    attr.assign(text.substr(0, colon));
    for (char& c : attr) c = AsciiLower(c);
    std::string_view rest = text.substr(colon + 1);
    std::string value;
    if (!rest.empty() && rest.front() == ':') {
      auto decoded = DecodeBase64(rest.substr(1));
      if (!decoded) {
        reason = where() + "attribute '" + attr + "' has an invalid base64 value";
        break;
      }
      value = std::move(*decoded);
    } else if (!rest.empty() && rest.front() == '<') {
      reason = where() + "attribute '" + attr + "' refers to a URL ('attr:<'), which is not read";
      break;
    } else {
      size_t s = rest.find_first_not_of(' ');
      if (s != std::string_view::npos) value.assign(rest.substr(s));
    }
    if (i == 0) {
      if (attr != "dn") {
        reason = where() + "record does not start with 'dn:'";
        break;
      }
      e.dn = std::move(value);
      continue;
    }
    if (attr == "changetype") {
      if (AsciiLower(value) != "add") {
        reason = where() + "change record (changetype: " + AsciiLower(value) + ") is not an entry";
      }
      continue;
    }
    if (attr == "control") continue;
    // A multi-valued attribute's lines come one after another (objectClass, a group's
    // members): the previous line's slot is reused without a lookup.
    if (prev == e.attrs.end() || prev->first != attr) {
      prev = e.attrs.find(attr);
      if (prev == e.attrs.end()) prev = e.attrs.emplace(attr, std::vector<std::string>()).first;
    }
    prev->second.push_back(std::move(value));
  }
  if (!reason.empty()) {
    // Values read so far may include secrets (sambaNTPassword): wipe before dropping them.
    for (auto& [k, vs] : e.attrs)
      for (auto& v : vs) sodium_memzero(v.data(), v.size());
    skipped->push_back({e.dn, reason});
    return;
  }
  std::erase_if(e.attrs, [](const auto& kv) { return kv.second.empty(); });
  on_entry(std::move(e));
}

}  // namespace

std::vector<LdifPiece> LdifPieces(std::string_view text, size_t max_pieces,
                                  size_t min_piece_bytes) {
  std::vector<LdifPiece> pieces;
  const size_t want = std::max<size_t>(1, std::min(max_pieces, text.size() / std::max<size_t>(
                                                                   min_piece_bytes, 1)));
  size_t begin = 0;
  uint64_t line = 1;
  for (size_t k = 1; k < want; ++k) {
    // The first blank line at or after the k-th share: the next piece starts after it.
    size_t at = std::max(begin, text.size() / want * k);
    size_t cut = std::string_view::npos;
    while ((at = text.find('\n', at)) != std::string_view::npos) {
      size_t next = at + 1;
      if (next < text.size() && text[next] == '\r') ++next;
      if (next < text.size() && text[next] == '\n') {
        cut = next + 1;
        break;
      }
      at = next;
    }
    if (cut == std::string_view::npos || cut >= text.size()) break;
    pieces.push_back({text.substr(begin, cut - begin), {line, begin == 0}});
    line += static_cast<uint64_t>(std::count(text.begin() + static_cast<std::ptrdiff_t>(begin),
                                             text.begin() + static_cast<std::ptrdiff_t>(cut), '\n'));
    begin = cut;
  }
  pieces.push_back({text.substr(begin), {line, begin == 0}});
  return pieces;
}

void ForEachLdifEntry(std::string_view text, const std::string& origin,
                      const std::function<void(LdapEntry&&)>& on_entry,
                      std::vector<SkippedEntry>* skipped, LdifPosition at) {
  if (at.file_start && text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") {
    text.remove_prefix(3);
  }

  // Physical lines -> the current record's logical lines (comments dropped: a folded
  // continuation of a comment is part of the comment, RFC 2849 note 2); a blank line ends the
  // record, which is emitted and its lines reused for the next.
  std::vector<LogicalLine> rec;
  size_t used = 0;  // lines of rec in use
  bool first = at.file_start;  // only a file's first record may be "version: 1"
  LdapEntry entry;   // reused from record to record (EmitRecord)
  std::string attr;  // the attribute name being read, lower-cased
  struct WipeOnExit {
    LdapEntry& e;
    ~WipeOnExit() {
      for (auto& [k, vs] : e.attrs)
        for (auto& v : vs) sodium_memzero(v.data(), v.size());
    }
  } wipe_on_exit{entry};
  auto end_record = [&] {
    std::span<const LogicalLine> lines(rec.data(), used);
    if (first && used > 0) {
      first = false;
      if (AsciiLower(lines.front().text().substr(0, 8)) == "version:") lines = lines.subspan(1);
    }
    EmitRecord(lines, origin, on_entry, skipped, entry, attr);
    // The unfolded text may hold secret attribute values; wipe it before it is reused.
    for (size_t i = 0; i < used; ++i) {
      if (rec[i].folded) sodium_memzero(rec[i].unfolded.data(), rec[i].unfolded.size());
    }
    used = 0;
  };
  auto add_line = [&](uint64_t line, std::string_view raw) {
    if (used == rec.size()) rec.emplace_back();
    LogicalLine& l = rec[used++];
    l.line = line;
    l.raw = raw;
    l.folded = false;
  };
  bool in_comment = false;
  uint64_t n = at.first_line - 1;
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
      if (used > 0) end_record();
      if (end == text.size()) break;
      continue;
    }
    if (line.front() == ' ') {
      if (in_comment) continue;
      if (used > 0) {
        LogicalLine& last = rec[used - 1];
        if (!last.folded) {
          last.unfolded.clear();
          AppendWiping(last.unfolded, last.raw);
          last.folded = true;
        }
        AppendWiping(last.unfolded, line.substr(1));
      } else {
        add_line(n, line.substr(1));  // reported as malformed
      }
      continue;
    }
    if (line.front() == '#') {
      in_comment = true;
      continue;
    }
    in_comment = false;
    add_line(n, line);
    if (end == text.size()) break;
  }
  if (used > 0) end_record();
}

LdifParseResult ParseLdif(std::string_view text, const std::string& origin) {
  LdifParseResult out;
  ForEachLdifEntry(
      text, origin, [&](LdapEntry&& e) { out.entries.push_back(std::move(e)); }, &out.skipped);
  return out;
}

}  // namespace credsweep
