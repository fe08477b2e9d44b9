// The guessing engine on plain targets: which passwords it finds, under which family, and
// which it must not find. Year 2026 throughout (endings 2016-2027).
#include "engine/guess/guesser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>

#include "engine/base/file_util.h"
#include "engine/base/test_temp_dir.h"

namespace credsweep {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int kYear = 2026;

class Targets {
 public:
  size_t Add(const std::string& name, const std::string& password, bool computer = false,
             std::vector<std::string> history = {}) {
    GuessTarget t;
    t.name = name;
    t.is_computer = computer;
    if (!password.empty()) t.current = Hash(password);
    for (const std::string& h : history) t.history.push_back(Hash(h));
    list.push_back(std::move(t));
    return list.size() - 1;
  }
  std::vector<GuessTarget> list;

 private:
  const NtHash* Hash(const std::string& pw) {
    hashes_.push_back(NtHashOfUtf8(pw).value());
    return &hashes_.back();
  }
  std::deque<NtHash> hashes_;
};

Config TestConfig() {
  Config cfg;
  cfg.origin = "test.toml";
  return cfg;
}

std::vector<GuessResult> Guess(const Targets& t, const Config& cfg = TestConfig(),
                               unsigned threads = 2) {
  std::vector<std::string> dns;
  for (const GuessTarget& x : t.list) dns.push_back("CN=" + x.name + ",OU=Staff,DC=solbjerg,DC=dk");
  Result<GuessPlan> plan = PlanFromConfig(cfg, dns, kYear, true, true, true);
  EXPECT_TRUE(plan.ok()) << plan.status().message();
  plan->threads = threads;
  Result<std::vector<GuessResult>> r = GuessPasswords(t.list, *plan);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return *r;
}

std::string Family(const GuessResult& r) { return r.family < 0 ? "-" : FamilyName(r.family); }

TEST(GuesserTest, FindsTheOrganisationsOwnPatterns) {
  Targets t;
  const size_t autumn = t.Add("anna", "Efteraar2026!");
  const size_t autumn_aa = t.Add("bo", "EFTERÅR25");
  const size_t org = t.Add("carl", "Solbjerg123");
  const size_t welcome = t.Add("dora", "Velkommen1");
  const size_t leet = t.Add("emil", "P@$$w0rd");
  const size_t summer = t.Add("finn", "summer2020.");
  const size_t month = t.Add("gry", "Januar24");
  const size_t strong = t.Add("hans", "Tavle-Kridt-Skolegaard-7");
  const size_t too_old = t.Add("ida", "Sommer2015");   // year outside current-10 … current+1
  const size_t symbol_first = t.Add("jens", "!Sommer2026");  // not a built-in shape
  std::vector<GuessResult> r = Guess(t);
  EXPECT_EQ(Family(r[autumn]), "season + year + symbol");
  EXPECT_EQ(Family(r[autumn_aa]), "season + year");
  EXPECT_EQ(Family(r[org]), "organisation name + digits");
  EXPECT_EQ(Family(r[welcome]), "common password word + digits");
  EXPECT_EQ(Family(r[leet]), "common password word");
  EXPECT_EQ(Family(r[summer]), "season + year + symbol");
  EXPECT_EQ(Family(r[month]), "month + year");
  EXPECT_EQ(Family(r[strong]), "-");
  EXPECT_EQ(Family(r[too_old]), "-");
  EXPECT_EQ(Family(r[symbol_first]), "-");
  for (const GuessResult& x : r) {
    EXPECT_FALSE(x.password_is_username);
    EXPECT_FALSE(x.default_computer_password);
    EXPECT_TRUE(x.history_families.empty());
  }
}

TEST(GuesserTest, AccountNamesAreTriedAgainstTheirOwnAccountOnly) {
  Targets t;
  const size_t plain = t.Add("jdoe", "jdoe");
  const size_t cap123 = t.Add("mhansen", "Mhansen123");
  const size_t bang = t.Add("Kpou", "kpou!");
  const size_t upper = t.Add("lkho", "LKHO");           // UPPER is not a password-is-username form
  const size_t year = t.Add("pjen", "pjen2026");        // a year is not a simple ending
  const size_t other = t.Add("sjoh", "jdoe123");        // someone else's name: not "account name"
  std::vector<GuessResult> r = Guess(t);
  EXPECT_TRUE(r[plain].password_is_username);
  EXPECT_TRUE(r[cap123].password_is_username);
  EXPECT_TRUE(r[bang].password_is_username);
  EXPECT_FALSE(r[upper].password_is_username);
  EXPECT_EQ(Family(r[upper]), "account name");
  EXPECT_FALSE(r[year].password_is_username);
  EXPECT_EQ(Family(r[year]), "account name + year");
  EXPECT_FALSE(r[other].password_is_username);
  EXPECT_EQ(Family(r[other]), "-");
}

TEST(GuesserTest, PreviousPasswordsAreCheckedWhenGiven) {
  Targets t;
  const size_t a = t.Add("anna", "Tavle-Kridt-Skolegaard-7", false,
                         {"Sommer2020", "Solbjerg1234", "Xq9!long-unique"});
  const size_t b = t.Add("bo", "Tavle-Kridt-Skolegaard-8", false, {"bo123"});
  std::vector<GuessResult> r = Guess(t);
  EXPECT_EQ(r[a].family, -1);
  ASSERT_EQ(r[a].history_families.size(), 2u);
  EXPECT_EQ(FamilyName(r[a].history_families[0]), "organisation name + digits");
  EXPECT_EQ(FamilyName(r[a].history_families[1]), "season + year");
  // A previous password equal to the name is a history hit, never password-is-username.
  EXPECT_FALSE(r[b].password_is_username);
  EXPECT_THAT(r[b].history_families, ElementsAre(FamilyId(WordCategory::kAccountName, EndingKind::kDigits)));
}

TEST(GuesserTest, PreCreatedComputersHaveTheirNameAsPassword) {
  Targets t;
  const size_t ws = t.Add("WS01$", "ws01", true);
  const size_t longname = t.Add("KONTOR-PRINTER-07$", "kontor-printer", true);  // cut to 14
  const size_t joined = t.Add("WS02$", "a-random-machine-password-of-120-chars", true);
  const size_t upper = t.Add("WS03$", "WS03", true);  // not the default (lower case)
  std::vector<GuessResult> r = Guess(t);
  EXPECT_TRUE(r[ws].default_computer_password);
  EXPECT_TRUE(r[longname].default_computer_password);
  EXPECT_FALSE(r[joined].default_computer_password);
  EXPECT_FALSE(r[upper].default_computer_password);
  EXPECT_FALSE(r[ws].password_is_username);  // computers are not tried with name endings
}

TEST(GuesserTest, SharedHashesReportEveryAccountAndThreadsAgree) {
  Targets t;
  for (int i = 0; i < 300; ++i) {
    t.Add("user" + std::to_string(i), i % 7 == 0 ? "Vinter2024" : "Unique-" + std::to_string(i * 31));
  }
  const std::vector<GuessResult> one = Guess(t, TestConfig(), 1);
  const std::vector<GuessResult> two = Guess(t, TestConfig(), 2);
  ASSERT_EQ(one.size(), two.size());
  int hits = 0;
  for (size_t i = 0; i < one.size(); ++i) {
    EXPECT_EQ(one[i].family, two[i].family) << i;
    if (one[i].family >= 0) ++hits;
  }
  EXPECT_EQ(hits, 43);  // 0, 7, …, 294
}

TEST(GuesserTest, ConfiguredWordsAndRulesFileAreUsed) {
  const std::string dir = MakeTestTempDir("guess-config");
  Config cfg = TestConfig();
  cfg.guess.words = {"Rådhus"};
  cfg.guess.words_file = dir + "/words.txt";
  cfg.guess.rules_file = dir + "/my.rule";
  ASSERT_TRUE(WriteFileAtomic(cfg.guess.words_file, "# local words\nborgerservice\n", 0600).ok());
  ASSERT_TRUE(WriteFileAtomic(cfg.guess.rules_file, ":\nr\n^#\n", 0600).ok());
  Targets t;
  const size_t word = t.Add("a", "Raadhus2026");
  const size_t file = t.Add("b", "Borgerservice!");
  const size_t rule = t.Add("c", "#Sommer26");
  const size_t reversed = t.Add("d", "rellimS");  // not a word
  const size_t reversed2 = t.Add("e", "remmoS1");
  const size_t builtin_rule = t.Add("f", "P@ssword1");  // the built-in set was replaced
  std::vector<GuessResult> r = Guess(t, cfg);
  EXPECT_EQ(Family(r[word]), "configured word + year");
  EXPECT_EQ(Family(r[file]), "configured word + symbol");
  EXPECT_EQ(Family(r[rule]), "season + year");
  EXPECT_EQ(Family(r[reversed]), "-");
  EXPECT_EQ(Family(r[reversed2]), "season + digits");
  EXPECT_EQ(Family(r[builtin_rule]), "-");
}

TEST(GuesserTest, ABadRulesFileNamesFileAndLine) {
  const std::string dir = MakeTestTempDir("guess-bad-rule");
  Config cfg = TestConfig();
  cfg.guess.rules_file = dir + "/bad.rule";
  ASSERT_TRUE(WriteFileAtomic(cfg.guess.rules_file, "# ok\nc\n$1 >8\n", 0600).ok());
  Result<GuessPlan> plan = PlanFromConfig(cfg, {}, kYear, true, true, true);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(plan.status().message(), HasSubstr(cfg.guess.rules_file + ":3: rule \"$1 >8\""));
  cfg.guess.rules_file = dir + "/missing.rule";
  plan = PlanFromConfig(cfg, {}, kYear, true, true, true);
  ASSERT_FALSE(plan.ok());
  EXPECT_THAT(plan.status().message(), HasSubstr("[guess] rules_file"));
}

TEST(GuesserTest, OnlyTheEnabledPartsRun) {
  Targets t;
  const size_t season = t.Add("anna", "Sommer2026");
  const size_t name = t.Add("bo", "bo123");
  const size_t name_year = t.Add("carl", "carl2026");
  Result<GuessPlan> plan = PlanFromConfig(TestConfig(), {}, kYear, /*global=*/false,
                                          /*username=*/true, /*computers=*/false);
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->words.empty());
  EXPECT_EQ(plan->name_endings.size(), 4u);
  GuessStats stats;
  std::vector<GuessResult> r = GuessPasswords(t.list, *plan, &stats).value();
  EXPECT_EQ(r[season].family, -1);
  EXPECT_TRUE(r[name].password_is_username);
  EXPECT_EQ(r[name_year].family, -1);
  EXPECT_LE(stats.candidates, 3u * 4 * 4 + 8);  // 3 names x <= 4 forms x 4 endings, padded lanes
}

}  // namespace
}  // namespace credsweep
