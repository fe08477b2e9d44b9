#include "engine/guess/candidates.h"

#include <algorithm>
#include <map>
#include <unordered_set>

#include "engine/base/nt_hash.h"
#include "engine/guess/hashcat_rules.h"

namespace credsweep {
namespace {

// Built-in base words (UTF-8), capitalised. Seasons, months and weekdays in Danish and English;
// "common" holds the words password-spraying lists and the Danish public sector's own help-desk
// habits start from (initial passwords "Velkommen1", "Sommer2024", "Kode1234").
constexpr const char* kSeasons[] = {"Forår", "Sommer", "Efterår", "Vinter",
                                    "Spring", "Summer", "Autumn", "Fall", "Winter"};
constexpr const char* kMonths[] = {
    "Januar", "Februar", "Marts", "April", "Maj", "Juni", "Juli", "August", "September",
    "Oktober", "November", "December", "January", "February", "March", "May", "June", "July",
    "October"};
constexpr const char* kWeekdays[] = {"Mandag", "Tirsdag", "Onsdag", "Torsdag", "Fredag",
                                     "Lørdag", "Søndag", "Monday", "Tuesday", "Wednesday",
                                     "Thursday", "Friday", "Saturday", "Sunday"};
constexpr const char* kCommon[] = {
    "Password", "Passw0rd", "Passord", "Kodeord", "Adgangskode", "Kode", "Velkommen", "Welcome",
    "Admin", "Administrator", "Login", "Logon", "Letmein", "Qwerty", "Qwertz", "Asdf",
    "Azerty", "Abc", "Test", "Hej", "Hello", "Changeme", "Skiftmig", "Nyt", "Start",
    "Secret", "Hemmelig", "Danmark", "Denmark", "Kommune", "Bruger", "User", "Guest",
    "Master", "Dragon", "Monkey", "Fodbold", "Football", "Iloveyou", "Sikker", "Sikkerhed",
    "Jul", "Christmas", "Paaske", "Påske", "Easter", "Ferie", "Holiday"};

// Domain labels that name no organisation.
constexpr const char* kGenericLabels[] = {"corp", "ad", "local", "lan", "internal", "intern",
                                          "ds", "dom", "domain", "net", "office", "win",
                                          "windows", "root", "forest", "intra", "priv"};

std::u16string FromUtf8(const char* s) {
  Result<std::u16string> u = Utf8ToUtf16(s);
  return u.ok() ? *u : std::u16string();
}

std::u16string Capitalise(std::u16string w) {
  for (size_t i = 0; i < w.size(); ++i) w[i] = i == 0 ? ToUpperUnit(w[i]) : ToLowerUnit(w[i]);
  return w;
}

void AddWithVariants(std::u16string_view word, WordCategory cat, std::vector<BaseWord>* out) {
  for (std::u16string& v : DanishVariants(word)) out->push_back({std::move(v), cat});
}

template <size_t N>
void AddList(const char* const (&list)[N], WordCategory cat, std::vector<BaseWord>* out) {
  for (const char* w : list) AddWithVariants(FromUtf8(w), cat, out);
}

std::u16string Ascii(const char* s) { return std::u16string(s, s + std::char_traits<char>::length(s)); }

}  // namespace

std::string FamilyName(int family) {
  static constexpr const char* kCategory[] = {"organisation name", "configured word", "season",
                                              "month",             "weekday",
                                              "common password word", "account name"};
  static constexpr const char* kKind[] = {"", " + digits", " + year", " + symbol",
                                          " + digits + symbol", " + year + symbol"};
  if (family < 0 || family >= kFamilies) return "unknown pattern";
  return std::string(kCategory[family / kEndingKinds]) + kKind[family % kEndingKinds];
}

std::vector<std::u16string> DanishVariants(std::u16string_view word) {
  // æ/ø/å as in Danish transliteration (ae, oe, aa) and as plain vowels (a, o, a), because
  // password fields and old systems that refused æøå taught users both.
  struct Sub {
    char16_t from;
    const char16_t* two;
    const char16_t* one;
  };
  static constexpr Sub kSubs[] = {{u'æ', u"ae", u"a"}, {u'ø', u"oe", u"o"}, {u'å', u"aa", u"a"},
                                  {u'Æ', u"Ae", u"A"}, {u'Ø', u"Oe", u"O"}, {u'Å', u"Aa", u"A"}};
  std::u16string two, one;
  bool any = false;
  for (char16_t c : word) {
    const Sub* s = nullptr;
    for (const Sub& x : kSubs) {
      if (x.from == c) s = &x;
    }
    if (s) {
      any = true;
      two += s->two;
      one += s->one;
    } else {
      two += c;
      one += c;
    }
  }
  std::vector<std::u16string> out = {std::u16string(word)};
  if (any) {
    out.push_back(std::move(two));
    out.push_back(std::move(one));
  }
  return out;
}

std::vector<BaseWord> BuiltinBaseWords() {
  std::vector<BaseWord> out;
  AddList(kSeasons, WordCategory::kSeason, &out);
  AddList(kMonths, WordCategory::kMonth, &out);
  AddList(kWeekdays, WordCategory::kWeekday, &out);
  AddList(kCommon, WordCategory::kCommon, &out);
  DedupBaseWords(&out);
  return out;
}

std::vector<Ending> Endings(int year) {
  struct Number {
    std::u16string text;
    bool is_year;
  };
  std::vector<Number> numbers = {{u"", false}};
  for (const char* d : {"1", "12", "123", "1234"}) numbers.push_back({Ascii(d), false});
  for (int y = year - 10; y <= year + 1; ++y) {
    const std::string four = std::to_string(y);
    numbers.push_back({Ascii(four.c_str()), true});
    numbers.push_back({Ascii(four.substr(four.size() - 2).c_str()), true});
  }
  static constexpr const char16_t* kSymbols[] = {u"", u"!", u".", u"#", u"?", u"*"};
  std::vector<Ending> out;
  for (const Number& n : numbers) {
    for (const char16_t* s : kSymbols) {
      const bool sym = *s != 0;
      EndingKind kind = n.text.empty() ? (sym ? EndingKind::kSymbol : EndingKind::kNone)
                        : n.is_year    ? (sym ? EndingKind::kYearSymbol : EndingKind::kYear)
                                       : (sym ? EndingKind::kDigitsSymbol : EndingKind::kDigits);
      std::u16string text = n.text + s;
      const bool username = IsUsernameEnding(text);
      out.push_back({std::move(text), kind, username});
    }
  }
  return out;
}

bool IsUsernameEnding(std::u16string_view e) {
  return e.empty() || e == u"1" || e == u"123" || e == u"!";
}

std::vector<std::u16string> OrganisationNames(const std::vector<std::string>& dns) {
  // Count each DN's DC= suffix (lower-cased labels), pick the most common one.
  std::map<std::vector<std::string>, size_t> suffixes;
  for (const std::string& dn : dns) {
    std::vector<std::string> labels;
    size_t pos = 0;
    while (pos < dn.size()) {
      size_t comma = dn.find(',', pos);
      if (comma == std::string::npos) comma = dn.size();
      std::string rdn = dn.substr(pos, comma - pos);
      pos = comma + 1;
      rdn.erase(0, rdn.find_first_not_of(' '));
      if (rdn.size() > 3 && (rdn[0] == 'D' || rdn[0] == 'd') && (rdn[1] == 'C' || rdn[1] == 'c')) {
        size_t eq = rdn.find('=');
        if (eq == std::string::npos) continue;
        std::string v = rdn.substr(eq + 1);
        v.erase(0, v.find_first_not_of(' '));
        v.erase(v.find_last_not_of(' ') + 1);
        for (char& ch : v) ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
        if (!v.empty()) labels.push_back(v);
      } else {
        labels.clear();  // only the trailing run of DC= labels is the domain
      }
    }
    if (!labels.empty()) ++suffixes[labels];
  }
  const std::vector<std::string>* best = nullptr;
  size_t best_n = 0;
  for (const auto& [labels, n] : suffixes) {
    if (n > best_n) best = &labels, best_n = n;
  }
  std::vector<std::u16string> out;
  if (best == nullptr) return out;
  // Drop the top-level label ("dk") unless it is the only one.
  const size_t usable = best->size() > 1 ? best->size() - 1 : best->size();
  for (size_t i = 0; i < usable; ++i) {
    const std::string& l = (*best)[i];
    if (std::find(std::begin(kGenericLabels), std::end(kGenericLabels), l) !=
        std::end(kGenericLabels)) {
      continue;
    }
    Result<std::u16string> u = Utf8ToUtf16(l);
    if (u.ok()) out.push_back(Capitalise(*u));
  }
  return out;
}

bool AddConfiguredWords(const std::vector<std::string>& words, std::vector<BaseWord>* out,
                        size_t* bad_line) {
  for (size_t i = 0; i < words.size(); ++i) {
    std::string w = words[i];
    if (!w.empty() && w.back() == '\r') w.pop_back();
    w.erase(0, w.find_first_not_of(" \t"));
    w.erase(w.find_last_not_of(" \t") + 1);
    if (w.empty() || w[0] == '#') continue;
    Result<std::u16string> u = Utf8ToUtf16(w);
    if (!u.ok()) {
      *bad_line = i + 1;
      return false;
    }
    // As written and capitalised; the rules add lower/upper case.
    AddWithVariants(*u, WordCategory::kConfigured, out);
    AddWithVariants(Capitalise(*u), WordCategory::kConfigured, out);
  }
  return true;
}

void DedupBaseWords(std::vector<BaseWord>* words) {
  std::unordered_set<std::u16string> seen;
  std::vector<BaseWord> kept;
  kept.reserve(words->size());
  for (BaseWord& w : *words) {
    if (w.text.empty() || !seen.insert(w.text).second) continue;
    kept.push_back(std::move(w));
  }
  *words = std::move(kept);
}

}  // namespace credsweep
