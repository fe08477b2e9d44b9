// The directory connectors against a real server. Skipped (GTEST_SKIP) unless the environment
// names one; tests/integration/test_directory_samba.py and test_directory_openldap.py start a
// Samba AD DC / slapd on loopback, populate it, set these variables and run
// `cs_directory_tests --gtest_filter=LiveDirectory*`, then assert the fixture-specific facts from
// the JSON this test writes (accounts, flags, expiry, nested groups, hash matches).
//
//   CREDSWEEP_TEST_LDAP_URL           ldaps:// URL (required to run)
//   CREDSWEEP_TEST_LDAP_STARTTLS_URL  ldap:// URL of the same server (StartTLS / plaintext checks)
//   CREDSWEEP_TEST_LDAP_BASE, _FLAVOR ("ad"|"openldap"), _BIND_DN, _CA_FILE
//   CREDSWEEP_BIND_PASSWORD           the bind password (read by LdapConnection itself)
//   CREDSWEEP_TEST_PASSWORDS          file of "account<TAB>password" lines: known fixture passwords
//   CREDSWEEP_TEST_HASH_DUMP          optional hash dump (e.g. pdbedit -L -w) to load and join
//   CREDSWEEP_TEST_MODIFY             optional "DN<TAB>attribute<TAB>value": ModifyReplace + re-read
//   CREDSWEEP_TEST_MODIFY_EXPECT      "ok" (default) or "denied" (bind account lacks write rights)
//   CREDSWEEP_TEST_RANGE_GROUP        optional "DN<TAB>N": a group with N members, read with an
//                                     explicit "member;range=0-1" so the range follow-up runs
//   CREDSWEEP_TEST_LDIF               optional ldapsearch export of the same directory: read with
//                                     "ldif:FILE" and compared with the LDAP snapshot
//   CREDSWEEP_TEST_OUT                where to write the JSON summary
//
// Hashes are compared in this process; the JSON says only whether they matched.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "connectors/directory/directory_reader.h"
#include "connectors/directory/ldap_connection.h"
#include "engine/base/file_util.h"

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

class LiveDirectory : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Env("CREDSWEEP_TEST_LDAP_URL").empty()) {
      GTEST_SKIP() << "no live directory (CREDSWEEP_TEST_LDAP_URL unset)";
    }
    cfg_.directory.url = Env("CREDSWEEP_TEST_LDAP_URL");
    cfg_.directory.base = Env("CREDSWEEP_TEST_LDAP_BASE");
    cfg_.directory.flavor = Env("CREDSWEEP_TEST_LDAP_FLAVOR");
    cfg_.directory.bind_dn = Env("CREDSWEEP_TEST_LDAP_BIND_DN");
    cfg_.directory.ca_file = Env("CREDSWEEP_TEST_LDAP_CA_FILE");
    cfg_.directory.timeout_seconds = 10;
    // Account::attributes keeps what the classification reads (the integration tests check it).
    cfg_.classify.external_attribute["employeeType"] = "consultant";
    password_ = Env("CREDSWEEP_BIND_PASSWORD");
  }
  Config cfg_;
  std::string password_;
};

// "present"/"matches"/"lm" for the current-password record of `acct` in `dump`, joined by
// name case-insensitively, or by RID when the dump has one and the name does not match.
nlohmann::json HashFacts(const HashDump& dump, const Account& acct, const std::string* password) {
  const HashRecord* rec = nullptr;
  for (const auto& r : dump.records()) {
    if (r.history_index != 0) continue;
    if (Lower(r.account) == Lower(acct.name)) {
      rec = &r;
      break;
    }
    if (!rec && r.rid && acct.rid && *r.rid == *acct.rid) rec = &r;
  }
  nlohmann::json j;
  j["present"] = rec != nullptr;
  if (rec == nullptr) return j;
  j["lm"] = rec->lm != nullptr;
  if (rec->enabled) j["enabled"] = *rec->enabled;
  if (password != nullptr) {
    auto want = NtHashOfUtf8(*password);
    j["matches"] = want.ok() && *want == *rec->nt;
  }
  int history = 0;
  for (const auto& r : dump.records())
    if (r.history_index > 0 && Lower(r.account) == Lower(acct.name)) ++history;
  j["history"] = history;
  return j;
}

