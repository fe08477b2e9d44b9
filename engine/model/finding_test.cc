#include "engine/model/finding.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace credsweep {
namespace {

const char kHead[] = R"({"format":"credsweep-findings","version":%d,
  "run":{"id":"r1","started_at":"2026-11-22T13:20:00Z"},"accounts":[],"findings":[%s]})";

std::string Doc(int version, const std::string& findings) {
  char buf[2048];
  std::snprintf(buf, sizeof buf, kHead, version, findings.c_str());
  return buf;
}

const char kLeaked[] = R"({"rule":"leaked-password","requirement":"S12","severity":"critical",
  "account":"alice","dn":"uid=alice","prevalence":%s})";

std::string Leaked(const std::string& prevalence) {
  char buf[512];
  std::snprintf(buf, sizeof buf, kLeaked, prevalence.c_str());
  return buf;
}

TEST(FindingsJsonTest, WritesTheBandAndNeverTheExactCount) {
  FindingsDocument doc;
  doc.run.id = "r1";
  doc.run.started_at = "2026-11-22T13:20:00Z";
  Finding f;
  f.rule = "leaked-password";
  f.account = "alice";
  f.dn = "uid=alice";
  f.prevalence = PrevalenceBandOf(1234567);
  f.rank_count = 1234567;
  doc.findings.push_back(f);
  const std::string json = FindingsToJson(doc);
  EXPECT_NE(json.find("\"prevalence\": \"≥ 1 M\""), std::string::npos) << json;
  EXPECT_EQ(json.find("1234567"), std::string::npos) << json;
  EXPECT_NE(json.find("\"version\": 2"), std::string::npos);
  Result<FindingsDocument> back = FindingsFromJson(json, "f.json");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->findings.at(0).prevalence, PrevalenceBand::kAtLeast1M);
  EXPECT_EQ(back->findings.at(0).rank_count, 0u);
}

TEST(FindingsJsonTest, VersionOneCountsAreReadAsTheirBand) {
  Result<FindingsDocument> d = FindingsFromJson(Doc(1, Leaked("4711")), "old.json");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->findings.at(0).prevalence, PrevalenceBand::k1kTo10k);
  // A bare count is not a version-2 value.
  Result<FindingsDocument> v2 = FindingsFromJson(Doc(2, Leaked("4711")), "new.json");
  ASSERT_FALSE(v2.ok());
  EXPECT_NE(v2.status().message().find("new.json: findings[0]: field 'prevalence'"),
            std::string::npos)
      << v2.status().message();
}

TEST(FindingsJsonTest, MalformedFilesAreInvalidArgumentNamingTheFileNeverAnException) {
  const std::vector<std::string> bad = {
      "",
      "{",
      "[]",
      "null",
      R"({"format":"credsweep-findings","version":"2"})",
      R"({"format":"credsweep-findings","version":3,"run":{},"findings":[]})",
      Doc(2, "1, 2"),
      Doc(2, R"({"rule":5})"),
      Doc(2, Leaked(R"("lots")")),
      Doc(2, Leaked(R"({"n":1})")),
      Doc(2, Leaked("-3")),
      R"({"format":"credsweep-findings","version":2,"run":[1],"findings":[]})",
      R"({"format":"credsweep-findings","version":2,"run":{"id":"r","started_at":"t",
          "skipped_entries":[1,[2],{"dn":5}]},"findings":{}})",
      R"({"format":"credsweep-findings","version":2,"run":{"id":"r","started_at":"t"},
          "accounts":[{"account":"a","dn":"d","class":"wizard"}],"findings":[]})",
  };
  for (const std::string& text : bad) {
    Result<FindingsDocument> d = FindingsFromJson(text, "dir/findings.json");
    ASSERT_FALSE(d.ok()) << text;
    EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument) << text;
    EXPECT_EQ(d.status().message().rfind("dir/findings.json", 0), 0u) << d.status().message();
  }
}

TEST(FindingsJsonTest, OddButHarmlessRunFieldsAreIgnoredNotFatal) {
  // Optional fields of the wrong type are ignored (they feed only summaries).
  Result<FindingsDocument> d = FindingsFromJson(
      R"({"format":"credsweep-findings","version":2,"run":{"id":"r","started_at":"t",
          "skipped_entries":[3,{"dn":"x","reason":7}],"counts":{"a":-1},"accounts_checked":"x"},
          "findings":[]})",
      "f.json");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_EQ(d->run.skipped_entries.size(), 2u);
  EXPECT_EQ(d->run.skipped_entries[1].first, "x");
}

}  // namespace
}  // namespace credsweep
