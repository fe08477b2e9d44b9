#include "connectors/hashdump/hash_dump.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <new>
#include <string_view>

#include "engine/base/ascii.h"
#include "engine/base/hex.h"
#include "engine/base/secure_memory.h"

namespace credsweep {

// Chunked secure storage for 16-byte hashes. Chunks never move once allocated, so pointers
// handed out stay valid for the arena's life. Each chunk is a separate sodium_malloc region
// (guard pages + canary + mlock); it is read-only except while being written.
class HashDump::SecureArena {
 public:
  // 2048 slots x 16 bytes = 32 KiB per chunk: small enough that mlock limits (often 8 MiB)
  // hold a large dump's worth only when needed, large enough to keep guard-page overhead low.
  static constexpr size_t kSlotsPerChunk = 2048;
  static constexpr size_t kSlotSize = 16;

  SecureArena() = default;
  SecureArena(const SecureArena&) = delete;
  SecureArena& operator=(const SecureArena&) = delete;
  ~SecureArena() {
    for (void* c : chunks_) sodium_free(c);  // sodium_free zeroes before unmapping
  }

  // Copies 16 bytes into secure memory and returns the stable pointer. Leaves the current
  // chunk writable until Seal(). Out of secure memory behaves like operator new.
  const std::array<uint8_t, 16>* Store(const uint8_t* bytes) {
    if (chunks_.empty() || used_ == kSlotsPerChunk) {
      if (!chunks_.empty() && writable_) sodium_mprotect_readonly(chunks_.back());
      void* c = sodium_malloc(kSlotsPerChunk * kSlotSize);
      if (c == nullptr) throw std::bad_alloc();
      chunks_.push_back(c);
      used_ = 0;
      writable_ = true;
    } else if (!writable_) {
      sodium_mprotect_readwrite(chunks_.back());
      writable_ = true;
    }
    auto* slot = static_cast<uint8_t*>(chunks_.back()) + used_ * kSlotSize;
    std::memcpy(slot, bytes, kSlotSize);
    ++used_;
    return reinterpret_cast<const std::array<uint8_t, 16>*>(slot);
  }

  void Seal() {
    if (!chunks_.empty() && writable_) sodium_mprotect_readonly(chunks_.back());
    writable_ = false;
  }

