#include "engine/remediate/action_log.h"

#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/base/file_util.h"


namespace credsweep {
namespace {

namespace fs = std::filesystem;

class ActionLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cs_actionlog_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto keyfile = (dir_ / "log.key").string();
    ASSERT_TRUE(GenerateLogKeyFiles(keyfile).ok());
    auto key = LogSigningKey::Load(keyfile);
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    key_ = std::shared_ptr<const LogSigningKey>(std::move(key).value());
    log_path_ = (dir_ / "state" / "actions.log").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  void AppendN(int n, int64_t t0 = 1795000000) {
    auto log = ActionLog::Open(log_path_, key_, LogActor{"CN=svc-credsweep,DC=example,DC=org", "tools01"});
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    for (int i = 0; i < n; ++i) {
      ActionRecord r{"run-1", "force-change", "CN=user" + std::to_string(i) + ",DC=example,DC=org",
                     "user" + std::to_string(i), "leaked-password", "pwdLastSet set to 0"};
      auto e = (*log)->Append(r, t0 + i);
      ASSERT_TRUE(e.ok()) << e.status().ToString();
    }
  }

  std::vector<std::string> Lines() {
    std::ifstream in(log_path_);
    std::vector<std::string> out;
    std::string l;
    while (std::getline(in, l)) out.push_back(l);
    return out;
  }
  void WriteLines(const std::vector<std::string>& lines, bool final_newline = true) {
    std::string s;
    for (size_t i = 0; i < lines.size(); ++i) {
      s += lines[i];
      if (i + 1 < lines.size() || final_newline) s += "\n";
    }
    std::ofstream(log_path_, std::ios::trunc) << s;
  }
  VerifyReport Verify(const VerifyOptions& o = {}) {
    auto r = VerifyActionLog(log_path_, key_->public_key(), o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r.value() : VerifyReport{};
  }

  fs::path dir_;
  std::shared_ptr<const LogSigningKey> key_;
  std::string log_path_;
};

TEST_F(ActionLogTest, IntactLogVerifiesAndChainContinuesAcrossReopen) {
  AppendN(3);
  AppendN(2);  // a second process/run continues seq and prev from the tail
  VerifyReport r = Verify();
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.entries_verified, 5u);
  auto head = ReadLogHead(log_path_);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->hash, r.head_hash);
  EXPECT_EQ(head->entries, 5u);
  EXPECT_EQ(r.head_hash.size(), kLogHashHexLen);
  auto lines = Lines();
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_NE(lines[4].find("\"seq\":5"), std::string::npos);
  EXPECT_NE(lines[0].find("\"prev\":\"" + LogGenesisHash(key_->public_key()) + "\""),
            std::string::npos);
  EXPECT_NE(lines[0].find("\"time\":\"2026-11-18T"), std::string::npos);
}

TEST_F(ActionLogTest, LogFileIsPrivate) {
  AppendN(1);
  struct stat st;
  ASSERT_EQ(::stat(log_path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(ActionLogTest, ModifiedEntryIsNamed) {
  AppendN(4);
  auto lines = Lines();
  size_t p = lines[2].find("user2");
  ASSERT_NE(p, std::string::npos);
  lines[2].replace(p, 5, "userX");
  WriteLines(lines);
  VerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_line, 3u);
  EXPECT_EQ(r.bad_seq, 3u);
  EXPECT_NE(r.problem.find("modified"), std::string::npos) << r.problem;
  EXPECT_EQ(r.entries_verified, 2u);
}

TEST_F(ActionLogTest, ModifiedEntryWithRecomputedHashFailsSignature) {
  AppendN(3);
  // An attacker without the secret key rewrites entry 2 and recomputes its hash exactly as the
  // header documents; only the signature can catch it. This also pins the documented hash
  // definition: if the recomputation disagreed, the problem would say "modified" instead.
  auto lines = Lines();
  auto j = nlohmann::json::parse(lines[1]);
  j["target"] = "CN=someone-else,DC=example,DC=org";
  j.erase("hash");
  j.erase("sig");
  const std::string prev_hex = j["prev"];
  std::array<uint8_t, 32> prev{};
  ASSERT_EQ(sodium_hex2bin(prev.data(), 32, prev_hex.data(), 64, nullptr, nullptr, nullptr), 0);
  std::string msg = "credsweep-action-log-v1\n";
  msg.append(reinterpret_cast<const char*>(prev.data()), 32);
  msg += j.dump();
  std::array<uint8_t, 32> h{};
  crypto_generichash(h.data(), 32, reinterpret_cast<const uint8_t*>(msg.data()), msg.size(),
                     nullptr, 0);
  char hex[65];
  sodium_bin2hex(hex, sizeof(hex), h.data(), 32);
  j["hash"] = hex;
  j["sig"] = std::string(128, '0');
  lines[1] = j.dump();
  WriteLines(lines);
  VerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_line, 2u);
  EXPECT_NE(r.problem.find("signature"), std::string::npos) << r.problem;
}

TEST_F(ActionLogTest, DeletedMiddleEntryIsNamed) {
  AppendN(4);
  auto lines = Lines();
  lines.erase(lines.begin() + 1);
  WriteLines(lines);
  VerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_line, 2u);
  EXPECT_EQ(r.bad_seq, 3u);
  EXPECT_NE(r.problem.find("deleted"), std::string::npos) << r.problem;
}