TEST_F(LiveDirectory, ReadsEverythingPagedAndJoinsHashes) {
  std::map<std::string, std::string> passwords;
  if (std::string pf = Env("CREDSWEEP_TEST_PASSWORDS"); !pf.empty()) {
    auto text = ReadFile(pf);
    ASSERT_TRUE(text.ok()) << text.status().ToString();
    std::istringstream in(*text);
    std::string line;
    while (std::getline(in, line)) {
      size_t tab = line.find('\t');
      if (tab != std::string::npos) passwords[Lower(line.substr(0, tab))] = line.substr(tab + 1);
    }
  }
  cfg_.directory.page_size = 500;
  HashDump from_directory = HashDump::Empty();
  auto snap = ReadDirectory(cfg_, &from_directory);
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  ASSERT_FALSE(snap->accounts.empty());

  // Paging: a page size of 3 must take several pages and yield exactly the same entries.
  DirectoryConfig small = cfg_.directory;
  small.page_size = 3;
  auto conn = LdapConnection::Connect(small);
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  auto flavor = ParseFlavor(cfg_.directory.flavor);
  ASSERT_TRUE(flavor.ok());
  std::vector<LdapEntry> entries;
  Status s = (*conn)->Search(cfg_.directory.base, LdapScope::kSubtree, DirectoryFilter(*flavor),
                             DirectoryAttributes(*flavor, {}), [&](LdapEntry&& e) {
                               entries.push_back(std::move(e));
                               return Status::Ok();
                             });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(entries.size(), snap->accounts.size() + snap->groups.size() + snap->skipped.size() -
                                std::count_if(snap->skipped.begin(), snap->skipped.end(),
                                              [](const SkippedEntry& k) {
                                                return k.reason.find("sambaNTPassword") != std::string::npos;
                                              }));
  EXPECT_GE((*conn)->pages_fetched(), (entries.size() + 2) / 3);
  EXPECT_TRUE((*conn)->encrypted());

  // The offline source on an ldapsearch export of the same server gives the same snapshot.
  if (std::string ldif = Env("CREDSWEEP_TEST_LDIF"); !ldif.empty()) {
    Config offline = cfg_;
    offline.directory.url = "ldif:" + ldif;
    HashDump ldif_hashes = HashDump::Empty();
    auto from_ldif = ReadDirectory(offline, &ldif_hashes);
    ASSERT_TRUE(from_ldif.ok()) << from_ldif.status().ToString();
    ASSERT_EQ(from_ldif->accounts.size(), snap->accounts.size());
    for (size_t i = 0; i < snap->accounts.size(); ++i) {
      const Account& a = snap->accounts[i];
      const Account& b = from_ldif->accounts[i];
      EXPECT_EQ(a.dn, b.dn);
      EXPECT_EQ(a.name, b.name);
      EXPECT_EQ(a.rid, b.rid) << a.name;
      EXPECT_EQ(a.uac, b.uac) << a.name;
      EXPECT_EQ(a.enabled, b.enabled) << a.name;
      EXPECT_EQ(a.expires, b.expires) << a.name;
      EXPECT_EQ(a.pwd_last_set, b.pwd_last_set) << a.name;
      EXPECT_EQ(a.spns, b.spns) << a.name;
      EXPECT_EQ(a.groups, b.groups) << a.name;
      EXPECT_EQ(a.display_name, b.display_name) << a.name;
    }
    EXPECT_EQ(from_ldif->groups.size(), snap->groups.size());
    ASSERT_EQ(ldif_hashes.records().size(), from_directory.records().size());
    for (size_t i = 0; i < ldif_hashes.records().size(); ++i) {
      EXPECT_EQ(*ldif_hashes.records()[i].nt, *from_directory.records()[i].nt);
    }
  }

  std::optional<HashDump> dump;
  if (std::string df = Env("CREDSWEEP_TEST_HASH_DUMP"); !df.empty()) {
    auto d = HashDump::Load(df);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    dump.emplace(std::move(*d));
  }

  nlohmann::json out;
  out["source"] = snap->source;
  out["pages_at_size_3"] = (*conn)->pages_fetched();
  out["range_reads"] = (*conn)->range_reads();
  out["directory_hash_records"] = from_directory.records().size();
  if (dump) {
    out["dump_format"] = dump->detected_format();
    out["dump_records"] = dump->records().size();
  }
  for (const Account& a : snap->accounts) {
    nlohmann::json j;
    j["dn"] = a.dn;
    j["rid"] = a.rid ? nlohmann::json(*a.rid) : nlohmann::json();
    j["display_name"] = a.display_name;
    j["upn"] = a.upn;
    j["mail"] = a.mail;
    j["employee_id"] = a.employee_id;
    j["employee_type"] = a.employee_type;
    j["manager_dn"] = a.manager_dn;
    j["uac"] = a.uac;
    j["enabled"] = a.enabled;
    j["is_computer"] = a.is_computer;
    j["expires"] = a.expires ? nlohmann::json(*a.expires) : nlohmann::json();
    j["last_logon"] = a.last_logon ? nlohmann::json(*a.last_logon) : nlohmann::json();
    j["pwd_last_set"] = a.pwd_last_set ? nlohmann::json(*a.pwd_last_set) : nlohmann::json();
    j["pwd_reset_pending"] = a.pwd_reset_pending;
    j["spns"] = a.spns;
    j["groups"] = a.groups;
    j["attribute_names"] = nlohmann::json::array();
    for (const auto& [k, v] : a.attributes) j["attribute_names"].push_back(k);
    auto pw = passwords.find(Lower(a.name));
    const std::string* p = pw == passwords.end() ? nullptr : &pw->second;
    j["directory_hash"] = HashFacts(from_directory, a, p);
    if (dump) j["dump_hash"] = HashFacts(*dump, a, p);
    out["accounts"][a.name] = j;
  }
  for (const Group& g : snap->groups) {
    out["groups"][g.name] = {{"dn", g.dn}, {"members", g.member_dns}, {"managed_by", g.managed_by_dn}};
  }
  out["skipped"] = nlohmann::json::array();
  for (const auto& k : snap->skipped) out["skipped"].push_back({{"dn", k.dn}, {"reason", k.reason}});
  if (std::string path = Env("CREDSWEEP_TEST_OUT"); !path.empty()) {
    ASSERT_TRUE(WriteFileAtomic(path, out.dump(2)).ok());
  }
}