 private:
  std::vector<void*> chunks_;
  size_t used_ = 0;
  bool writable_ = false;
};

namespace {

enum class Format { kUnknown, kSecretsdump, kPwdump, kSmbpasswd, kHashcat };

const char* FormatName(Format f) {
  switch (f) {
    case Format::kSecretsdump: return "secretsdump";
    case Format::kPwdump: return "pwdump";
    case Format::kSmbpasswd: return "smbpasswd";
    case Format::kHashcat: return "hashcat";
    case Format::kUnknown: break;
  }
  return "";
}

std::optional<Format> FormatFromName(const std::string& name) {
  if (name == "auto") return Format::kUnknown;
  if (name == "secretsdump") return Format::kSecretsdump;
  if (name == "pwdump") return Format::kPwdump;
  if (name == "smbpasswd") return Format::kSmbpasswd;
  if (name == "hashcat") return Format::kHashcat;
  return std::nullopt;
}

// "No hash stored" spellings: smbpasswd's 32 'X', pwdump's "NO PASSWORD*****…" and 32 '*'.
bool IsAbsentHash(std::string_view f) {
  if (f.empty()) return true;
  if (f.size() == 32 && std::all_of(f.begin(), f.end(), [](char c) { return c == 'X' || c == 'x'; }))
    return true;
  if (f.size() == 32 && std::all_of(f.begin(), f.end(), [](char c) { return c == '*'; })) return true;
  return f.rfind("NO PASSWORD", 0) == 0;
}

// At most kMaxFields colon-separated fields of one line, on the stack (one per dump line).
constexpr size_t kMaxFields = 64;
struct Fields {
  std::array<std::string_view, kMaxFields> f;
  size_t n = 0;
  size_t size() const { return n; }
  std::string_view operator[](size_t i) const { return f[i]; }
};

// The last field keeps any further colons.
Fields SplitColons(std::string_view s, size_t max_fields) {
  Fields out;
  size_t start = 0;
  while (out.n + 1 < max_fields) {
    size_t p = s.find(':', start);
    if (p == std::string_view::npos) break;
    out.f[out.n++] = s.substr(start, p - start);
    start = p + 1;
  }
  out.f[out.n++] = s.substr(start);
  return out;
}

std::optional<uint32_t> ParseU32(std::string_view s) {
  uint32_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// "CORP\jdoe" -> "jdoe"; "corp.example\jdoe" -> "jdoe".
std::string_view StripDomain(std::string_view name) {
  size_t p = name.rfind('\\');
  return p == std::string_view::npos ? name : name.substr(p + 1);
}

// Lines that are not records in any format: blank, comments, secretsdump's "[*] ..." status
// lines and its "Impacket v0.11.0 - Copyright ..." banner.
bool IsNoise(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  if (i == line.size()) return true;
  return line[i] == '#' || line[i] == '[' || line.substr(i).rfind("Impacket v", 0) == 0;
}

// secretsdump's non-NT lines: Kerberos keys ("user:aes256-cts-hmac-sha1-96:…") and
// cleartext ("user:CLEARTEXT:…"). Skipped, never parsed as hashes.
bool IsSecretsdumpSideLine(const Fields& f) {
  if (f.size() != 3) return false;
  std::string_view t = f[1];
  return t == "CLEARTEXT" || t.find("-cts-") != std::string_view::npos ||
         t.rfind("des-", 0) == 0 || t.rfind("rc4", 0) == 0 || t.rfind("0x", 0) == 0 ||
         t.find("hmac") != std::string_view::npos;
}

bool HasSecretsdumpMarker(std::string_view line) {
  if (line.find("(status=") != std::string_view::npos) return true;
  if (line.find("(pwdLastSet=") != std::string_view::npos) return true;
  size_t colon = line.find(':');
  std::string_view name = line.substr(0, colon);
  if (name.find('\\') != std::string_view::npos) return true;
  size_t h = name.rfind("_history");
  return h != std::string_view::npos && h + 8 < name.size() &&
         std::all_of(name.begin() + h + 8, name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Classifies one record-bearing line; kUnknown if it fits nothing.
Format Classify(std::string_view line) {
  auto f = SplitColons(line, kMaxFields);
  if (f.size() >= 6 && !f[4].empty() && f[4].front() == '[') return Format::kSmbpasswd;
  if (f.size() >= 7 && f[4].empty() && f[5].empty()) {
    return HasSecretsdumpMarker(line) ? Format::kSecretsdump : Format::kPwdump;
  }
  if (f.size() == 2 && f[1].size() == 32) return Format::kHashcat;
  if (IsSecretsdumpSideLine(f)) return Format::kSecretsdump;
  return Format::kUnknown;
}

template <typename Fn>
void ForEachLine(std::string_view text, Fn fn) {
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  uint64_t n = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!fn(++n, line)) return;
    start = end + 1;
  }
}

// Two records for one account (or one RID) would make the audit pick one silently: the dump
// is not what it claims to be. The error names both lines, at the first line (in file order)
// that repeats an earlier record — a name (case-insensitive) with the same history index, or
// the RID of a current record; at the same line the name is reported. Found by sorting keys,
// not by a hash map probed per line (issue 11: the map's cache misses were a third of loading
// a 100 000-account dump).
Status CheckDuplicates(const std::vector<HashRecord>& records, const std::string& origin) {
  struct Key {
    size_t hash;  // case-folded name and history index, or the RID
    size_t record;
  };
  uint64_t bad_line = UINT64_MAX;
  std::string what;
  auto offer = [&](const HashRecord& second, std::string message) {
    if (second.line < bad_line) {
      bad_line = second.line;
      what = std::move(message);
    }
  };
  std::vector<Key> keys;
  keys.reserve(records.size());
  auto sort_keys = [&] {
    std::sort(keys.begin(), keys.end(), [&](const Key& a, const Key& b) {
      return a.hash != b.hash ? a.hash < b.hash : records[a.record].line < records[b.record].line;
    });
  };
  // RIDs of current records first: at one line a repeated name is the message that wins.
  for (size_t i = 0; i < records.size(); ++i) {
    if (records[i].rid && records[i].history_index == 0) keys.push_back({*records[i].rid, i});
  }
  sort_keys();
  for (size_t k = 1; k < keys.size(); ++k) {
    if (keys[k].hash != keys[k - 1].hash) continue;
    size_t first = k - 1;
    while (first > 0 && keys[first - 1].hash == keys[k].hash) --first;
    const HashRecord& r = records[keys[k].record];
    offer(r, "RID " + std::to_string(*r.rid) + " of '" + r.account + "' was already given on line " +
                 std::to_string(records[keys[first].record].line));
  }
  keys.clear();
  for (size_t i = 0; i < records.size(); ++i) {
    const HashRecord& r = records[i];
    keys.push_back({CaseFoldHash{}(r.account) ^
                        (static_cast<size_t>(r.history_index) * 0x9E3779B97F4A7C15ULL),
                    i});
  }
  sort_keys();
  for (size_t k = 1; k < keys.size(); ++k) {
    const HashRecord& r = records[keys[k].record];
    // Earlier records with the same hash (in line order); a different name is a collision.
    for (size_t j = k; j > 0 && keys[j - 1].hash == keys[k].hash; --j) {
      const HashRecord& earlier = records[keys[j - 1].record];
      if (earlier.history_index != r.history_index ||
          !CaseFoldEqual{}(earlier.account, r.account)) {
        continue;
      }
      // Keep looking back: the message names the first line of this account.
      size_t first = j - 1;
      for (size_t i = first; i > 0 && keys[i - 1].hash == keys[k].hash; --i) {
        const HashRecord& e = records[keys[i - 1].record];
        if (e.history_index == r.history_index && CaseFoldEqual{}(e.account, r.account)) {
          first = i - 1;
        }
      }
      if (r.line < bad_line || (r.line == bad_line && what.rfind("RID ", 0) == 0)) {
        bad_line = r.line;
        what = "a second record for account '" + r.account + "'" +
               (r.history_index ? " (history " + std::to_string(r.history_index) + ")" : "") +
               "; the first is line " + std::to_string(records[keys[first].record].line);
      }
      break;
    }
  }
  if (bad_line == UINT64_MAX) return Status::Ok();
  return Status::InvalidArgument(origin + ":" + std::to_string(bad_line) + ": " + what);
}

}  // namespace

HashDump::HashDump() : arena_(std::make_unique<SecureArena>()) {}
HashDump::HashDump(HashDump&&) noexcept = default;
HashDump& HashDump::operator=(HashDump&&) noexcept = default;
HashDump::~HashDump() = default;

HashDump HashDump::Empty() { return HashDump(); }

void HashDump::Add(std::string account, std::optional<uint32_t> rid, int history_index,
                   const NtHash& nt, const std::array<uint8_t, 16>* lm,
                   std::optional<bool> enabled) {
  (void)InitSodium();  // sodium_malloc needs it first; if it failed, Store throws bad_alloc
  HashRecord r;
  r.account = std::move(account);
  r.rid = rid;
  r.history_index = history_index;
  r.enabled = enabled;
  r.nt = arena_->Store(nt.data());
  if (lm != nullptr && *lm != kEmptyLmHash) r.lm = arena_->Store(lm->data());
  arena_->Seal();
  records_.push_back(std::move(r));
}

Result<HashDump> HashDump::Parse(std::string_view text, const std::string& origin,
                                 const std::string& format) {
  CS_RETURN_IF_ERROR(InitSodium());
  std::optional<Format> want = FormatFromName(format);
  if (!want) {
    return Status::InvalidArgument("hashes.format \"" + format +
                                   "\" is not one of auto, secretsdump, pwdump, smbpasswd, hashcat");
  }
  Format fmt = *want;
  uint64_t first_line = 0;
  if (fmt == Format::kUnknown) {
    // Detect from the first record-bearing line; pwdump vs secretsdump differ only by markers
    // that may first appear later (history lines, status suffixes), so scan the whole input
    // for a marker once a 7-field line was seen.
    ForEachLine(text, [&](uint64_t n, std::string_view line) {
      if (IsNoise(line)) return true;
      fmt = Classify(line);
      first_line = n;
      return false;
    });
    if (fmt == Format::kUnknown) {
      if (first_line == 0) {
        // Nothing but blank lines and comments: an empty dump is valid but worth naming.
        HashDump d;
        ForEachLine(text, [&](uint64_t, std::string_view) { ++d.lines_read_; ++d.lines_skipped_; return true; });
        d.format_ = "empty";
        return d;
      }
      return Status::InvalidArgument(
          origin + ":" + std::to_string(first_line) +
          ": cannot detect the dump format (expected secretsdump/pwdump 'user:RID:LM:NT:::', "
          "smbpasswd 'name:uid:LM:NT:[flags]:LCT-…:' or hashcat 'user:NT'); set hashes.format");
    }
    if (fmt == Format::kPwdump) {
      ForEachLine(text, [&](uint64_t, std::string_view line) {
        if (!IsNoise(line) && HasSecretsdumpMarker(line)) {
          fmt = Format::kSecretsdump;
          return false;
        }
        return true;
      });
    }
  }

  HashDump d;
  d.format_ = FormatName(fmt);
  Status err;
  uint8_t nt[16], lm[16];
  const size_t lines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  d.records_.reserve(lines);
  ForEachLine(text, [&](uint64_t n, std::string_view line) {
    ++d.lines_read_;
    if (IsNoise(line)) {
      ++d.lines_skipped_;
      return true;
    }
    auto fail = [&](const std::string& what) {
      err = Status::InvalidArgument(origin + ":" + std::to_string(n) + ": " + what);
      return false;
    };
    HashRecord r;
    r.line = n;
    std::string_view name, rid_field, lm_field, nt_field;
    switch (fmt) {
      case Format::kSecretsdump:
      case Format::kPwdump: {
        auto f = SplitColons(line, 5);  // user, rid, lm, nt, rest (":: + suffix")
        if (fmt == Format::kSecretsdump && IsSecretsdumpSideLine(SplitColons(line, 4))) {
          ++d.lines_skipped_;
          return true;
        }
        if (f.size() < 5 || f[4].substr(0, 2) != "::") {
          return fail(std::string("expected 'user:RID:LMHASH:NTHASH:::' (") + FormatName(fmt) + ")");
        }
        std::string_view rest = f[4].substr(2);
        // Optional suffixes: " (pwdLastSet=…)" " (status=Enabled|Disabled)"; nothing else.
        while (!rest.empty()) {
          size_t i = rest.find_first_not_of(" \t");
          if (i == std::string_view::npos) break;
          rest.remove_prefix(i);
          if (rest.front() != '(') return fail("unexpected text after ':::'");
          size_t close = rest.find(')');
          if (close == std::string_view::npos) return fail("unterminated '(' suffix after ':::'");
          std::string_view inner = rest.substr(1, close - 1);
          if (inner == "status=Enabled") {
            r.enabled = true;
          } else if (inner == "status=Disabled") {
            r.enabled = false;
          } else if (inner.rfind("pwdLastSet=", 0) != 0) {
            return fail("unknown suffix after ':::' (expected pwdLastSet= or status=)");
          }
          rest.remove_prefix(close + 1);
        }
        name = f[0];
        rid_field = f[1];
        lm_field = f[2];
        nt_field = f[3];
        auto rid = ParseU32(rid_field);
        if (!rid) return fail("the RID (field 2) is not a number");
        r.rid = rid;
        break;
      }
      case Format::kSmbpasswd: {
        auto f = SplitColons(line, 7);
        if (f.size() < 6 || f[4].size() < 2 || f[4].front() != '[' || f[4].back() != ']') {
          return fail("expected 'name:uid:LM:NT:[flags]:LCT-XXXXXXXX:' (smbpasswd)");
        }
        if (!ParseU32(f[1])) return fail("the uid (field 2) is not a number");
        std::string_view flags = f[4].substr(1, f[4].size() - 2);
        r.enabled = flags.find('D') == std::string_view::npos;
        name = f[0];
        lm_field = f[2];
        nt_field = f[3];
        break;
      }
      case Format::kHashcat: {
        auto f = SplitColons(line, 3);
        if (f.size() != 2) return fail("expected 'user:NTHASH' (hashcat)");
        name = f[0];
        nt_field = f[1];
        break;
      }
      case Format::kUnknown:
        return fail("unknown format");
    }
    name = StripDomain(name);
    if (fmt == Format::kSecretsdump) {
      size_t h = name.rfind("_history");
      if (h != std::string_view::npos && h + 8 < name.size()) {
        auto idx = ParseU32(name.substr(h + 8));
        if (idx && *idx < 100000) {
          r.history_index = static_cast<int>(*idx) + 1;
          name = name.substr(0, h);
        }
      }
    }
    if (name.empty()) return fail("empty account name");
    if (IsAbsentHash(nt_field)) {
      // No NT hash stored (pdbedit prints 32 X for such accounts): nothing to check.
      ++d.lines_skipped_;
      return true;
    }
    if (!HexDecodeExact(nt_field, nt, 16)) return fail("the NT hash field is not 32 hex digits");
    bool have_lm = false;
    if (!IsAbsentHash(lm_field)) {
      if (!HexDecodeExact(lm_field, lm, 16)) return fail("the LM hash field is not 32 hex digits");
      have_lm = std::memcmp(lm, kEmptyLmHash.data(), 16) != 0;
    }
    r.account = std::string(name);
    r.nt = d.arena_->Store(nt);
    if (have_lm) r.lm = d.arena_->Store(lm);
    d.records_.push_back(std::move(r));
    return true;
  });
  sodium_memzero(nt, sizeof nt);
  sodium_memzero(lm, sizeof lm);
  d.arena_->Seal();
  // A duplicate on a line before a malformed one is what a line-by-line reader meets first.
  CS_RETURN_IF_ERROR(CheckDuplicates(d.records_, origin));
  if (!err.ok()) return err;
  return d;
}

Result<HashDump> HashDump::Load(const std::string& path, const std::string& format) {
  CS_RETURN_IF_ERROR(InitSodium());
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno("opening hash dump " + path, errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return Status::FromErrno("reading hash dump " + path, e);
  }
  // The whole file goes into secure memory so the hashes never sit in ordinary heap pages.
  // The size is only a first guess: a pipe or /dev/stdin reports 0 (and a file may grow while
  // read), so the buffer grows until end of file — a dump is never cut to its fstat size.
  size_t cap = static_cast<size_t>(st.st_size) + 1;
  if (!S_ISREG(st.st_mode) || cap < 4096) cap = std::max<size_t>(cap, 64 * 1024);
  auto* buf = static_cast<char*>(sodium_malloc(cap));
  if (buf == nullptr) {
    ::close(fd);
    return Status::Internal("no secure memory for hash dump " + path + " (" +
                            std::to_string(cap) + " bytes)");
  }
  size_t len = 0;
  Status read_err;
  for (;;) {
    if (len == cap - 1) {
      auto* bigger = static_cast<char*>(sodium_malloc(cap * 2));
      if (bigger == nullptr) {
        read_err = Status::Internal("no secure memory for hash dump " + path + " (" +
                                    std::to_string(cap * 2) + " bytes)");
        break;
      }
      std::memcpy(bigger, buf, len);
      sodium_free(buf);  // zeroes the old copy
      buf = bigger;
      cap *= 2;
    }
    ssize_t n = ::read(fd, buf + len, cap - 1 - len);
    if (n < 0) {
      if (errno == EINTR) continue;
      read_err = Status::FromErrno("reading hash dump " + path, errno);
      break;
    }
    if (n == 0) break;
    len += static_cast<size_t>(n);
  }
  ::close(fd);
  Result<HashDump> r = read_err.ok() ? Parse(std::string_view(buf, len), path, format)
                                     : Result<HashDump>(read_err);
  sodium_free(buf);  // zeroes the raw text
  return r;
}

}  // namespace credsweep