TEST_F(ActionLogTest, DeletedFirstEntryIsNamed) {
  AppendN(3);
  auto lines = Lines();
  lines.erase(lines.begin());
  WriteLines(lines);
  VerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_line, 1u);
  EXPECT_EQ(r.bad_seq, 2u);
}

TEST_F(ActionLogTest, DeletedLastEntriesNeedAnAnchor) {
  AppendN(3);
  const std::string head = Verify().head_hash;
  auto lines = Lines();
  lines.pop_back();
  WriteLines(lines);
  // Without an anchor, a shorter log is a valid log: that is why the run history records heads.
  EXPECT_TRUE(Verify().ok);
  VerifyOptions by_head;
  by_head.expect_head = head;
  VerifyReport r = Verify(by_head);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("expected head"), std::string::npos) << r.problem;
  VerifyOptions by_count;
  by_count.min_count = 3;
  r = Verify(by_count);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("at least 3"), std::string::npos) << r.problem;
  // An older anchor stays valid while the log grows.
  AppendN(2);
  EXPECT_FALSE(Verify(by_head).ok);  // the old seq 3 hash is gone for good
  by_count.min_count = 4;
  EXPECT_TRUE(Verify(by_count).ok);
}

TEST_F(ActionLogTest, EmptiedLogIsBadAgainstItsAnchor) {
  AppendN(3);
  auto head = ReadLogHead(log_path_);
  ASSERT_TRUE(head.ok());
  WriteLines({});
  VerifyOptions anchor;
  anchor.expect_head = head->hash;
  anchor.min_count = head->entries;
  VerifyReport r = Verify(anchor);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.entries_verified, 0u);
}

// Each line's bytes must be its canonical serialisation: what is hashed is fixed by the bytes.
TEST_F(ActionLogTest, NonCanonicalLinesAreBad) {
  AppendN(3);
  const auto lines = Lines();
  ASSERT_EQ(lines[1].rfind("{\"account\":\"user1\",", 0), 0u) << lines[1];
  // A duplicated key: a JSON parser keeps one of the two values, so the line can say two things.
  std::vector<std::string> dup = lines;
  dup[1] = "{\"account\":\"someone-else\"," + lines[1].substr(1);
  // The same members in another order; a space after a colon; an escaped "/" that means "/".
  std::vector<std::string> reordered = lines;
  auto j = nlohmann::ordered_json::parse(lines[1]);
  nlohmann::ordered_json back;
  for (auto it = j.rbegin(); it != j.rend(); ++it) back[it.key()] = it.value();
  reordered[1] = back.dump();
  std::vector<std::string> spaced = lines;
  spaced[1].replace(spaced[1].find("\"seq\":"), 6, "\"seq\": ");
  for (const auto& variant : {dup, reordered, spaced}) {
    WriteLines(variant);
    VerifyReport r = Verify();
    EXPECT_FALSE(r.ok) << variant[1];
    EXPECT_EQ(r.bad_line, 2u);
    EXPECT_NE(r.problem.find("canonical"), std::string::npos) << r.problem;
    EXPECT_EQ(r.entries_verified, 1u);
  }
  WriteLines(lines);
  EXPECT_TRUE(Verify().ok);
}

