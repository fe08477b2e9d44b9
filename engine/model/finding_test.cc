#include "engine/model/finding.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/model/testing/findings_json_reference.h"

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



// A small document with every field set, so the golden test covers the whole contract.
FindingsDocument GoldenDocument() {
  FindingsDocument doc;
  doc.run.id = "audit-2026-11-01T02:30:00Z";
  doc.run.started_at = "2026-11-01T02:30:00Z";
  doc.run.finished_at = "2026-11-01T02:30:07Z";
  doc.run.directory = "ldaps://dc1.kommune.example:636";
  doc.run.flavor = "ad";
  doc.run.store = "/var/lib/credsweep/store";
  doc.run.corpus_sources.resize(1);
  doc.run.corpus_sources[0].name = "hibp-ntlm";
  doc.run.corpus_sources[0].version = "v9";
  doc.run.corpus_sources[0].lines = 1000;
  doc.run.corpus_sources[0].imported_at = "2026-10-02T00:00:00Z";
  doc.run.accounts_checked = 2;
  doc.run.hashes_loaded = 2;
  doc.run.skipped_entries = {{"CN=odd,DC=kommune,DC=example", "no sAMAccountName"}};
  doc.run.counts = {{"leaked-password", 1}, {"stale-account", 0}};
  AccountSummary a;
  a.account = "jdoe";
  a.dn = "CN=Jane Doe,OU=Staff,DC=kommune,DC=example";
  a.display_name = "Jane Doe";
  a.mail = "jdoe@kommune.example";
  a.classes = {"regular"};
  a.auth_level = 1;
  a.object_id = "S-1-5-21-1-2-3-1105";
  a.pwd_last_set = 1790000000;
  doc.accounts = {a};
  Finding f;
  f.rule = "leaked-password";
  f.requirement = "S12";
  f.severity = "critical";
  f.account = a.account;
  f.dn = a.dn;
  f.display_name = a.display_name;
  f.mail = a.mail;
  f.detail = "The current password is in the breach corpus.";
  f.explanation = "A leaked password is worth nothing.";
  f.group = "shared-password group 1 (2 accounts)";
  f.waived = true;
  f.waiver_reason = "kiosk";
  f.waiver_approved_by = "IT-chef";
  f.waiver_expires = "2027-03-31";
  doc.findings = {f};
  return doc;
}

// findings.json is the contract between audit and enforce/notify/run: its bytes are pinned, so
// a change to it is deliberate (and bumps the version when readers would misread it).
TEST(FindingsJsonTest, GoldenBytes) {
  const std::string kGolden = R"json({
  "accounts": [
    {
      "account": "jdoe",
      "auth_level": 1,
      "class": "regular",
      "classes": [
        "regular"
      ],
      "display_name": "Jane Doe",
      "dn": "CN=Jane Doe,OU=Staff,DC=kommune,DC=example",
      "enabled": true,
      "mail": "jdoe@kommune.example",
      "object_id": "S-1-5-21-1-2-3-1105",
      "owner_mail": "",
      "owner_source": "",
      "pwd_last_set": 1790000000,
      "smartcard_required": false
    }
  ],
  "findings": [
    {
      "account": "jdoe",
      "class": "regular",
      "detail": "The current password is in the breach corpus.",
      "display_name": "Jane Doe",
      "dn": "CN=Jane Doe,OU=Staff,DC=kommune,DC=example",
      "enabled": true,
      "explanation": "A leaked password is worth nothing.",
      "group": "shared-password group 1 (2 accounts)",
      "history": false,
      "mail": "jdoe@kommune.example",
      "requirement": "S12",
      "rule": "leaked-password",
      "severity": "critical",
      "waived": true,
      "waiver": {
        "approved_by": "IT-chef",
        "expires": "2027-03-31",
        "reason": "kiosk"
      }
    }
  ],
  "format": "credsweep-findings",
  "run": {
    "accounts_checked": 2,
    "accounts_without_hash": 0,
    "corpus_sources": [
      {
        "imported_at": "2026-10-02T00:00:00Z",
        "lines": 1000,
        "name": "hibp-ntlm",
        "version": "v9"
      }
    ],
    "counts": {
      "leaked-password": 1,
      "stale-account": 0
    },
    "directory": "ldaps://dc1.kommune.example:636",
    "finished_at": "2026-11-01T02:30:07Z",
    "flavor": "ad",
    "hash_material": {
      "accounts_covered": 0,
      "accounts_expected": 0,
      "min_coverage": 0.0,
      "origin": "",
      "source": ""
    },
    "hashes_loaded": 2,
    "hashes_unmatched": 0,
    "id": "audit-2026-11-01T02:30:00Z",
    "scope": "full",
    "skipped_entries": [
      {
        "dn": "CN=odd,DC=kommune,DC=example",
        "reason": "no sAMAccountName"
      }
    ],
    "started_at": "2026-11-01T02:30:00Z",
    "store": "/var/lib/credsweep/store"
  },
  "version": 2
}
)json";
  const FindingsDocument doc = GoldenDocument();
  EXPECT_EQ(FindingsToJson(doc), kGolden);
  // And it reads back to the same bytes: nothing is lost between audit and enforce.
  auto back = FindingsFromJson(kGolden, "golden");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(FindingsToJson(*back), kGolden);
  EXPECT_EQ(back->accounts[0].object_id, "S-1-5-21-1-2-3-1105");
  EXPECT_EQ(back->accounts[0].pwd_last_set, 1790000000);
}

TEST(FindingsJsonTest, AnAccountWithoutPasswordTimeReadsBackAsNone) {
  FindingsDocument doc = GoldenDocument();
  doc.accounts[0].pwd_last_set.reset();
  const std::string text = FindingsToJson(doc);
  EXPECT_NE(text.find("\"pwd_last_set\": null"), std::string::npos);
  auto back = FindingsFromJson(text, "x");
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->accounts[0].pwd_last_set.has_value());
}

TEST(FindingsJsonTest, ADeltaSaysSoAndNamesTheFullRunItIsMeasuredFrom) {
  FindingsDocument doc = GoldenDocument();
  doc.run.hash_material.source = "replication";
  doc.run.hash_material.changed_only = true;
  doc.run.hash_material.highwatermark = 900;
  doc.run.hash_material.since_highwatermark = 700;
  const std::string text = FindingsToJson(doc);
  EXPECT_NE(text.find("\"scope\": \"delta\""), std::string::npos);
  auto back = FindingsFromJson(text, "x");
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->run.hash_material.changed_only);
  EXPECT_EQ(back->run.hash_material.since_highwatermark, 700u);
  EXPECT_EQ(text, testing::FindingsToJsonReference(doc));
}

}  // namespace
}  // namespace credsweep