TEST_F(LiveDirectory, StartTlsLdapsAndThePlaintextPolicy) {
  // LDAPS with the CA: encrypted.
  auto ok = LdapConnection::Connect(cfg_.directory);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE((*ok)->encrypted());
  EXPECT_EQ((*ok)->bind_identity(), cfg_.directory.bind_dn);

  // LDAPS without the CA: the self-signed chain is not trusted; never a silent fallback.
  DirectoryConfig no_ca = cfg_.directory;
  no_ca.ca_file.clear();
  auto untrusted = LdapConnection::Connect(no_ca);
  ASSERT_FALSE(untrusted.ok());
  EXPECT_EQ(untrusted.status().code(), StatusCode::kUnavailable) << untrusted.status().ToString();
  EXPECT_NE(untrusted.status().message().find(no_ca.url), std::string::npos);

  std::string starttls_url = Env("CREDSWEEP_TEST_LDAP_STARTTLS_URL");
  if (starttls_url.empty()) return;
  DirectoryConfig st = cfg_.directory;
  st.url = starttls_url;
  auto upgraded = LdapConnection::Connect(st);
  ASSERT_TRUE(upgraded.ok()) << upgraded.status().ToString();
  EXPECT_TRUE((*upgraded)->encrypted());
  auto entry = (*upgraded)->ReadEntry(cfg_.directory.base, {"objectClass"});
  ASSERT_TRUE(entry.ok()) << entry.status().ToString();
  EXPECT_FALSE((*entry)["objectclass"].empty());

  // ldap:// whose StartTLS cannot be verified: refused, not downgraded to plaintext.
  st.ca_file.clear();
  auto refused = LdapConnection::Connect(st);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(refused.status().message().find("StartTLS"), std::string::npos)
      << refused.status().message();
  EXPECT_NE(refused.status().message().find(starttls_url), std::string::npos);

  // Only allow_plaintext (tests) permits a plain bind.
  st.allow_plaintext = true;
  auto plain = LdapConnection::Connect(st);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_FALSE((*plain)->encrypted());
}

