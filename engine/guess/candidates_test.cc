// Base words, Danish spellings, endings, organisation names and family names.
#include "engine/guess/candidates.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

namespace credsweep {
namespace {

using ::testing::ElementsAre;

bool HasWord(const std::vector<BaseWord>& words, const std::u16string& w, WordCategory c) {
  return std::any_of(words.begin(), words.end(),
                     [&](const BaseWord& b) { return b.text == w && b.category == c; });
}

TEST(CandidatesTest, DanishWordsComeInThreeSpellings) {
  EXPECT_THAT(DanishVariants(u"Efterår"), ElementsAre(u"Efterår", u"Efteraar", u"Efterar"));
  EXPECT_THAT(DanishVariants(u"Lørdag"), ElementsAre(u"Lørdag", u"Loerdag", u"Lordag"));
  EXPECT_THAT(DanishVariants(u"Ærø"), ElementsAre(u"Ærø", u"Aeroe", u"Aro"));
  EXPECT_THAT(DanishVariants(u"Sommer"), ElementsAre(u"Sommer"));
}

TEST(CandidatesTest, BuiltInWordsCoverSeasonsMonthsWeekdaysAndCommonWords) {
  const std::vector<BaseWord> w = BuiltinBaseWords();
  EXPECT_TRUE(HasWord(w, u"Efteraar", WordCategory::kSeason));
  EXPECT_TRUE(HasWord(w, u"Efterar", WordCategory::kSeason));
  EXPECT_TRUE(HasWord(w, u"Forår", WordCategory::kSeason));
  EXPECT_TRUE(HasWord(w, u"Summer", WordCategory::kSeason));
  EXPECT_TRUE(HasWord(w, u"Januar", WordCategory::kMonth));
  EXPECT_TRUE(HasWord(w, u"October", WordCategory::kMonth));
  EXPECT_TRUE(HasWord(w, u"Soendag", WordCategory::kWeekday));
  EXPECT_TRUE(HasWord(w, u"Friday", WordCategory::kWeekday));
  EXPECT_TRUE(HasWord(w, u"Velkommen", WordCategory::kCommon));
  EXPECT_TRUE(HasWord(w, u"Passw0rd", WordCategory::kCommon));
  // April is a Danish and an English month: listed once.
  EXPECT_EQ(std::count_if(w.begin(), w.end(), [](const BaseWord& b) { return b.text == u"April"; }), 1);
}

TEST(CandidatesTest, EndingsAreNumbersTimesSymbols) {
  const std::vector<Ending> e = Endings(2026);
  ASSERT_EQ(e.size(), 174u);  // (1 + 4 digit runs + 12 years x 2 forms) x (1 + 5 symbols)
  EXPECT_EQ(e[0].text, u"");
  EXPECT_EQ(e[0].kind, EndingKind::kNone);
  auto kind_of = [&](const std::u16string& t) {
    auto it = std::find_if(e.begin(), e.end(), [&](const Ending& x) { return x.text == t; });
    return it == e.end() ? -1 : static_cast<int>(it->kind);
  };
  EXPECT_EQ(kind_of(u"2026!"), static_cast<int>(EndingKind::kYearSymbol));
  EXPECT_EQ(kind_of(u"2016"), static_cast<int>(EndingKind::kYear));
  EXPECT_EQ(kind_of(u"27"), static_cast<int>(EndingKind::kYear));
  EXPECT_EQ(kind_of(u"1234"), static_cast<int>(EndingKind::kDigits));
  EXPECT_EQ(kind_of(u"123*"), static_cast<int>(EndingKind::kDigitsSymbol));
  EXPECT_EQ(kind_of(u"?"), static_cast<int>(EndingKind::kSymbol));
  EXPECT_EQ(kind_of(u"2015"), -1);  // current - 11
  EXPECT_EQ(kind_of(u"2028"), -1);  // current + 2
  std::vector<std::u16string> username;
  for (const Ending& x : e) {
    if (x.username) username.push_back(x.text);
  }
  EXPECT_THAT(username, ElementsAre(u"", u"!", u"1", u"123"));
}

TEST(CandidatesTest, OrganisationNameComesFromTheDomain) {
  EXPECT_THAT(OrganisationNames({"CN=a,OU=Staff,DC=solbjerg,DC=dk",
                                 "CN=b,OU=Staff,DC=solbjerg,DC=dk"}),
              ElementsAre(u"Solbjerg"));
  EXPECT_THAT(OrganisationNames({"cn=x,dc=ad,dc=solbjerg,dc=dk"}), ElementsAre(u"Solbjerg"));
  EXPECT_THAT(OrganisationNames({"CN=x,DC=corp,DC=example,DC=test"}), ElementsAre(u"Example"));
  // The domain most DNs share wins; DC= labels inside the DN (not trailing) do not count.
  EXPECT_THAT(OrganisationNames({"CN=x,DC=one,DC=dk", "CN=y,DC=two,DC=dk", "CN=z,DC=two,DC=dk",
                                 "DC=zz,CN=w,DC=two,DC=dk"}),
              ElementsAre(u"Two"));
  EXPECT_TRUE(OrganisationNames({"uid=x,ou=people"}).empty());
}

TEST(CandidatesTest, ConfiguredWordsAreTrimmedCapitalisedAndChecked) {
  std::vector<BaseWord> w;
  size_t bad = 0;
  ASSERT_TRUE(AddConfiguredWords({"# comment", "  rådhus \r", "", "Borgerservice"}, &w, &bad));
  EXPECT_TRUE(HasWord(w, u"rådhus", WordCategory::kConfigured));
  EXPECT_TRUE(HasWord(w, u"Rådhus", WordCategory::kConfigured));
  EXPECT_TRUE(HasWord(w, u"Raadhus", WordCategory::kConfigured));
  EXPECT_TRUE(HasWord(w, u"Borgerservice", WordCategory::kConfigured));
  EXPECT_FALSE(AddConfiguredWords({"ok", "bad\xc3"}, &w, &bad));
  EXPECT_EQ(bad, 2u);
}

TEST(CandidatesTest, FamiliesNameThePatternNotTheWord) {
  EXPECT_EQ(FamilyName(FamilyId(WordCategory::kSeason, EndingKind::kYearSymbol)),
            "season + year + symbol");
  EXPECT_EQ(FamilyName(FamilyId(WordCategory::kOrganisation, EndingKind::kDigits)),
            "organisation name + digits");
  EXPECT_EQ(FamilyName(FamilyId(WordCategory::kAccountName, EndingKind::kYear)),
            "account name + year");
  EXPECT_EQ(FamilyName(FamilyId(WordCategory::kCommon, EndingKind::kNone)),
            "common password word");
  EXPECT_EQ(FamilyName(-1), "unknown pattern");
}

}  // namespace
}  // namespace credsweep
