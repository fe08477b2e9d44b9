#include "engine/guess/guesser.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>
#include <thread>
#include <unordered_set>

#include "engine/base/file_util.h"
#include "engine/base/secure_array.h"
#include "engine/guess/nt_hash_lanes.h"

namespace credsweep {
namespace {

// One hash of the lookup table. 24 bytes; the table holds targets' current + history hashes.
struct Entry {
  NtHash hash;
  uint32_t target;
  uint32_t history;  // 0 = current password, 1 = a previous one
};

uint32_t Word0(const NtHash& h) { return HashWord0(h); }

// The sorted hash table with a bucket directory on the top bits of word A (see guesser.h).
class HashTable {
 public:
  Status Build(std::span<const GuessTarget> targets) {
    size_t n = 0;
    for (const GuessTarget& t : targets) n += (t.current != nullptr) + t.history.size();
    entries_ = SecureArray<Entry>(n);
    if (!entries_.ok()) return Status::Internal("cannot allocate secure memory for the guessing table");
    size_t k = 0;
    for (size_t i = 0; i < targets.size(); ++i) {
      if (targets[i].current) entries_[k++] = {*targets[i].current, static_cast<uint32_t>(i), 0};
      for (const NtHash* h : targets[i].history) entries_[k++] = {*h, static_cast<uint32_t>(i), 1};
    }
    std::sort(entries_.data(), entries_.data() + n, [](const Entry& a, const Entry& b) {
      const uint32_t wa = Word0(a.hash), wb = Word0(b.hash);
      return wa != wb ? wa < wb : a.hash < b.hash;
    });
    bits_ = 1;
    while ((size_t{1} << bits_) < n && bits_ < 24) ++bits_;
    dir_.assign((size_t{1} << bits_) + 1, 0);
    size_t e = 0;
    for (size_t b = 0; b < (size_t{1} << bits_); ++b) {
      dir_[b] = static_cast<uint32_t>(e);
      while (e < n && Bucket(Word0(entries_[e].hash)) == b) ++e;
    }
    dir_.back() = static_cast<uint32_t>(n);
    return Status::Ok();
  }
  size_t Bucket(uint32_t w0) const { return w0 >> (32 - bits_); }
  // Entries whose word A equals w0 (then compare in full).
  std::span<const Entry> Candidates(uint32_t w0) const {
    const size_t b = Bucket(w0);
    const Entry* p = entries_.data() + dir_[b];
    const Entry* end = entries_.data() + dir_[b + 1];
    while (p < end && Word0(p->hash) < w0) ++p;
    const Entry* q = p;
    while (q < end && Word0(q->hash) == w0) ++q;
    return {p, static_cast<size_t>(q - p)};
  }
  bool empty() const { return entries_.size() == 0; }

 private:
  SecureArray<Entry> entries_;
  std::vector<uint32_t> dir_;  // bucket starts: offsets only, no hash material
  int bits_ = 1;
};

enum class HitKind : uint8_t { kCurrent, kHistory, kUsername, kComputerDefault };
struct Hit {
  uint32_t target;
  int16_t family;
  HitKind kind;
};

constexpr size_t kAccountsPerUnit = 64;

// One worker's buffers; candidate material lives only in secure memory.
class Worker {
 public:
  Worker(const GuessPlan& plan, std::span<const GuessTarget> targets, const HashTable& table)
      : plan_(plan), targets_(targets), table_(table), kernel_(Md4Lanes()),
        in_(1), digest_(1), words_(std::max<size_t>(plan.rules.size(), 4) * kMaxRuleWordUnits),
        scratch_(4 * kMaxLaneUnits), template_(16) {}
  bool ok() const {
    return in_.ok() && digest_.ok() && words_.ok() && scratch_.ok() && template_.ok();
  }

  void GlobalWord(const BaseWord& w);
  void Account(uint32_t t);
  std::vector<Hit>& hits() { return hits_; }
  uint64_t hashed() const { return hashed_; }

