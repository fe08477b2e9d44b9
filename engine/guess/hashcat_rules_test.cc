// hashcat rule parsing and application: each supported operation on hashcat's own examples,
// Latin-1 case mapping, and errors that name FILE:LINE.
#include "engine/guess/hashcat_rules.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/base/nt_hash.h"

namespace credsweep {
namespace {

using ::testing::HasSubstr;

std::u16string U(const std::string& s) { return Utf8ToUtf16(s).value(); }

// Applies one rule line to a word; "<none>" when the result is too long.
std::u16string Mangle(const std::string& rule, const std::string& word) {
  Result<std::vector<HashcatRule>> r = ParseRules(rule, "test.rule");
  EXPECT_TRUE(r.ok()) << r.status().message();
  if (!r.ok()) return u"<parse error>";
  EXPECT_EQ(r->size(), 1u);
  const std::u16string w = U(word);
  char16_t out[kMaxRuleWordUnits];
  const int n = ApplyRule((*r)[0], w.data(), w.size(), out);
  return n < 0 ? u"<none>" : std::u16string(out, static_cast<size_t>(n));
}

// The examples of hashcat.net/wiki/doku.php?id=rule_based_attack, input "p@ssW0rd".
TEST(HashcatRulesTest, EveryOperationMatchesHashcatsExamples) {
  const std::pair<const char*, const char*> cases[] = {
      {":", "p@ssW0rd"},          {"l", "p@ssw0rd"},
      {"u", "P@SSW0RD"},          {"c", "P@ssw0rd"},
      {"C", "p@SSW0RD"},          {"t", "P@SSw0RD"},
      {"T3", "p@sSW0rd"},         {"r", "dr0Wss@p"},
      {"d", "p@ssW0rdp@ssW0rd"},  {"p2", "p@ssW0rdp@ssW0rdp@ssW0rd"},
      {"f", "p@ssW0rddr0Wss@p"},  {"{", "@ssW0rdp"},
      {"}", "dp@ssW0r"},          {"$1", "p@ssW0rd1"},
      {"^1", "1p@ssW0rd"},        {"[", "@ssW0rd"},
      {"]", "p@ssW0r"},           {"D3", "p@sW0rd"},
      {"x04", "p@ss"},            {"O12", "psW0rd"},
      {"i4!", "p@ss!W0rd"},       {"o3$", "p@s$W0rd"},
      {"'6", "p@ssW0"},           {"ss$", "p@$$W0rd"},
      {"@s", "p@W0rd"},           {"z2", "ppp@ssW0rd"},
      {"Z2", "p@ssW0rddd"},       {"q", "pp@@ssssWW00rrdd"},
      {"k", "@pssW0rd"},          {"K", "p@ssW0dr"},
      {"*34", "p@sWs0rd"},        {"y2", "p@p@ssW0rd"},
      {"Y2", "p@ssW0rdrd"},       {"TA", "p@ssW0rd"},  // position 10: outside, unchanged
  };
  for (const auto& [rule, want] : cases) EXPECT_EQ(Mangle(rule, "p@ssW0rd"), U(want)) << rule;
  EXPECT_EQ(Mangle("E", "p@ssW0rd w0rld"), U("P@ssw0rd W0rld"));
}

TEST(HashcatRulesTest, OperationsChainLeftToRightAndSpacesAreIgnored) {
  EXPECT_EQ(Mangle("c $2 $0 $2 $6 $!", "efteraar"), U("Efteraar2026!"));
  EXPECT_EQ(Mangle("sa@ so0 ss$", "Password"), U("P@$$w0rd"));
  EXPECT_EQ(Mangle("$ $x", "a"), U("a x"));  // "$ " appends a space
}

TEST(HashcatRulesTest, CaseOperationsHandleDanishLetters) {
  EXPECT_EQ(Mangle("u", "Efterår"), U("EFTERÅR"));
  EXPECT_EQ(Mangle("l", "ÆBLE-ØL-ÅÅ"), U("æble-øl-åå"));
  EXPECT_EQ(Mangle("c", "øSTERBRO"), U("Østerbro"));
  EXPECT_EQ(Mangle("$å", "Forår"), U("Forårå"));
}

TEST(HashcatRulesTest, TooLongResultsAreNoCandidate) {
  EXPECT_EQ(Mangle("p9", "abcdefghij"), u"<none>");  // 100 characters
  EXPECT_EQ(Mangle("d", std::string(40, 'a')), u"<none>");
}

TEST(HashcatRulesTest, CommentsAndBlankLinesAreSkipped) {
  Result<std::vector<HashcatRule>> r = ParseRules("# mine\n\n:\r\nu\n   \n$1 $2\n", "x.rule");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 4u);  // ":", "u", a line of blanks (= ":"), "$1 $2"
  EXPECT_EQ((*r)[1].text, "u");
  EXPECT_EQ((*r)[3].ops.size(), 2u);
}

TEST(HashcatRulesTest, BadRulesAreErrorsWithFileAndLine) {
  struct Case {
    const char* text;
    const char* want;
  };
  const Case cases[] = {
      {":\nu\nsa\n", "my.rule:3: rule \"sa\": operation 's' at column 1 needs 2 argument(s)"},
      {"# c\n<5\n", "my.rule:2: rule \"<5\": rejection rules are not supported '<' at column 1"},
      {"Tx\n", "my.rule:1: rule \"Tx\": operation 'T' at column 1: position 'x' is not 0-9 or A-Z"},
      {"l w\n", "my.rule:1: rule \"l w\": unknown operation 'w' at column 3"},
      {"$1 X012\n", "memory rules are not supported 'X' at column 4"},
      {"+1\n", "this hashcat operation is not supported '+'"},
      {"\xff\n", "my.rule:1: rule \"\xff\": invalid UTF-8 at byte 1"},
      {"# nothing\n\n", "my.rule: no rules"},
  };
  for (const Case& c : cases) {
    Result<std::vector<HashcatRule>> r = ParseRules(c.text, "my.rule");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr(c.want));
  }
}

TEST(HashcatRulesTest, TheBuiltInRuleSetParsesAndMakesLeetspeak) {
  const std::vector<HashcatRule>& rules = DefaultRules();
  ASSERT_EQ(rules.size(), 16u);
  const std::u16string w = u"Password";
  std::vector<std::u16string> made;
  for (const HashcatRule& rule : rules) {
    char16_t out[kMaxRuleWordUnits];
    const int n = ApplyRule(rule, w.data(), w.size(), out);
    ASSERT_GT(n, 0);
    made.emplace_back(out, static_cast<size_t>(n));
  }
  for (const char16_t* want : {u"Password", u"password", u"PASSWORD", u"Passw0rd", u"P@ssword",
                               u"Pa$$word", u"P@$$w0rd", u"p@ssword"}) {
    EXPECT_NE(std::find(made.begin(), made.end(), want), made.end());
  }
}

}  // namespace
}  // namespace credsweep