TEST_F(LiveDirectory, BadBindIsPermissionDeniedWithoutThePassword) {
  const std::string wrong = "Wr0ng-Bind-Secret-4711";
  setenv("CREDSWEEP_BIND_PASSWORD", wrong.c_str(), 1);
  auto r = LdapConnection::Connect(cfg_.directory);
  setenv("CREDSWEEP_BIND_PASSWORD", password_.c_str(), 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << r.status().ToString();
  const std::string& m = r.status().message();
  EXPECT_NE(m.find(cfg_.directory.bind_dn), std::string::npos) << m;
  EXPECT_EQ(m.find(wrong), std::string::npos) << "the message must not carry the password";
  EXPECT_EQ(m.find(password_), std::string::npos) << "the message must not carry the password";

  // The same through ReadDirectory, as `credsweep audit` sees it.
  setenv("CREDSWEEP_BIND_PASSWORD", wrong.c_str(), 1);
  auto snap = ReadDirectory(cfg_, nullptr);
  setenv("CREDSWEEP_BIND_PASSWORD", password_.c_str(), 1);
  EXPECT_EQ(snap.status().code(), StatusCode::kPermissionDenied);
}

TEST_F(LiveDirectory, ReadEntryAndModifyReplace) {
  auto conn = LdapConnection::Connect(cfg_.directory);
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  auto gone = (*conn)->ReadEntry("cn=no-such-entry-4711," + cfg_.directory.base, {"cn"});
  EXPECT_EQ(gone.status().code(), StatusCode::kNotFound) << gone.status().ToString();

  std::string spec = Env("CREDSWEEP_TEST_MODIFY");
  if (spec.empty()) return;
  size_t t1 = spec.find('\t'), t2 = spec.find('\t', t1 + 1);
  ASSERT_NE(t2, std::string::npos);
  std::string dn = spec.substr(0, t1), attr = spec.substr(t1 + 1, t2 - t1 - 1), value = spec.substr(t2 + 1);
  if (Env("CREDSWEEP_TEST_MODIFY_EXPECT") == "denied") {
    Status denied = (*conn)->ModifyReplace(dn, attr, {value});
    EXPECT_EQ(denied.code(), StatusCode::kPermissionDenied) << denied.ToString();
    EXPECT_NE(denied.message().find(dn), std::string::npos) << denied.message();
    return;
  }
  Status modified = (*conn)->ModifyReplace(dn, attr, {value});
  ASSERT_TRUE(modified.ok()) << modified.ToString();
  auto after = (*conn)->ReadEntry(dn, {attr});
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ((*after)[Lower(attr)], std::vector<std::string>{value});
  Status missing = (*conn)->ModifyReplace("cn=no-such-entry-4711," + cfg_.directory.base, attr, {value});
  EXPECT_EQ(missing.code(), StatusCode::kNotFound) << missing.ToString();
}

TEST_F(LiveDirectory, RangedRetrievalIsCompleted) {
  std::string spec = Env("CREDSWEEP_TEST_RANGE_GROUP");
  if (spec.empty()) GTEST_SKIP() << "CREDSWEEP_TEST_RANGE_GROUP unset";
  size_t tab = spec.find('\t');
  std::string dn = spec.substr(0, tab);
  size_t want = std::stoul(spec.substr(tab + 1));
  auto conn = LdapConnection::Connect(cfg_.directory);
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  // Asking for a 2-value window forces the server to answer "member;range=0-1"; the connection
  // must follow up with "member;range=2-*" and return every value under "member".
  auto e = (*conn)->ReadEntry(dn, {"member;range=0-1"});
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ((*e)["member"].size(), want);
  EXPECT_GE((*conn)->range_reads(), 1u);
  for (const auto& [k, v] : *e) EXPECT_EQ(k.find(";range="), std::string::npos) << k;
}

}  // namespace
}  // namespace credsweep