 private:
  // Lane metadata: the family of a global candidate, or (form is simple, ending index) for an
  // account-name candidate.
  struct Meta {
    int16_t family;
    bool simple_form;
    bool username_ending;
  };
  // A candidate is prefix + ending, and one prefix goes with ~174 endings: the prefix is packed
  // once into a template block, then each candidate is a 64-byte copy plus the ending's few
  // units (this halved the per-candidate cost against packing from scratch with memset and
  // two variable-length memcpy calls).
  void SetPrefix(const char16_t* w, size_t n) {
    auto* p = reinterpret_cast<unsigned char*>(template_.data());
    std::memset(p, 0, 64);
    std::memcpy(p, w, 2 * n);
    prefix_n_ = n;
  }
  // REQUIRES: prefix length + e.text.size() <= kMaxLaneUnits.
  void AddEnding(const Ending& e, Meta m) {
    uint32_t* block = in_[0].lane[lanes_];
    std::memcpy(block, template_.data(), 64);
    unsigned char* q = reinterpret_cast<unsigned char*>(block) + 2 * prefix_n_;
    for (char16_t u : e.text) {  // UTF-16LE
      q[0] = static_cast<unsigned char>(u);
      q[1] = static_cast<unsigned char>(u >> 8);
      q += 2;
    }
    *q = 0x80;  // MD4 padding; the length field below is in bits (RFC 1320 3.1-3.2)
    block[14] = static_cast<uint32_t>((prefix_n_ + e.text.size()) * 16);
    meta_[lanes_] = m;
    if (++lanes_ == kMd4Lanes) Flush();
  }
  void Flush() {
    if (lanes_ == 0) return;
    kernel_(in_[0], &digest_[0]);
    hashed_ += lanes_;
    if (account_ == kNoAccount) {
      FlushGlobal();
    } else {
      FlushAccount();
    }
    lanes_ = 0;
  }
  void FlushGlobal() {
    for (size_t l = 0; l < lanes_; ++l) {
      std::span<const Entry> c = table_.Candidates(digest_[0].h[0][l]);
      if (c.empty()) continue;
      const NtHash h = LaneDigest(digest_[0], l);
      for (const Entry& e : c) {
        if (e.hash != h) continue;
        hits_.push_back({e.target, meta_[l].family, e.history ? HitKind::kHistory : HitKind::kCurrent});
      }
    }
  }
  void FlushAccount() {
    const GuessTarget& t = targets_[account_];
    for (size_t l = 0; l < lanes_; ++l) {
      const uint32_t w0 = digest_[0].h[0][l];
      for (size_t j = 0; j < own_n_; ++j) {
        if (own_w0_[j] != w0 || LaneDigest(digest_[0], l) != *own_[j]) continue;
        const bool current = own_[j] == t.current;
        HitKind kind = current ? HitKind::kCurrent : HitKind::kHistory;
        if (current && meta_[l].simple_form && meta_[l].username_ending) kind = HitKind::kUsername;
        hits_.push_back({account_, meta_[l].family, kind});
      }
    }
  }
  void ComputerDefault(uint32_t t, std::u16string_view lower_name);