TEST_F(ActionLogTest, AnIntentWithoutOutcomeIsReportedUntilAnsweredLater) {
  auto log = ActionLog::Open(log_path_, key_, LogActor{"x", "h"});
  ASSERT_TRUE(log.ok());
  auto append = [&](const std::string& action, const std::string& target) {
    ASSERT_TRUE((*log)->Append(ActionRecord{"run-1", action, target, "jdoe", "leaked-password", "d"},
                               1795000000).ok());
  };
  append("force-change-intent", "CN=jdoe,DC=x");
  append("force-change", "CN=jdoe,DC=x");
  append("force-change-intent", "CN=kim,DC=x");  // killed between the write and its outcome
  append("force-change", "CN=other,DC=x");
  VerifyReport r = Verify();
  EXPECT_TRUE(r.ok) << r.problem;  // the chain is intact ...
  ASSERT_EQ(r.unfinished.size(), 1u);  // ... but one action's outcome is unknown
  EXPECT_EQ(r.unfinished[0].seq, 3u);
  EXPECT_EQ(r.unfinished[0].target, "CN=kim,DC=x");
  // The next run re-reads kim, finds the change pending, and logs a skip: answered.
  append("skip", "CN=kim,DC=x");
  EXPECT_TRUE(Verify().unfinished.empty());
}

TEST_F(ActionLogTest, InsertedEntryIsNamed) {
  AppendN(3);
  auto lines = Lines();
  lines.insert(lines.begin() + 1, lines[2]);  // a replayed, validly signed entry
  WriteLines(lines);
  VerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_line, 2u);
  EXPECT_EQ(r.bad_seq, 3u);
}

TEST_F(ActionLogTest, ReorderedEntriesAreNamed) {
  AppendN(4);
  auto lines = Lines();
  std::swap(lines[1], lines[2]);
  WriteLines(lines);
  VerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_line, 2u);
  EXPECT_EQ(r.bad_seq, 3u);
  EXPECT_NE(r.problem.find("reordered"), std::string::npos) << r.problem;
}

TEST_F(ActionLogTest, TruncatedTailIsNamedAndBlocksAppend) {
  AppendN(3);
  auto text = ReadFile(log_path_).value();
  std::ofstream(log_path_, std::ios::trunc) << text.substr(0, text.size() - 40);
  VerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_line, 3u);
  EXPECT_NE(r.problem.find("truncated"), std::string::npos) << r.problem;
  EXPECT_EQ(r.entries_verified, 2u);

  auto log = ActionLog::Open(log_path_, key_, LogActor{"x", "h"});
  ASSERT_TRUE(log.ok());
  auto e = (*log)->Append(ActionRecord{"run-2", "skip", "CN=a", "a", "leaked-password", "x"});
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), StatusCode::kCorruption);
  EXPECT_FALSE(ReadLogHead(log_path_).ok());
}

TEST_F(ActionLogTest, TruncatedAtLineBoundaryIsPartialJson) {
  AppendN(2);
  auto lines = Lines();
  lines[1] = lines[1].substr(0, lines[1].size() / 2);
  WriteLines(lines);  // ends in "\n" but the JSON is cut
  VerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_line, 2u);
  EXPECT_NE(r.problem.find("JSON"), std::string::npos) << r.problem;
}

TEST_F(ActionLogTest, WrongKeyFailsAtFirstEntry) {
  AppendN(2);
  auto other = LogSigningKey::Generate();
  ASSERT_TRUE(other.ok());
  auto r = VerifyActionLog(log_path_, (*other)->public_key());
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->bad_line, 1u);
  EXPECT_NE(r->problem.find("signature"), std::string::npos) << r->problem;
  // And a different key may not extend this log.
  auto log = ActionLog::Open(log_path_, std::shared_ptr<const LogSigningKey>(std::move(other).value()),
                             LogActor{"x", "h"});
  ASSERT_TRUE(log.ok());
  EXPECT_FALSE((*log)->Append(ActionRecord{"r", "skip", "CN=a", "a", "", ""}).ok());
}

