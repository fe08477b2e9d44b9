// ReplicateHashes against a real DC. Skipped (GTEST_SKIP) unless the environment names one;
// tests/integration/test_replication_samba.py starts a Samba AD DC on loopback, populates it,
// sets these variables and runs `cs_replication_tests --gtest_filter=LiveReplication*`:
//
//   CREDSWEEP_TEST_DC            the DC's address (required to run)
//   CREDSWEEP_TEST_DC_HOSTNAME   its DNS name (Kerberos target)
//   CREDSWEEP_TEST_REPL_USER     UPN or DOMAIN\user with replication rights
//   CREDSWEEP_BIND_PASSWORD      its password
//   CREDSWEEP_TEST_KERBEROS      "1": authenticate with Kerberos (KRB5_CONFIG names the realm)
//   CREDSWEEP_TEST_HASH_DUMP     `pdbedit -L -w` of the same DC: the DC's own view of every hash
//   CREDSWEEP_TEST_HISTORY       lines "account<TAB>password[<TAB>previous<TAB>older...]": the
//                                fixture's known passwords, newest first; with previous ones
//                                the history must be exactly those
//   CREDSWEEP_TEST_OUT           where to write the JSON summary (counts only)
//
// Hashes are compared in this process; neither the output nor a failure message holds one.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "connectors/replication/replication.h"
#include "engine/base/file_util.h"
#include "engine/base/nt_hash.h"

namespace credsweep {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

TEST(LiveReplication, ReturnsExactlyTheHashesAndHistoriesTheDcHolds) {
  if (Env("CREDSWEEP_TEST_DC").empty()) GTEST_SKIP() << "no live DC (CREDSWEEP_TEST_DC unset)";
  const std::string password = Env("CREDSWEEP_BIND_PASSWORD");
  ReplicationRequest req;
  req.dc = Env("CREDSWEEP_TEST_DC");
  req.dc_hostname = Env("CREDSWEEP_TEST_DC_HOSTNAME");
  req.username = Env("CREDSWEEP_TEST_REPL_USER");
  req.password = password.c_str();
  req.kerberos = Env("CREDSWEEP_TEST_KERBEROS") == "1";
  Result<ReplicationResult> rep = ReplicateHashes(req);
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();

  // The DC's own view: pdbedit -L -w (smbpasswd format: no RID, names are sAMAccountNames).
  Result<std::string> dump_text = ReadFile(Env("CREDSWEEP_TEST_HASH_DUMP"));
  ASSERT_TRUE(dump_text.ok());
  Result<HashDump> dc_view = HashDump::Parse(*dump_text, "pdbedit", "smbpasswd");
  ASSERT_TRUE(dc_view.ok()) << dc_view.status().ToString();

  std::map<std::string, const HashRecord*> current;  // replicated, by lower-case name
  std::map<std::string, std::map<int, const HashRecord*>> history;
  uint64_t without_rid = 0;
  for (const HashRecord& r : rep->hashes.records()) {
    if (!r.rid) ++without_rid;
    if (r.history_index == 0) {
      current[Lower(r.account)] = &r;
    } else {
      history[Lower(r.account)][r.history_index] = &r;
    }
  }
  uint64_t matched = 0, mismatched = 0, missing = 0, lm_differs = 0;
  for (const HashRecord& d : dc_view->records()) {
    auto it = current.find(Lower(d.account));
    if (it == current.end()) {
      ++missing;
      ADD_FAILURE() << "no replicated hash for " << d.account;
      continue;
    }
    if (*it->second->nt == *d.nt) {
      ++matched;
    } else {
      ++mismatched;
      ADD_FAILURE() << "replicated NT hash of " << d.account << " differs from the DC's";
    }
    if ((it->second->lm != nullptr) != (d.lm != nullptr)) ++lm_differs;
  }
  EXPECT_EQ(lm_differs, 0u);
  EXPECT_EQ(without_rid, 0u);
  // Every account with a password came back, and nothing else.
  EXPECT_EQ(current.size(), dc_view->records().size());

  // Histories against the fixture's known passwords.
  uint64_t history_checked = 0, history_matched = 0;
  std::istringstream lines(Env("CREDSWEEP_TEST_HISTORY"));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string x;
    while (std::getline(ss, x, '\t')) f.push_back(x);
    ASSERT_GE(f.size(), 2u);
    const std::string account = Lower(f[0]);
    ASSERT_TRUE(current.count(account)) << account;
    EXPECT_EQ(*current[account]->nt, NtHashOfUtf8(f[1]).value()) << "current of " << account;
    if (f.size() == 2) continue;  // current password only; its history is not pinned
    const auto& h = history[account];
    EXPECT_EQ(h.size(), f.size() - 2) << "history length of " << account;
    for (size_t i = 2; i < f.size(); ++i) {
      ++history_checked;
      auto hit = h.find(static_cast<int>(i - 1));
      if (hit != h.end() && *hit->second->nt == NtHashOfUtf8(f[i]).value()) ++history_matched;
    }
  }
  EXPECT_EQ(history_matched, history_checked);

  nlohmann::json out{{"matched", matched},
                     {"mismatched", mismatched},
                     {"missing", missing},
                     {"replicated_accounts", current.size()},
                     {"dc_accounts", dc_view->records().size()},
                     {"lm_differs", lm_differs},
                     {"history_checked", history_checked},
                     {"history_matched", history_matched},
                     {"objects", rep->objects},
                     {"naming_context", rep->naming_context},
                     {"highest_usn", rep->state.highest_usn},
                     {"uptodateness_cursors", rep->state.uptodateness.size()}};
  if (!Env("CREDSWEEP_TEST_OUT").empty()) {
    ASSERT_TRUE(WriteFileAtomic(Env("CREDSWEEP_TEST_OUT"), out.dump(2)).ok());
  }
}

}  // namespace
}  // namespace credsweep