  static constexpr uint32_t kNoAccount = UINT32_MAX;
  const GuessPlan& plan_;
  std::span<const GuessTarget> targets_;
  const HashTable& table_;
  Md4LanesFn kernel_;
  SecureArray<Md4LaneInput> in_;
  SecureArray<Md4LaneDigest> digest_;
  SecureArray<char16_t> words_;    // mangled words of one base word, kMaxRuleWordUnits apart
  SecureArray<char16_t> scratch_;  // the 4 account-name forms, kMaxLaneUnits apart
  SecureArray<uint32_t> template_;  // the packed prefix (SetPrefix)
  size_t prefix_n_ = 0;
  Meta meta_[kMd4Lanes] = {};
  size_t lanes_ = 0;
  uint32_t account_ = kNoAccount;
  const NtHash* own_[64] = {};
  uint32_t own_w0_[64] = {};
  size_t own_n_ = 0;
  std::vector<Hit> hits_;
  uint64_t hashed_ = 0;
};

void Worker::GlobalWord(const BaseWord& w) {
  account_ = kNoAccount;
  // Apply every rule; skip duplicates within this word ("l" and ":" agree on "kode").
  std::vector<std::u16string_view> seen;
  seen.reserve(plan_.rules.size());
  for (size_t r = 0; r < plan_.rules.size(); ++r) {
    char16_t* out = words_.data() + r * kMaxRuleWordUnits;
    const int n = ApplyRule(plan_.rules[r], w.text.data(), w.text.size(), out);
    if (n <= 0 || static_cast<size_t>(n) > kMaxLaneUnits) continue;
    const std::u16string_view m(out, static_cast<size_t>(n));
    if (std::find(seen.begin(), seen.end(), m) != seen.end()) continue;
    seen.push_back(m);
    SetPrefix(m.data(), m.size());
    for (const Ending& e : plan_.endings) {
      if (m.size() + e.text.size() > kMaxLaneUnits) continue;
      AddEnding(e, {static_cast<int16_t>(FamilyId(w.category, e.kind)), false, false});
    }
  }
  Flush();
}

void Worker::ComputerDefault(uint32_t t, std::u16string_view lower_name) {
  // Pre-created ("pre-Windows 2000") computers get the lower-case name without '$' as their
  // password, cut to 14 characters (the LM-era limit; TrustedSec, "Diving into pre-created
  // computer accounts", 2022). Try both forms.
  for (size_t len : {lower_name.size(), std::min<size_t>(lower_name.size(), 14)}) {
    if (len == 0) continue;
    if (Md4OfUtf16(lower_name.substr(0, len)) == *targets_[t].current) {
      hits_.push_back({t, -1, HitKind::kComputerDefault});
      return;
    }
    if (len == lower_name.size() && len <= 14) return;  // the cut form is the same word
  }
}

void Worker::Account(uint32_t t) {
  const GuessTarget& target = targets_[t];
  if (target.current == nullptr && target.history.empty()) return;
  Result<std::u16string> name16 = Utf8ToUtf16(target.name);
  if (!name16.ok()) return;
  std::u16string_view name = *name16;
  if (!name.empty() && name.back() == u'$') name.remove_suffix(1);
  if (name.empty() || name.size() > kMaxLaneUnits) return;
  // Forms: as is, lower, Capitalised (password-is-username), UPPER (account-name family only).
  const size_t n = name.size();
  char16_t* form[4];
  for (int f = 0; f < 4; ++f) form[f] = scratch_.data() + f * kMaxLaneUnits;
  for (size_t i = 0; i < n; ++i) {
    form[0][i] = name[i];
    form[1][i] = ToLowerUnit(name[i]);
    form[2][i] = i == 0 ? ToUpperUnit(name[i]) : ToLowerUnit(name[i]);
    form[3][i] = ToUpperUnit(name[i]);
  }
  if (target.is_computer) {
    if (plan_.computer_defaults && target.current) {
      ComputerDefault(t, std::u16string_view(form[1], n));
    }
    return;  // a computer's own password is random; names are not tried against it
  }
  account_ = t;
  own_n_ = 0;
  if (target.current) own_[own_n_++] = target.current;
  for (const NtHash* h : target.history) {
    if (own_n_ == std::size(own_)) break;
    own_[own_n_++] = h;
  }
  for (size_t j = 0; j < own_n_; ++j) own_w0_[j] = Word0(*own_[j]);
  for (int f = 0; f < 4; ++f) {
    bool dup = false;
    for (int g = 0; g < f; ++g) dup = dup || std::equal(form[f], form[f] + n, form[g]);
    if (dup) continue;
    SetPrefix(form[f], n);
    for (const Ending& e : plan_.name_endings) {
      if (n + e.text.size() > kMaxLaneUnits) continue;
      AddEnding(e, {static_cast<int16_t>(FamilyId(WordCategory::kAccountName, e.kind)), f < 3,
                    e.username});
    }
  }
  Flush();
  account_ = kNoAccount;
}

}  // namespace

Result<GuessPlan> PlanFromConfig(const Config& cfg, const std::vector<std::string>& dns, int year,
                                 bool global, bool username, bool computers) {
  GuessPlan plan;
  plan.threads = static_cast<unsigned>(cfg.guess.threads);
  plan.computer_defaults = computers;
  plan.endings = Endings(year);
  if (global) {
    plan.name_endings = plan.endings;
  } else if (username) {
    for (const Ending& e : plan.endings) {
      if (e.username) plan.name_endings.push_back(e);
    }
  }
  if (!global) return plan;  // no global words or rules needed

  for (std::u16string& org : OrganisationNames(dns)) {
    for (std::u16string& v : DanishVariants(org)) {
      plan.words.push_back({std::move(v), WordCategory::kOrganisation});
    }
  }
  size_t bad = 0;
  if (!AddConfiguredWords(cfg.guess.words, &plan.words, &bad)) {
    return Status::InvalidArgument(cfg.origin + ":" + std::to_string(cfg.LineOf("[guess] words")) +
                                   ": [guess] words: entry " + std::to_string(bad) +
                                   " is not valid UTF-8");
  }
  if (!cfg.guess.words_file.empty()) {
    Result<std::string> text = ReadFile(cfg.guess.words_file);
    if (!text.ok()) {
      return Status::InvalidArgument(cfg.origin + ": [guess] words_file: " +
                                     text.status().message());
    }
    std::vector<std::string> lines;
    size_t pos = 0;
    while (pos < text->size()) {
      size_t end = text->find('\n', pos);
      if (end == std::string::npos) end = text->size();
      lines.push_back(text->substr(pos, end - pos));
      pos = end + 1;
    }
    if (!AddConfiguredWords(lines, &plan.words, &bad)) {
      return Status::InvalidArgument(cfg.guess.words_file + ":" + std::to_string(bad) +
                                     ": not valid UTF-8");
    }
  }
  std::vector<BaseWord> builtin = BuiltinBaseWords();
  plan.words.insert(plan.words.end(), builtin.begin(), builtin.end());
  DedupBaseWords(&plan.words);

  if (cfg.guess.rules_file.empty()) {
    plan.rules = DefaultRules();
  } else {
    Result<std::string> text = ReadFile(cfg.guess.rules_file);
    if (!text.ok()) {
      return Status::InvalidArgument(cfg.origin + ": [guess] rules_file: " +
                                     text.status().message());
    }
    CS_ASSIGN_OR_RETURN(plan.rules, ParseRules(*text, cfg.guess.rules_file));
  }
  return plan;
}

Result<std::vector<GuessResult>> GuessPasswords(std::span<const GuessTarget> targets,
                                                const GuessPlan& plan, GuessStats* stats) {
  std::vector<GuessResult> results(targets.size());
  HashTable table;
  CS_RETURN_IF_ERROR(table.Build(targets));
  if (table.empty()) return results;

  const size_t global_units = plan.words.size();
  const size_t account_units = (targets.size() + kAccountsPerUnit - 1) / kAccountsPerUnit;
  const size_t units = global_units + account_units;
  unsigned threads = plan.threads ? plan.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<size_t>(threads, std::max<size_t>(units, 1)));

