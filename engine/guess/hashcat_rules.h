// A subset of hashcat's rule language ("Rule-based attack", hashcat.net/wiki), so admins can
// describe word mangling for `[guess] rules_file` in the syntax they already know.
//
// A rules file has one rule per line; a rule is a sequence of operations applied left to right
// to a base word. Blank lines and lines starting with '#' are skipped; spaces between
// operations are ignored (as hashcat does), but the character argument of an operation is
// taken literally ("$ " appends a space). Text is UTF-8; a character argument may be any
// character of the Basic Multilingual Plane ("sa@", "$!", "^Å"). Positions N and lengths M are
// one character 0-9 or A-Z (= 10-35), as in hashcat.
//
// Supported operations (hashcat semantics; a position outside the word leaves it unchanged):
//   :      nothing                        l      lower-case all         u      upper-case all
//   c      capitalise (first upper, rest lower)    C  first lower, rest upper
//   t      toggle case of all             TN     toggle case at N       E      title case
//   r      reverse                        d      duplicate word         f      reflect (word+reverse)
//   pN     append the word N more times   q      duplicate every character
//   {      rotate left                    }      rotate right
//   $X     append X                       ^X     prepend X
//   [      delete first character         ]      delete last character
//   DN     delete at N                    'N     truncate to N characters
//   xNM    keep M characters from N       ONM    delete M characters from N
//   iNX    insert X at N                  oNX    overwrite at N with X
//   sXY    replace every X by Y           @X     delete every X
//   zN     prepend the first char N times ZN     append the last char N times
//   yN     prepend the first N chars      YN     append the last N chars
//   k      swap the first two chars       K      swap the last two chars
//   *NM    swap the chars at N and M
// Case operations work on ASCII and Latin-1 letters (æ/Æ, ø/Ø, å/Å, é/É, …), not only ASCII as
// in hashcat, because the built-in Danish words need "EFTERÅR". Not supported (a clear error):
// rejection rules (< > _ ! / ( ) = % Q), memory rules (X 4 6 M), and + - . , L R e 3.
//
// The built-in default rule set (DefaultRules) is written in this language too.
//
// Failure policy: ParseRules returns kInvalidArgument "FILE:LINE: rule \"…\": what is wrong"
// (rules are not secrets, so the rule is quoted). Apply never fails: a result longer than
// kMaxRuleWordUnits is reported as "no candidate". Thread-safety: Rule is immutable after
// parsing; Apply may run concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/status.h"

namespace credsweep {

// Longest word a rule may produce, in UTF-16 units.
inline constexpr size_t kMaxRuleWordUnits = 64;

struct RuleOp {
  char op = ':';
  uint8_t n = 0;      // position / count argument
  uint8_t m = 0;      // second position / length argument
  char16_t x = 0;     // character argument
  char16_t y = 0;     // second character argument (sXY)
};

struct HashcatRule {
  std::string text;  // as written, for messages
  std::vector<RuleOp> ops;
};

// Parses rules text; `origin` names the file in errors. Returns at least one rule or an error
// ("FILE: no rules" when only comments and blank lines).
[[nodiscard]] Result<std::vector<HashcatRule>> ParseRules(std::string_view text,
                                                          const std::string& origin);

// Applies `rule` to word[0..n) and writes the result to out (capacity kMaxRuleWordUnits).
// Returns the result length, or -1 when it would be longer than kMaxRuleWordUnits.
int ApplyRule(const HashcatRule& rule, const char16_t* word, size_t n, char16_t* out);

// The built-in rule set (README "Guessing"): as written, lower-case, upper-case, and the common
// leetspeak substitutions (a→@, e→3, i→1, o→0, s→$) one at a time and together.
const char* DefaultRulesText();
const std::vector<HashcatRule>& DefaultRules();

// Case mapping used by the case operations (ASCII and Latin-1 letters; others unchanged).
char16_t ToLowerUnit(char16_t c);
char16_t ToUpperUnit(char16_t c);

}  // namespace credsweep