TEST_F(ActionLogTest, EmptyAndMissingLogs) {
  auto missing = VerifyActionLog(log_path_, key_->public_key());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  auto head = ReadLogHead(log_path_);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->hash, "");
  EXPECT_EQ(head->entries, 0u);
  fs::create_directories(fs::path(log_path_).parent_path());
  std::ofstream(log_path_).close();
  VerifyReport r = Verify();
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.entries_verified, 0u);
}

TEST_F(ActionLogTest, KeygenRefusesToOverwriteAndKeepsSecretPrivate) {
  const std::string keyfile = (dir_ / "log.key").string();
  auto again = GenerateLogKeyFiles(keyfile);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition);
  struct stat st;
  ASSERT_EQ(::stat(keyfile.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto pk = LoadLogPublicKey(keyfile + ".pub");
  ASSERT_TRUE(pk.ok());
  EXPECT_EQ(pk.value(), key_->public_key());
  // A secret key readable by others is refused, and the message names the fix.
  ::chmod(keyfile.c_str(), 0644);
  auto loose = LogSigningKey::Load(keyfile);
  ASSERT_FALSE(loose.ok());
  EXPECT_NE(loose.status().message().find("chmod 600"), std::string::npos);
  // The public file is not a secret key.
  EXPECT_EQ(LogSigningKey::Load(keyfile + ".pub").status().code(),
            StatusCode::kFailedPrecondition);  // 0644 is checked first
}

TEST_F(ActionLogTest, GoldenEntryBytes) {
  // A fixed key (seed 0x01 * 32) and a fixed clock pin the on-disk line byte for byte.
  std::array<uint8_t, 32> seed;
  seed.fill(1);
  std::array<uint8_t, 32> pk{};
  std::array<uint8_t, 64> sk{};
  crypto_sign_seed_keypair(pk.data(), sk.data(), seed.data());
  char hex[129];
  sodium_bin2hex(hex, sizeof(hex), sk.data(), sk.size());
  const std::string keyfile = (dir_ / "golden.key").string();
  ASSERT_TRUE(WriteFileAtomic(keyfile, std::string("credsweep-log-key v1 ed25519-secret ") + hex + "\n").ok());
  auto key = LogSigningKey::Load(keyfile);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  auto log = ActionLog::Open(log_path_, std::shared_ptr<const LogSigningKey>(std::move(key).value()),
                             LogActor{"CN=credsweep,DC=example,DC=org", "tools01"});
  ASSERT_TRUE(log.ok());
  ASSERT_TRUE((*log)->Append(ActionRecord{"run-1", "force-change", "CN=Jane Doe,DC=example,DC=org",
                                          "jdoe", "leaked-password", "pwdLastSet set to 0"},
                             1795000000).ok());
  const std::string kGolden =
      R"({"account":"jdoe","action":"force-change","actor":{"host":"tools01","id":"CN=credsweep,)"
      R"(DC=example,DC=org"},"detail":"pwdLastSet set to 0","hash":"d59c91e05110ea33851a5e10d0dfaa22)"
      R"(f938ef4784752c06e74c980f45260420","prev":"55d8c04af0916300410427796db0a308d2bcae3d4c2961cf37)"
      R"(16277c54f3770f","rule":"leaked-password","run":"run-1","seq":1,"sig":"0992bf0587d2ffee996789ce)"
      R"(74ec05fe7fe07b3378ec7400632b00a5727078bd6ac88638bd81a93922a52ee18041a59c587c23bc67f85ca151f11de0)"
      R"(01c22c06","target":"CN=Jane Doe,DC=example,DC=org","time":"2026-11-18T11:06:40Z","v":1})";
  auto lines = Lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], kGolden);
  // The golden line is canonical and verifies against the fixed key.
  VerifyReport r = VerifyActionLogText(kGolden + "\n", pk);
  EXPECT_TRUE(r.ok) << r.problem;
}

}  // namespace
}  // namespace credsweep