  std::vector<std::unique_ptr<Worker>> workers;
  for (unsigned i = 0; i < threads; ++i) {
    workers.push_back(std::make_unique<Worker>(plan, targets, table));
    if (!workers.back()->ok()) {
      return Status::Internal("cannot allocate secure memory for password guessing");
    }
  }
  std::atomic<size_t> next{0};
  auto run = [&](Worker* w) {
    for (size_t u; (u = next.fetch_add(1, std::memory_order_relaxed)) < units;) {
      if (u < global_units) {
        w->GlobalWord(plan.words[u]);
      } else {
        const size_t first = (u - global_units) * kAccountsPerUnit;
        const size_t last = std::min(targets.size(), first + kAccountsPerUnit);
        for (size_t t = first; t < last; ++t) w->Account(static_cast<uint32_t>(t));
      }
    }
  };
  {
    std::vector<std::jthread> pool;
    for (unsigned i = 1; i < threads; ++i) pool.emplace_back(run, workers[i].get());
    run(workers[0].get());
  }  // joins

  uint64_t hashed = 0;
  for (const auto& w : workers) {
    hashed += w->hashed();
    for (const Hit& h : w->hits()) {
      GuessResult& r = results[h.target];
      switch (h.kind) {
        case HitKind::kUsername:
          r.password_is_username = true;
          [[fallthrough]];
        case HitKind::kCurrent:
          if (r.family < 0 || h.family < r.family) r.family = h.family;
          break;
        case HitKind::kHistory:
          r.history_families.push_back(h.family);
          break;
        case HitKind::kComputerDefault:
          r.default_computer_password = true;
          break;
      }
    }
  }
  for (GuessResult& r : results) {
    std::sort(r.history_families.begin(), r.history_families.end());
    r.history_families.erase(std::unique(r.history_families.begin(), r.history_families.end()),
                             r.history_families.end());
  }
  if (stats) {
    stats->candidates = hashed;
    stats->threads = threads;
    stats->kernel = Md4LanesName();
  }
  return results;
}

}  // namespace credsweep
