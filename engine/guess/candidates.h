// What the guessing engine tries: base words, the endings appended to them, and the names of
// the pattern families a finding reports.
//
// A candidate is  rule(base word) + ending:
//   base words  built-in Danish and English seasons, months and weekdays, each also with æ/ø/å
//               written as ae/oe/aa and as a/o/a ("Efterår", "Efteraar", "Efterar"); common
//               base words (Password, Passw0rd, Velkommen, Welcome, Kode, Admin, …); the
//               organisation's name from the directory's domain (DC=solbjerg,DC=dk ->
//               "Solbjerg"); and [guess] words / words_file. Built-ins are capitalised.
//   rules       hashcat rules (hashcat_rules.h): the built-in set or [guess] rules_file.
//   endings     nothing; a digit run 1 12 123 1234; a year current-10 … current+1 as four
//               and as two digits; each of those alone or followed by one of ! . # ? * —
//               plus each symbol alone. 29 number parts x 6 symbol parts = 174 endings.
// Per account the engine also tries the account name (as is, lower, Capitalised, UPPER) with
// every ending (guesser.h).
//
// A family names WHAT KIND of pattern matched, never the candidate: the base word's category
// plus the ending's kind, e.g. "season + year + symbol", "organisation name + digits",
// "account name + year", "common password word". Categories and kinds are closed enums so the
// family of a hit is two small numbers on the hot path.
//
// Thread-safety: everything here is pure or immutable after construction.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace credsweep {

// Base-word categories, in the order a duplicate word keeps (the first category wins).
enum class WordCategory : uint8_t {
  kOrganisation,  // the organisation's name from the domain
  kConfigured,    // [guess] words / words_file
  kSeason,
  kMonth,
  kWeekday,
  kCommon,        // common password base words
  kAccountName,   // the account's own name (per account, guesser.h)
};
inline constexpr int kWordCategories = 7;

// What was appended.
enum class EndingKind : uint8_t {
  kNone,
  kDigits,         // 1 12 123 1234
  kYear,           // 2026, 26
  kSymbol,         // ! . # ? *
  kDigitsSymbol,   // 123!
  kYearSymbol,     // 2026!
};
inline constexpr int kEndingKinds = 6;

struct BaseWord {
  std::u16string text;
  WordCategory category;
};

struct Ending {
  std::u16string text;
  EndingKind kind;
  bool username = false;  // IsUsernameEnding(text), precomputed for the hot path
};

// A family id: category * kEndingKinds + kind. Small, dense, ordered by category first.
inline int FamilyId(WordCategory c, EndingKind k) {
  return static_cast<int>(c) * kEndingKinds + static_cast<int>(k);
}
inline constexpr int kFamilies = kWordCategories * kEndingKinds;
// "season + year + symbol", "organisation name", "account name + digits", …
std::string FamilyName(int family);

// The built-in base words with their æøå variants (deduplicated, categories as above).
std::vector<BaseWord> BuiltinBaseWords();

// The three spellings of a word with æ, ø, å (either case): as written, with ae/oe/aa, and with
// a/o/a. A word without them gives itself only.
std::vector<std::u16string> DanishVariants(std::u16string_view word);

// Every ending for `year` (the current UTC year), "" first. See above.
std::vector<Ending> Endings(int year);
// True for the endings of password-is-username: "", "1", "123", "!".
bool IsUsernameEnding(std::u16string_view ending);

// The organisation's name(s) from directory DNs: the DC= labels of the domain, without the
// top-level label and without generic ones (corp, ad, local, internal, …), capitalised.
// "CN=x,OU=y,DC=solbjerg,DC=dk" -> {"Solbjerg"}; "DC=ad,DC=solbjerg,DC=dk" -> {"Solbjerg"}.
// The domain is the DC= suffix most of `dns` share. Empty when none is found.
std::vector<std::u16string> OrganisationNames(const std::vector<std::string>& dns);

// Adds `words` (UTF-8; blanks trimmed; empty lines and lines starting with '#' skipped) as
// kConfigured base words, each with its æøå variants and capitalised form.
// Returns false when a word is not valid UTF-8 (the caller names file:line via *bad_line,
// 1-based within `words`).
bool AddConfiguredWords(const std::vector<std::string>& words, std::vector<BaseWord>* out,
                        size_t* bad_line);

// Removes later duplicates (same text), keeping the first occurrence's category.
void DedupBaseWords(std::vector<BaseWord>* words);

}  // namespace credsweep
