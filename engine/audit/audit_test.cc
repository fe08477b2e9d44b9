// The audit on plain data: every rule, classification, owners, waivers, ordering, outputs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <map>
#include <set>

#include "connectors/directory/directory_reader.h"
#include "engine/audit/audit_job.h"
#include "engine/audit/classifier.h"
#include "engine/audit/findings_csv.h"
#include "engine/audit/owners.h"
#include "engine/audit/rules.h"
#include "engine/base/file_util.h"
#include "engine/base/nt_hash.h"
#include "engine/base/test_temp_dir.h"

namespace credsweep {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

constexpr int64_t kNow = 1795305600;  // 2026-11-22T00:00:00Z
constexpr int64_t kDay = 86400;
const char* kDomain = "DC=corp,DC=example";

// A corpus store over a plain map: hash -> prevalence. Records how it was called.
class FakeStore : public CorpusStore {
 public:
  void Add(const std::string& password, uint64_t count) {
    counts_[NtHashOfUtf8(password).value()] = count;
  }
  const StoreInfo& info() const override { return info_; }
  Result<LookupResult> Lookup(const NtHash& h) const override {
    auto it = counts_.find(h);
    return it == counts_.end() ? LookupResult{} : LookupResult{true, it->second};
  }
  Status LookupBatch(std::span<const NtHash> hashes,
                     std::vector<LookupResult>* out) const override {
    ++batches;
    out->clear();
    for (const NtHash& h : hashes) out->push_back(Lookup(h).value());
    return Status::Ok();
  }
  mutable int batches = 0;
  StoreInfo info_ = [] {
    StoreInfo info{"ntlm", 0, 1, 16, 10, 0.001, {CorpusSource{}}};
    info.sources[0].name = "hibp";
    info.sources[0].version = "v8";
    info.sources[0].lines = 100;
    info.sources[0].imported_at = "2026-11-01T00:00:00Z";
    return info;
  }();

 private:
  std::map<NtHash, uint64_t> counts_;
};

// Builds a snapshot plus hash records from passwords (hashes held here, stable addresses).
class World {
 public:
  World() { snap.source = "ldif:test.ldif"; }
  Account& User(const std::string& name, const std::string& ou = "OU=Staff") {
    Account a;
    a.name = name;
    a.dn = "CN=" + name + "," + ou + "," + kDomain;
    a.display_name = "User " + name;
    a.uac = kUacNormalAccount;
    a.last_logon = kNow - 2 * kDay;
    a.pwd_last_set = kNow - 30 * kDay;
    a.rid = next_rid_++;
    snap.accounts.push_back(a);
    return snap.accounts.back();
  }
  Group& AddGroup(const std::string& name, std::vector<std::string> members) {
    Group g;
    g.name = name;
    g.dn = "CN=" + name + ",OU=Groups," + kDomain;
    g.member_dns = std::move(members);
    snap.groups.push_back(g);
    return snap.groups.back();
  }
  std::string Dn(const std::string& name) const {
    for (const Account& a : snap.accounts) {
      if (a.name == name) return a.dn;
    }
    return "";
  }
  void Password(const std::string& account, const std::string& password, int history = 0,
                bool with_lm = false) {
    hashes_.push_back(NtHashOfUtf8(password).value());
    HashRecord r;
    r.account = account;
    r.history_index = history;
    r.nt = &hashes_.back();
    if (with_lm) r.lm = &lm_;
    records.push_back(r);
  }
  Result<FindingsDocument> Audit(const Config& cfg, const CorpusStore* s) const {
    return RunAuditOnRecords(cfg, snap, records, s, kNow);
  }

  DirectorySnapshot snap;
  std::vector<HashRecord> records;

 private:
  uint32_t next_rid_ = 1100;
  std::deque<NtHash> hashes_;
  std::array<uint8_t, 16> lm_ = {0xe5, 0x2c, 0xac, 0x67, 0x41, 0x9a, 0x9a, 0x22,
                                 0x4a, 0x3b, 0x10, 0x8f, 0x3f, 0xa6, 0xcb, 0x6d};
};

std::set<std::string> Accounts(const FindingsDocument& doc, const std::string& rule) {
  std::set<std::string> out;
  for (const Finding& f : doc.findings) {
    if (f.rule == rule) out.insert(f.account);
  }
  return out;
}

uint64_t Count(const FindingsDocument& doc, const std::string& rule) {
  for (const auto& [r, n] : doc.run.counts) {
    if (r == rule) return n;
  }
  return ~0ull;
}

const AccountSummary& Summary(const FindingsDocument& doc, const std::string& account) {
  for (const AccountSummary& s : doc.accounts) {
    if (s.account == account) return s;
  }
  static AccountSummary none;
  ADD_FAILURE() << "no summary for " << account;
  return none;
}

Config BaseConfig() {
  Config c;
  c.origin = "/etc/cs/credsweep.toml";
  c.store.path = "/var/lib/credsweep/store";
  return c;
}

// ---------------------------------------------------------------- classification

TEST(ClassifierTest, NestedGroupsPatternsOusAndProtectedNames) {
  World w;
  w.User("alice");                                   // regular
  w.User("adm-bob");                                 // privileged via nested group
  w.User("bob");                                     // the daily account adm-bob links to
  w.User("svc-backup", "OU=Service Accounts");       // service via OU
  w.User("SVC_SQL");                                 // service via name pattern (caseless)
  w.User("web").spns = {"HTTP/web.corp.example"};    // service via SPN
  w.User("carol", "OU=Consultants");                 // external via OU (DN case/blanks differ)
  w.User("dave").attributes["employeetype"] = {"Consultant"};  // external via attribute
  Account& ws = w.User("WS01$", "OU=Computers");
  ws.is_computer = true;
  ws.spns = {"HOST/ws01"};
  w.User("krbtgt", "CN=Users").rid = 502;
  w.User("root-admin", "CN=Users").rid = 500;        // renamed built-in Administrator
  w.User("breakglass");
  w.AddGroup("Tier0", {w.Dn("adm-bob")});
  w.AddGroup("Domain Admins", {"CN=Tier0,OU=Groups," + std::string(kDomain)});

  Config cfg = BaseConfig();
  cfg.classify.service_ous = {"ou=service accounts, dc=corp, dc=example"};
  cfg.classify.service_name_patterns = {"^svc[-_]"};
  cfg.classify.admin_name_patterns = {"^adm-(.+)$"};
  cfg.classify.external_ous = {"OU=CONSULTANTS,DC=corp,DC=example"};
  cfg.classify.external_attribute = {{"employeeType", "consultant"}};
  cfg.classify.protected_accounts = {"BreakGlass"};

  Result<std::unique_ptr<Classifier>> c = Classifier::Create(cfg);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  DirectoryIndex index(w.snap);
  std::map<std::string, Classification> got;
  for (size_t i = 0; i < w.snap.accounts.size(); ++i) {
    got[w.snap.accounts[i].name] = (*c)->Classify(index, w.snap.accounts[i], i);
  }
  EXPECT_EQ(got["alice"].primary, AccountClass::kRegular);
  EXPECT_EQ(got["adm-bob"].primary, AccountClass::kPrivileged);
  EXPECT_EQ(got["adm-bob"].privileged_via, "Domain Admins");  // default list, nested via Tier0
  EXPECT_EQ(got["adm-bob"].admin_link, "bob");               // std::regex group 1 on the hit
  EXPECT_FALSE(got["bob"].admin_pattern_matched);
  EXPECT_EQ(got["svc-backup"].primary, AccountClass::kService);
  EXPECT_EQ(got["svc-backup"].service_via, "service OU");
  EXPECT_EQ(got["SVC_SQL"].service_via, "service name pattern");
  EXPECT_EQ(got["web"].service_via, "servicePrincipalName");
  EXPECT_EQ(got["carol"].primary, AccountClass::kExternal);
  EXPECT_EQ(got["carol"].external_via, "external OU");
  EXPECT_EQ(got["dave"].external_via, "employeeType=consultant");
  EXPECT_EQ(got["WS01$"].primary, AccountClass::kComputer);   // an SPN does not make it a service
  EXPECT_FALSE(got["WS01$"].is_service);
  EXPECT_EQ(got["krbtgt"].primary, AccountClass::kProtected);
  EXPECT_EQ(got["root-admin"].primary, AccountClass::kProtected);
  EXPECT_EQ(got["breakglass"].primary, AccountClass::kProtected);
  // A name pattern must not match inside the DN: "svc" appears in no name but in an OU here.
  EXPECT_EQ(got["alice"].labels, std::vector<std::string>{"regular"});
}

// A snapshot from the directory reader has its groups closed (Account::groups lists nested
// groups too), so the index skips joining member DNs to accounts; the memberships it then
// answers must be exactly those of the full join over the same snapshot marked not closed —
// nesting, a member listed in another spelling, a group that is not in the snapshot, a cycle.
TEST(ClassifierTest, ClosedGroupsFromTheReaderIndexLikeTheFullJoin) {
  auto entry = [](std::string dn, LdapAttrs attrs) { return LdapEntry{std::move(dn), attrs}; };
  const std::string d = ",OU=Staff,DC=corp,DC=example";
  const std::string g = ",OU=Groups,DC=corp,DC=example";
  std::vector<LdapEntry> entries = {
      entry("CN=ann" + d, {{"objectclass", {"user"}}, {"samaccountname", {"ann"}}}),
      entry("CN=bob" + d, {{"objectclass", {"user"}}, {"samaccountname", {"bob"}}}),
      entry("CN=cy" + d, {{"objectclass", {"user"}}, {"samaccountname", {"cy"}}}),
      entry("CN=Tier0" + g, {{"objectclass", {"group"}},
                             {"samaccountname", {"Tier0"}},
                             {"member", {"CN=ann" + d, "cn=BOB,ou=staff,dc=corp,dc=example"}}}),
      entry("CN=Domain Admins" + g, {{"objectclass", {"group"}},
                                     {"samaccountname", {"Domain Admins"}},
                                     {"member", {"CN=Tier0" + g, "CN=Ghost" + g}}}),
      entry("CN=Ghost" + g, {{"objectclass", {"group"}},
                             {"samaccountname", {"Ghost"}},
                             {"member", {"CN=Domain Admins" + g, "CN=cy" + d}}}),
  };
  DirectorySnapshot closed =
      BuildSnapshot(entries, DirectoryFlavor::kActiveDirectory, "ldif:t", nullptr);
  ASSERT_TRUE(closed.groups_closed);
  ASSERT_EQ(closed.accounts.size(), 3u);
  DirectorySnapshot open = closed;
  open.groups_closed = false;
  DirectoryIndex fast(closed), full(open);
  for (size_t i = 0; i < closed.accounts.size(); ++i) {
    std::vector<std::string> a, b;
    for (const Group* x : fast.GroupObjects(i)) a.push_back(x->name);
    for (const Group* x : full.GroupObjects(i)) b.push_back(x->name);
    EXPECT_EQ(a, b) << closed.accounts[i].name;
    for (const std::string& q :
         std::vector<std::string>{"Tier0", "Domain Admins", "Ghost", "CN=Ghost" + g, "Nobody"}) {
      EXPECT_EQ(fast.InGroup(i, q), full.InGroup(i, q)) << closed.accounts[i].name << " " << q;
    }
  }
  EXPECT_TRUE(fast.InGroup(1, "Domain Admins"));  // bob: via Tier0, listed as cn=BOB,…
  EXPECT_TRUE(fast.InGroup(2, "Domain Admins"));  // cy: via the Ghost <-> Domain Admins cycle
  EXPECT_FALSE(fast.InGroup(0, "Nobody"));
}

TEST(ClassifierTest, SeveralLabelsOnePrimaryAndProtectedWins) {
  World w;
  w.User("svc-admin", "OU=Consultants");
  w.User("Administrator", "CN=Users");
  w.AddGroup("Domain Admins", {w.Dn("svc-admin"), w.Dn("Administrator")});
  Config cfg = BaseConfig();
  cfg.classify.service_name_patterns = {"^svc-"};
  cfg.classify.external_ous = {"OU=Consultants,DC=corp,DC=example"};
  auto c = Classifier::Create(cfg);
  ASSERT_TRUE(c.ok());
  DirectoryIndex index(w.snap);
  Classification svc = (*c)->Classify(index, w.snap.accounts[0], 0);
  EXPECT_EQ(svc.labels, (std::vector<std::string>{"service", "privileged", "external"}));
  EXPECT_EQ(svc.primary, AccountClass::kService);  // never forced to change by enforce
  Classification adm = (*c)->Classify(index, w.snap.accounts[1], 1);
  EXPECT_EQ(adm.primary, AccountClass::kProtected);
  EXPECT_TRUE(adm.is_privileged);
}

TEST(ClassifierTest, GroupCyclesTerminateAndConfiguredGroupsMatchByDn) {
  World w;
  w.User("eve");
  std::string a = "CN=A,OU=Groups," + std::string(kDomain);
  std::string b = "CN=B,OU=Groups," + std::string(kDomain);
  w.AddGroup("A", {w.Dn("eve"), b});
  w.AddGroup("B", {a});  // A in B, B in A
  Config cfg = BaseConfig();
  cfg.classify.privileged_groups = {"cn=b, ou=groups, dc=corp, dc=example"};
  auto c = Classifier::Create(cfg);
  ASSERT_TRUE(c.ok());
  DirectoryIndex index(w.snap);
  EXPECT_TRUE((*c)->Classify(index, w.snap.accounts[0], 0).is_privileged);
  EXPECT_EQ(index.GroupObjects(0).size(), 2u);
}

TEST(ClassifierTest, BadPatternIsAConfigErrorWithFileLine) {
  Config cfg = BaseConfig();
  cfg.classify.service_name_patterns = {"^svc(", "ok"};
  cfg.key_lines["[classify] service_name_patterns"] = 14;
  auto c = Classifier::Create(cfg);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(ExitCodeFor(c.status()), kExitUsage);
  EXPECT_THAT(c.status().message(),
              HasSubstr("/etc/cs/credsweep.toml:14: [classify] service_name_patterns: pattern "
                        "'^svc(' cannot be compiled"));
}

// ---------------------------------------------------------------- hash rules

// `--changed`: a replication delta carries only the changed accounts' hashes. The audit then
// reports on those accounts alone — every rule, but nobody else's findings, and nobody else
// counted as checked.
TEST(AuditTest, ADeltaReportsOnlyTheAccountsWhosePasswordCameBack) {
  World w;
  w.User("alice");  // unchanged: no hash in the delta, password never expires
  w.snap.accounts.back().uac |= kUacDontExpirePassword;
  w.User("erin");   // changed to a leaked password, and her password never expires either
  w.snap.accounts.back().uac |= kUacDontExpirePassword;
  w.Password("erin", "Summer2024!");
  w.User("frank");  // unchanged
  FakeStore store;
  store.Add("Summer2024!", 120);
  const Config cfg = BaseConfig();

  auto delta = RunAuditOnRecords(cfg, w.snap, w.records, &store, kNow, AuditScope::kDelta);
  ASSERT_TRUE(delta.ok()) << delta.status().ToString();
  EXPECT_EQ(delta->run.accounts_checked, 1u);
  EXPECT_EQ(delta->run.accounts_without_hash, 0u);
  EXPECT_THAT(delta->run.id, ::testing::StartsWith("delta-"));
  ASSERT_EQ(delta->accounts.size(), 1u);
  EXPECT_EQ(delta->accounts[0].account, "erin");
  EXPECT_EQ(Accounts(*delta, "leaked-password"), std::set<std::string>{"erin"});
  EXPECT_EQ(Accounts(*delta, "password-never-expires"), std::set<std::string>{"erin"});
  EXPECT_EQ(Count(*delta, "password-never-expires"), 1u);

  // The same records as a full audit: everyone is checked, alice's finding is back.
  auto full = RunAuditOnRecords(cfg, w.snap, w.records, &store, kNow);
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->run.accounts_checked, 3u);
  EXPECT_EQ(Accounts(*full, "password-never-expires"), (std::set<std::string>{"alice", "erin"}));
}

TEST(AuditTest, LeakedEmptyLmAndHistoryUseOneBatch) {
  World w;
  w.User("alice");
  w.Password("alice", "Summer2024!");
  w.Password("alice", "Password1", /*history=*/1);
  w.User("bob");
  w.Password("bob", "correct horse battery staple", 0, /*with_lm=*/true);
  w.User("carl");
  w.Password("carl", "");
  w.User("dina");
  w.Password("dina", "rare-but-leaked");
  w.Password("ghost", "whatever");  // no such account: counted, not fatal
  FakeStore store;
  store.Add("Summer2024!", 120);
  store.Add("Password1", 5000);
  store.Add("", 999);
  store.Add("rare-but-leaked", 2);

  Config cfg = BaseConfig();
  cfg.rules.leaked_min_count = 3;
  auto doc = w.Audit(cfg, &store);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(store.batches, 1);
  EXPECT_EQ(Accounts(*doc, "leaked-password"), std::set<std::string>{"alice"});  // dina < min
  EXPECT_EQ(Accounts(*doc, "empty-password"), std::set<std::string>{"carl"});
  EXPECT_EQ(Accounts(*doc, "lm-hash-stored"), std::set<std::string>{"bob"});
  std::vector<const Finding*> leaked;
  for (const Finding& f : doc->findings) {
    if (f.rule == "leaked-password") leaked.push_back(&f);
  }
  ASSERT_EQ(leaked.size(), 2u);
  EXPECT_FALSE(leaked[0]->history);
  // The band goes out; the exact count stays for ranking inside the process (issue 8).
  EXPECT_EQ(leaked[0]->prevalence.value(), PrevalenceBand::k100To999);
  EXPECT_EQ(leaked[0]->rank_count, 120u);
  EXPECT_NE(leaked[0]->detail.find("100–999 times"), std::string::npos) << leaked[0]->detail;
  EXPECT_EQ(leaked[0]->detail.find("120"), std::string::npos) << leaked[0]->detail;
  EXPECT_EQ(leaked[0]->requirement, "S12");
  EXPECT_EQ(leaked[0]->severity, "critical");
  EXPECT_TRUE(leaked[1]->history);
  EXPECT_EQ(leaked[1]->prevalence.value(), PrevalenceBand::k1kTo10k);
  EXPECT_EQ(leaked[1]->detail.find("5000"), std::string::npos) << leaked[1]->detail;
  EXPECT_EQ(doc->run.hashes_loaded, 6u);
  EXPECT_EQ(doc->run.hashes_unmatched, 1u);
  EXPECT_EQ(doc->run.accounts_checked, 4u);
  EXPECT_EQ(doc->run.corpus_sources.at(0).version, "v8");

  cfg.rules.check_history = false;
  auto no_history = w.Audit(cfg, &store);
  ASSERT_TRUE(no_history.ok());
  EXPECT_EQ(Count(*no_history, "leaked-password"), 1u);
}

TEST(AuditTest, HashesJoinByNameCaseInsensitivelyOrByRid) {
  World w;
  w.User("alice");
  w.User("bob").rid = 1234;
  w.Password("CORP\\ALICE", "Summer2024!");  // domain prefix, other case
  w.Password("bob-renamed", "Summer2024!");
  w.records.back().rid = 1234;                  // name unknown, RID matches bob
  FakeStore store;
  store.Add("Summer2024!", 50);
  auto doc = w.Audit(BaseConfig(), &store);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(Accounts(*doc, "leaked-password"), (std::set<std::string>{"alice", "bob"}));
  EXPECT_EQ(doc->run.hashes_unmatched, 0u);
  EXPECT_EQ(doc->run.accounts_without_hash, 0u);
}

TEST(AuditTest, LeakedFindingsAreOrderedByPrivilegeTimesPrevalence) {
  World w;
  w.User("user-many");
  w.Password("user-many", "p-many");  // regular x 1000 = 2000
  w.User("adm-few");
  w.Password("adm-few", "p-few");  // privileged x 300 = 3000
  w.User("svc-mid", "OU=Svc");
  w.Password("svc-mid", "p-mid");  // service x 500 = 2500
  Account& off = w.User("disabled-many");
  off.enabled = false;
  off.uac |= kUacAccountDisable;
  w.Password("disabled-many", "p-many-2");  // regular, disabled: 1 x 1800 = 1800
  w.AddGroup("Domain Admins", {w.Dn("adm-few")});
  FakeStore store;
  store.Add("p-many", 1000);
  store.Add("p-few", 300);
  store.Add("p-mid", 500);
  store.Add("p-many-2", 1800);
  Config cfg = BaseConfig();
  cfg.classify.service_ous = {"OU=Svc,DC=corp,DC=example"};
  auto doc = w.Audit(cfg, &store);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  std::vector<std::string> order;
  for (const Finding& f : doc->findings) {
    if (f.rule == "leaked-password") order.push_back(f.account);
  }
  EXPECT_THAT(order, ElementsAre("adm-few", "svc-mid", "user-many", "disabled-many"));
  // Disabled accounts are audited and marked, not skipped.
  for (const Finding& f : doc->findings) {
    if (f.account == "disabled-many") {
      EXPECT_FALSE(f.enabled);
    }
  }
  EXPECT_FALSE(Summary(*doc, "disabled-many").enabled);
}

TEST(AuditTest, SharedPasswordsAreLabelledGroupsAndAdminSharingIsFlagged) {
  World w;
  for (const char* n : {"a1", "a2", "a3", "b1", "b2", "adm-b", "solo"}) w.User(n);
  w.Password("a1", "team-pass");
  w.Password("a2", "team-pass");
  w.Password("a3", "team-pass");
  w.Password("b1", "pair-pass");
  w.Password("adm-b", "pair-pass");
  w.Password("b2", "other");
  w.Password("solo", "unique");
  w.Password("b2", "team-pass", /*history=*/1);  // history never forms a group
  w.AddGroup("Domain Admins", {w.Dn("adm-b")});
  FakeStore store;
  Config cfg = BaseConfig();
  auto doc = w.Audit(cfg, &store);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  std::map<std::string, std::string> group_of;
  for (const Finding& f : doc->findings) {
    if (f.rule == "shared-password") group_of[f.account] = f.group.value();
  }
  EXPECT_EQ(group_of.size(), 5u);
  EXPECT_EQ(group_of["a1"], "shared-password group 1 (3 accounts)");
  EXPECT_EQ(group_of["a3"], "shared-password group 1 (3 accounts)");
  EXPECT_EQ(group_of["b1"], "shared-password group 2 (2 accounts)");
  EXPECT_EQ(group_of["adm-b"], "shared-password group 2 (2 accounts)");
  for (const Finding& f : doc->findings) {
    if (f.rule == "shared-password" && f.account == "a2") {
      EXPECT_THAT(f.detail, HasSubstr("a1, a3"));
    }
  }
  EXPECT_EQ(Accounts(*doc, "admin-shares-password"), std::set<std::string>{"adm-b"});
  for (const Finding& f : doc->findings) {
    if (f.rule == "admin-shares-password") {
      EXPECT_EQ(f.group.value(), "shared-password group 2 (2 accounts)");
      EXPECT_THAT(f.detail, HasSubstr("b1"));
      EXPECT_EQ(f.requirement, "S6");
    }
  }
}

// A big group: each member's detail names the first 20 others (by name) and counts the rest,
// so the text grows with the group, not with its square; the group label still names the size.
TEST(AuditTest, BigSharedGroupsListTwentyOthersAndCountTheRest) {
  World w;
  std::vector<std::string> names;
  for (int i = 0; i < 30; ++i) {
    char n[8];
    std::snprintf(n, sizeof n, "u%02d", i);
    names.push_back(n);
    w.User(n);
    w.Password(n, "Velkommen2026");
  }
  w.User("adm-u00");
  w.Password("adm-u00", "Velkommen2026");
  w.AddGroup("Domain Admins", {w.Dn("adm-u00")});
  FakeStore store;
  auto doc = w.Audit(BaseConfig(), &store);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  size_t members = 0;
  for (const Finding& f : doc->findings) {
    if (f.rule == "shared-password") {
      ++members;
      EXPECT_EQ(f.group.value(), "shared-password group 1 (31 accounts)");
      if (f.account == "u00") {
        // adm-u00 sorts first; then u01..u19 (u00 is the finding's own account); 10 remain.
        std::string want = "Uses the same password as: adm-u00";
        for (int i = 1; i <= 19; ++i) want += ", " + names[i];
        EXPECT_EQ(f.detail, want + " and 10 more accounts.");
      }
    }
    if (f.rule == "admin-shares-password") {
      // The 30 non-admin accounts: 20 named, 10 counted.
      EXPECT_THAT(f.detail, HasSubstr("u00, u01"));
      EXPECT_THAT(f.detail, HasSubstr(", u19 and 10 more accounts."));
      EXPECT_THAT(f.detail, ::testing::Not(HasSubstr("u20")));
    }
  }
  EXPECT_EQ(members, 31u);
  EXPECT_EQ(Accounts(*doc, "admin-shares-password"), std::set<std::string>{"adm-u00"});
}

TEST(AuditTest, NoStoreIsAnErrorNeverNoLeaks) {
  World w;
  w.User("alice");
  w.Password("alice", "Summer2024!");
  Config cfg = BaseConfig();
  auto doc = w.Audit(cfg, nullptr);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(ExitCodeFor(doc.status()), kExitRuntime);
  cfg.rules.disabled = {"leaked-password"};
  auto without_rule = w.Audit(cfg, nullptr);
  ASSERT_TRUE(without_rule.ok());
  EXPECT_EQ(Count(*without_rule, "leaked-password"), ~0ull);  // not run, not counted
}

// ---------------------------------------------------------------- attribute rules

TEST(AuditTest, EveryAttributeRuleFiresOnExactlyItsAccounts) {
  World w;
  w.User("clean").expires = kNow + 30 * kDay;
  // S6: admin separation
  Account& adm_mail = w.User("adm-mail");
  adm_mail.mail = "adm@corp.example";
  adm_mail.expires = kNow + 30 * kDay;
  w.User("adm-linked").expires = kNow + 30 * kDay;   // linked by pattern to "linked"
  w.User("linked");
  Account& adm_emp = w.User("root-jane");            // linked by employeeID
  adm_emp.employee_id = "E42";
  adm_emp.expires = kNow + 30 * kDay;
  w.User("jane").employee_id = "E42";
  w.User("adm-alone").expires = kNow + 30 * kDay;    // no daily account
  w.User("adm-noexp");                               // privileged, no expiry, not IT staff
  w.User("adm-it");                                  // privileged, no expiry, IT staff
  w.User("daily-it");
  Account& roast = w.User("adm-roast");
  roast.spns = {"MSSQLSvc/db:1433"};
  roast.expires = kNow + 30 * kDay;
  // K5: external accounts
  w.User("x-noexp", "OU=Ext");
  Account& far = w.User("x-far", "OU=Ext");
  far.expires = kNow + 400 * kDay;
  far.manager_dn = "CN=clean,OU=Staff,DC=corp,DC=example";
  Account& expired = w.User("x-expired", "OU=Ext");
  expired.expires = kNow - kDay;
  expired.manager_dn = "CN=clean,OU=Staff,DC=corp,DC=example";
  Account& ok_ext = w.User("x-ok", "OU=Ext");
  ok_ext.expires = kNow + 10 * kDay;
  ok_ext.manager_dn = "CN=clean,OU=Staff,DC=corp,DC=example";
  Account& expired_off = w.User("x-expired-off", "OU=Ext");
  expired_off.expires = kNow - kDay;
  expired_off.enabled = false;
  expired_off.manager_dn = "CN=clean,OU=Staff,DC=corp,DC=example";
  // K9: flags
  w.User("never-exp").uac |= kUacDontExpirePassword;
  w.User("svc-never-exp", "OU=Svc").uac |= kUacDontExpirePassword;  // service: allowed
  w.User("notreqd").uac |= kUacPasswdNotReqd;
  w.User("reversible").uac |= kUacEncryptedTextPwdAllowed;
  w.User("asrep").uac |= kUacDontReqPreauth;
  // K5: stale
  w.User("stale").last_logon = kNow - 100 * kDay;
  Account& never = w.User("never-old");
  never.last_logon.reset();
  never.pwd_last_set = kNow - 200 * kDay;
  Account& never_new = w.User("never-new");
  never_new.last_logon.reset();
  never_new.pwd_last_set = kNow - 5 * kDay;
  Account& stale_off = w.User("stale-off");
  stale_off.last_logon = kNow - 300 * kDay;
  stale_off.enabled = false;

  w.AddGroup("Domain Admins", {w.Dn("adm-mail"), w.Dn("adm-linked"), w.Dn("root-jane"),
                               w.Dn("adm-alone"), w.Dn("adm-noexp"), w.Dn("adm-it"),
                               w.Dn("adm-roast")});
  w.AddGroup("IT Staff", {w.Dn("adm-it"), w.Dn("daily-it")});
  for (const Account& a : w.snap.accounts) w.Password(a.name, "pw-" + a.name);

  Config cfg = BaseConfig();
  cfg.classify.admin_name_patterns = {"^adm-(.+)$"};
  cfg.classify.external_ous = {"OU=Ext,DC=corp,DC=example"};
  cfg.classify.service_ous = {"OU=Svc,DC=corp,DC=example"};
  cfg.classify.it_staff_group = "IT Staff";
  FakeStore store;
  auto doc = w.Audit(cfg, &store);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();

  using S = std::set<std::string>;
  // adm-roast has an SPN, so it is a service account: the person rules skip it, the
  // kerberoasting rule does not.
  EXPECT_EQ(Accounts(*doc, "admin-not-separate"),
            (S{"adm-mail", "adm-alone", "adm-noexp", "adm-it"}));
  EXPECT_EQ(Accounts(*doc, "admin-no-expiry"), S{"adm-noexp"});
  EXPECT_EQ(Accounts(*doc, "kerberoastable-admin"), S{"adm-roast"});
  EXPECT_EQ(Accounts(*doc, "external-no-expiry"), S{"x-noexp"});
  EXPECT_EQ(Accounts(*doc, "external-expiry-too-long"), S{"x-far"});
  EXPECT_EQ(Accounts(*doc, "external-expired-enabled"), S{"x-expired"});
  EXPECT_EQ(Accounts(*doc, "external-no-sponsor"), S{"x-noexp"});
  EXPECT_EQ(Accounts(*doc, "password-never-expires"), S{"never-exp"});
  EXPECT_EQ(Accounts(*doc, "password-not-required"), S{"notreqd"});
  EXPECT_EQ(Accounts(*doc, "reversible-encryption"), S{"reversible"});
  EXPECT_EQ(Accounts(*doc, "preauth-not-required"), S{"asrep"});
  EXPECT_EQ(Accounts(*doc, "stale-account"), (S{"stale", "never-old"}));
  EXPECT_EQ(Accounts(*doc, "leaked-password"), S{});
  EXPECT_EQ(Accounts(*doc, "shared-password"), S{});
  EXPECT_EQ(Count(*doc, "external-expiry-too-long"), 1u);

  // Every finding carries its table row and a detail free of anything hash-like.
  for (const Finding& f : doc->findings) {
    const RuleSpec* r = FindRule(f.rule);
    ASSERT_NE(r, nullptr) << f.rule;
    EXPECT_EQ(f.requirement, r->requirement);
    EXPECT_EQ(f.severity, r->severity);
    EXPECT_EQ(f.explanation, r->explanation);
    EXPECT_FALSE(f.detail.empty());
  }

  // [rules] disabled: the rule does not run and is not counted.
  cfg.rules.disabled = {"stale-account", "admin-not-separate"};
  auto fewer = w.Audit(cfg, &store);
  ASSERT_TRUE(fewer.ok());
  EXPECT_EQ(Accounts(*fewer, "stale-account"), S{});
  EXPECT_EQ(Count(*fewer, "stale-account"), ~0ull);
  EXPECT_EQ(Count(*fewer, "admin-no-expiry"), 1u);
}

// S6 is about the person: an IT administrator's admin account may lack an expiry even though
// the admin account itself is not in the IT department's group; anyone else's must expire.
TEST(AuditTest, AdminNoExpiryIsDecidedByThePersonBehindTheAdminAccount) {
  World w;
  w.User("adm-ina");                        // Ina works in IT: her daily account is IT staff
  w.User("ina");
  w.User("adm-hans");                       // Hans works in HR
  w.User("hans");
  Account& adm_emp = w.User("root-olga");   // linked by employeeID, Olga works in IT
  adm_emp.employee_id = "E7";
  w.User("olga").employee_id = "E7";
  w.User("adm-solo");                       // no daily account at all, not IT staff
  w.AddGroup("Domain Admins",
             {w.Dn("adm-ina"), w.Dn("adm-hans"), w.Dn("root-olga"), w.Dn("adm-solo")});
  w.AddGroup("IT Department", {w.Dn("ina"), w.Dn("olga")});
  for (const Account& a : w.snap.accounts) w.Password(a.name, "pw-" + a.name);
  Config cfg = BaseConfig();
  cfg.classify.admin_name_patterns = {"^adm-(.+)$"};
  cfg.classify.it_staff_group = "IT Department";
  FakeStore store;
  auto doc = w.Audit(cfg, &store);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  using S = std::set<std::string>;
  EXPECT_EQ(Accounts(*doc, "admin-no-expiry"), (S{"adm-hans", "adm-solo"}));
  for (const Finding& f : doc->findings) {
    if (f.rule == "admin-no-expiry" && f.account == "adm-hans") {
      EXPECT_NE(f.detail.find("linked daily account hans"), std::string::npos) << f.detail;
    }
  }
}

TEST(AuditTest, StaleRuleSkipsOpenLdapWithoutLogonTracking) {
  World w;
  w.snap.flavor = DirectoryFlavor::kOpenLdap;
  Account& a = w.User("ldapuser");
  a.last_logon.reset();
  a.pwd_last_set = kNow - 400 * kDay;
  FakeStore store;
  auto doc = w.Audit(BaseConfig(), &store);
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(Count(*doc, "stale-account"), 0u);
  EXPECT_EQ(doc->run.flavor, "openldap");
}

TEST(AuditTest, AuthenticationLevelsAndRequiredLevel) {
  World w;
  w.User("plain");                                      // 2
  w.User("leaked");                                     // 1
  w.User("empty");                                      // 0
  w.User("mfa");                                        // 3
  w.User("mfa-leaked");                                 // 2
  w.User("card").uac |= kUacSmartcardRequired;          // 4
  w.User("nohash");                                     // 2 (no evidence against it)
  w.Password("plain", "fine");
  w.Password("leaked", "Summer2024!");
  w.Password("empty", "");
  w.Password("mfa", "fine2");
  w.Password("mfa-leaked", "Summer2025!");
  w.Password("card", "random");
  w.AddGroup("MFA", {w.Dn("mfa"), w.Dn("mfa-leaked")});
  w.AddGroup("Finance", {w.Dn("plain"), w.Dn("mfa"), w.Dn("card"), w.Dn("mfa-leaked"),
                         "CN=Payroll,OU=Groups,DC=corp,DC=example"});
  w.AddGroup("Payroll", {w.Dn("leaked")});  // nested into Finance
  FakeStore store;
  store.Add("Summer2024!", 10);
  store.Add("Summer2025!", 10);
  Config cfg = BaseConfig();
  cfg.auth.mfa_groups = {"MFA"};
  cfg.auth.required_level = {{"Finance", 3}};
  auto doc = w.Audit(cfg, &store);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(Summary(*doc, "plain").auth_level, 2);
  EXPECT_EQ(Summary(*doc, "leaked").auth_level, 1);
  EXPECT_EQ(Summary(*doc, "empty").auth_level, 0);
  EXPECT_EQ(Summary(*doc, "mfa").auth_level, 3);
  EXPECT_EQ(Summary(*doc, "mfa-leaked").auth_level, 2);
  EXPECT_EQ(Summary(*doc, "card").auth_level, 4);
  EXPECT_TRUE(Summary(*doc, "card").smartcard_required);
  EXPECT_EQ(Summary(*doc, "nohash").auth_level, 2);
  EXPECT_EQ(Accounts(*doc, "auth-level-below-required"),
            (std::set<std::string>{"plain", "leaked", "mfa-leaked"}));
  for (const Finding& f : doc->findings) {
    if (f.rule == "auth-level-below-required" && f.account == "leaked") {
      EXPECT_EQ(f.detail, "Authentication level 1 is below the level 3 required for members of Finance.");
      EXPECT_EQ(f.requirement, "S11");
    }
  }
  cfg.auth.smartcard_counts_as_pki = false;
  auto no_pki = w.Audit(cfg, &store);
  ASSERT_TRUE(no_pki.ok());
  EXPECT_EQ(Summary(*no_pki, "card").auth_level, 3);
}

// ---------------------------------------------------------------- owners

TEST(AuditTest, OwnersResolveInDocumentedOrder) {
  World w;
  w.User("boss").mail = "boss@corp.example";
  w.User("owner").mail = "owner@corp.example";
  w.User("groupowner").mail = "groupowner@corp.example";
  w.User("nomail");
  Account& own = w.User("svc-own", "OU=Svc");
  own.managed_by_dn = w.Dn("owner");
  own.manager_dn = w.Dn("boss");
  w.User("svc-group", "OU=Svc").manager_dn = w.Dn("boss");
  w.User("svc-mgr", "OU=Svc").manager_dn = w.Dn("boss");
  w.User("svc-map", "OU=Svc").managed_by_dn = w.Dn("nomail");  // no mail: passed over
  w.User("svc-none", "OU=Svc");
  Group& g = w.AddGroup("App Servers", {w.Dn("svc-group")});
  g.managed_by_dn = w.Dn("groupowner");

  const std::string dir = MakeTestTempDir("cs_owner_test");
  ASSERT_FALSE(dir.empty());
  const std::string map_path = dir + "/owners.csv";
  ASSERT_TRUE(WriteFileAtomic(map_path, "\xEF\xBB\xBF" "account,email\r\nSVC-MAP,apps@corp.example\r\n").ok());
  Config cfg = BaseConfig();
  cfg.classify.owner_map = map_path;
  FakeStore store;
  auto doc = w.Audit(cfg, &store);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(Summary(*doc, "svc-own").owner_mail, "owner@corp.example");
  EXPECT_EQ(Summary(*doc, "svc-own").owner_source, "managedBy");
  EXPECT_EQ(Summary(*doc, "svc-group").owner_mail, "groupowner@corp.example");
  EXPECT_EQ(Summary(*doc, "svc-group").owner_source, "managedBy");
  EXPECT_EQ(Summary(*doc, "svc-mgr").owner_mail, "boss@corp.example");
  EXPECT_EQ(Summary(*doc, "svc-mgr").owner_source, "manager");
  EXPECT_EQ(Summary(*doc, "svc-map").owner_mail, "apps@corp.example");
  EXPECT_EQ(Summary(*doc, "svc-map").owner_source, "owner_map");
  EXPECT_EQ(Summary(*doc, "svc-none").owner_mail, "");
  EXPECT_EQ(Summary(*doc, "svc-none").owner_source, "");
}

TEST(OwnerMapTest, BadLinesNameFileAndLine) {
  auto m = ParseOwnerMap("# owners\napp1,a@x\n\napp2 no comma\n", "owners.csv");
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.status().message(), HasSubstr("owners.csv:4:"));
  auto bad_mail = ParseOwnerMap("app1,nobody\n", "owners.csv");
  ASSERT_FALSE(bad_mail.ok());
  EXPECT_THAT(bad_mail.status().message(), HasSubstr("owners.csv:1:"));
}

// ---------------------------------------------------------------- exceptions

TEST(AuditTest, ExceptionsWaiveUntilTheEndOfTheExpiryDay) {
  World w;
  w.User("svc-legacy", "OU=Ext").uac |= kUacDontExpirePassword;
  w.User("other").uac |= kUacDontExpirePassword;
  Config cfg = BaseConfig();
  cfg.exceptions.push_back({"SVC-LEGACY", "password-never-expires", "vendor appliance", "CISO",
                            "2026-11-22", 40});
  FakeStore store;
  auto during = w.Audit(cfg, &store);  // kNow is the start of 2026-11-22: still valid
  ASSERT_TRUE(during.ok()) << during.status().ToString();
  int seen = 0;
  for (const Finding& f : during->findings) {
    if (f.rule != "password-never-expires") continue;
    ++seen;
    if (f.account == "svc-legacy") {
      EXPECT_TRUE(f.waived);
      EXPECT_EQ(f.waiver_reason, "vendor appliance");
      EXPECT_EQ(f.waiver_approved_by, "CISO");
      EXPECT_EQ(f.waiver_expires, "2026-11-22");
    } else {
      EXPECT_FALSE(f.waived);
    }
  }
  EXPECT_EQ(seen, 2);                                    // waived findings are kept
  EXPECT_EQ(Count(*during, "password-never-expires"), 1u);  // but not counted

  auto after = RunAuditOnRecords(cfg, w.snap, w.records, &store, kNow + kDay);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(Count(*after, "password-never-expires"), 2u);
  for (const Finding& f : after->findings) {
    if (f.account == "svc-legacy" && f.rule == "password-never-expires") {
      EXPECT_FALSE(f.waived);
      EXPECT_THAT(f.detail, HasSubstr("expired on 2026-11-22"));
    }
  }
}

TEST(AuditTest, UnknownRuleIdsAreConfigErrorsWithFileLine) {
  World w;
  FakeStore store;
  Config cfg = BaseConfig();
  cfg.exceptions.push_back({"a", "leaked-passwords", "r", "b", "2027-01-01", 33});
  auto doc = w.Audit(cfg, &store);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(ExitCodeFor(doc.status()), kExitUsage);
  EXPECT_THAT(doc.status().message(),
              HasSubstr("/etc/cs/credsweep.toml:33: [[exceptions]] rule: unknown rule id "
                        "'leaked-passwords'"));
  cfg.exceptions.clear();
  cfg.rules.disabled = {"stale"};
  cfg.key_lines["[rules] disabled"] = 21;
  auto doc2 = w.Audit(cfg, &store);
  ASSERT_FALSE(doc2.ok());
  EXPECT_THAT(doc2.status().message(),
              HasSubstr("/etc/cs/credsweep.toml:21: [rules] disabled: unknown rule id 'stale'"));
}

// ---------------------------------------------------------------- the rule table and outputs

TEST(RulesTest, TableCoversExactlyTheDesignRuleIds) {
  std::vector<std::string> ids;
  for (const RuleSpec& r : AllRules()) {
    ids.push_back(r.id);
    EXPECT_THAT((std::set<std::string>{"S12", "S6", "K5", "K9", "S11"}), ::testing::Contains(r.requirement));
    EXPECT_THAT((std::set<std::string>{"critical", "high", "medium", "low"}), ::testing::Contains(r.severity));
    EXPECT_GT(std::string(r.explanation).size(), 20u);
  }
  EXPECT_THAT(ids, ElementsAre("leaked-password", "empty-password", "guessable-password",
                               "password-is-username", "default-computer-password",
                               "lm-hash-stored", "shared-password", "admin-shares-password",
                               "admin-not-separate", "admin-no-expiry", "external-no-expiry",
                               "external-expiry-too-long", "external-expired-enabled",
                               "external-no-sponsor", "password-never-expires",
                               "password-not-required", "reversible-encryption",
                               "preauth-not-required", "kerberoastable-admin",
                               "admin-delegatable", "unconstrained-delegation",
                               "kerberos-des-only", "krbtgt-password-old", "admin-password-old",
                               "stale-account", "auth-level-below-required"));
}

TEST(FindingsCsvTest, BomHeaderQuotingAndFormulaGuard) {
  FindingsDocument doc;
  Finding f;
  f.rule = "stale-account";
  f.requirement = "K5";
  f.severity = "low";
  f.account = "bob";
  f.dn = "CN=Bob \"B\",OU=Staff,DC=x";
  f.display_name = "=HYPERLINK(\"http://evil\")";
  f.mail = "@mail";
  f.detail = "line1\nline2";
  f.prevalence = PrevalenceBand::k1To9;
  f.rank_count = 7;  // never written
  doc.findings.push_back(f);
  std::string csv = FindingsToCsv(doc);
  ASSERT_EQ(csv.rfind("\xEF\xBB\xBF", 0), 0u);
  EXPECT_EQ(csv.substr(3, csv.find("\r\n") - 3),
            "rule,requirement,severity,account,dn,display_name,mail,enabled,class,detail,"
            "prevalence,group,history,waived,waiver_reason,waiver_approved_by,waiver_expires,"
            "explanation");
  EXPECT_THAT(csv, HasSubstr("stale-account,K5,low,bob,\"CN=Bob \"\"B\"\",OU=Staff,DC=x\","
                             "\"'=HYPERLINK(\"\"http://evil\"\")\",'@mail,true,regular,"
                             "\"line1\nline2\",1–9,,false,false,,,,\r\n"));
  EXPECT_EQ(CsvCell("-1+2"), "'-1+2");
  EXPECT_EQ(CsvCell("+47 1234"), "'+47 1234");
  EXPECT_EQ(CsvCell("plain"), "plain");
}

TEST(AuditTest, NoHashEverReachesTheOutputs) {
  World w;
  const std::vector<std::string> pws = {"Summer2024!", "", "team", "team", "x"};
  for (size_t i = 0; i < pws.size(); ++i) {
    std::string n = "u" + std::to_string(i);
    w.User(n);
    w.Password(n, pws[i], 0, /*with_lm=*/true);
    w.Password(n, pws[i] + "old", 1);
  }
  FakeStore store;
  store.Add("Summer2024!", 9);
  store.Add("teamold", 9);
  auto doc = w.Audit(BaseConfig(), &store);
  ASSERT_TRUE(doc.ok());
  const std::string out = FindingsToJson(*doc) + FindingsToCsv(*doc);
  for (const std::string& pw : pws) {
    for (const std::string& p : {pw, pw + "old"}) {
      std::string hex = NtHashToHex(NtHashOfUtf8(p).value());
      EXPECT_EQ(out.find(hex), std::string::npos);
      EXPECT_EQ(ToLower(out).find(ToLower(hex)), std::string::npos);
      if (p.size() >= 4) {
        EXPECT_EQ(out.find(p), std::string::npos);
      }
    }
  }
  EXPECT_EQ(ToLower(out).find("e52cac67419a9a22"), std::string::npos);  // the LM fixture
}

// ---------------------------------------------------------------- guessing and Kerberos rules

TEST(AuditTest, GuessingRulesNameThePatternNeverThePassword) {
  World w;
  const std::map<std::string, std::string> pw = {
      {"autumn", "Efteraar2026!"}, {"org", "Solbjerg123"},      {"welcome", "Velkommen1"},
      {"jdoe", "Jdoe123"},         {"jdoe2", "jdoe22026"},      {"strong", "Tavle-Kridt-7x"},
      {"hist", "Tavle-Kridt-8x"},  {"WS01$", "ws01"},           {"WS02$", "Random-Machine-Pw"}};
  for (const auto& [name, p] : pw) {
    Account& a = w.User(name, name.back() == '$' ? "OU=Computers" : "OU=Staff");
    a.dn = "CN=" + name + ",OU=Staff,DC=solbjerg,DC=dk";  // organisation name "Solbjerg"
    if (name.back() == '$') {
      a.is_computer = true;
      a.uac = kUacWorkstationTrustAccount;
    }
    w.Password(name, p);
  }
  w.Password("hist", "Vinter2019", /*history=*/1);
  FakeStore store;
  Config cfg = BaseConfig();
  auto doc = w.Audit(cfg, &store);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(Accounts(*doc, "guessable-password"),
            (std::set<std::string>{"autumn", "org", "welcome", "jdoe2", "hist"}));
  EXPECT_EQ(Accounts(*doc, "password-is-username"), std::set<std::string>{"jdoe"});
  EXPECT_EQ(Accounts(*doc, "default-computer-password"), std::set<std::string>{"WS01$"});
  std::map<std::string, const Finding*> by;
  for (const Finding& f : doc->findings) {
    // No finding text holds a password; the guessing rules' texts hold no word or year either.
    for (const auto& [name, p] : pw) {
      EXPECT_EQ(f.detail.find(p), std::string::npos) << f.rule << " " << f.account;
    }
    if (f.rule == "guessable-password") by[f.account] = &f;
    if (f.rule.find("password") == std::string::npos) continue;
    for (const char* word : {"Efteraar", "Solbjerg", "Velkommen", "Vinter", "2026", "2019"}) {
      EXPECT_EQ(f.detail.find(word), std::string::npos) << f.detail;
    }
  }
  EXPECT_THAT(by["autumn"]->detail, HasSubstr("season + year + symbol"));
  EXPECT_THAT(by["org"]->detail, HasSubstr("organisation name + digits"));
  EXPECT_THAT(by["welcome"]->detail, HasSubstr("common password word + digits"));
  EXPECT_THAT(by["jdoe2"]->detail, HasSubstr("account name + year"));
  EXPECT_TRUE(by["hist"]->history);
  EXPECT_THAT(by["hist"]->detail, HasSubstr("season + year"));
  EXPECT_EQ(by["autumn"]->severity, "critical");
  EXPECT_EQ(by["autumn"]->requirement, "S12");
  EXPECT_EQ(Count(*doc, "guessable-password"), 5u);

  // The specific rule off: the same password is still reported as guessable (not lost).
  cfg.rules.disabled = {"password-is-username", "default-computer-password"};
  auto off = w.Audit(cfg, &store);
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(Accounts(*off, "guessable-password"),
            (std::set<std::string>{"autumn", "org", "welcome", "jdoe", "jdoe2", "hist"}));
  cfg.rules.disabled = {"guessable-password", "password-is-username", "default-computer-password"};
  auto none = w.Audit(cfg, &store);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(Count(*none, "guessable-password"), ~0ull);  // did not run
}

TEST(AuditTest, ABadRulesFileStopsTheAuditWithFileAndLine) {
  World w;
  w.User("a");
  w.Password("a", "x");
  const std::string dir = MakeTestTempDir("audit-rules");
  Config cfg = BaseConfig();
  cfg.guess.rules_file = dir + "/site.rule";
  ASSERT_TRUE(WriteFileAtomic(cfg.guess.rules_file, "c\n$1 $2\n$\n", 0600).ok());
  FakeStore store;
  auto doc = w.Audit(cfg, &store);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(doc.status().message(), HasSubstr(dir + "/site.rule:3: rule \"$\""));
}

TEST(AuditTest, DelegationDesAndPasswordAgeRulesFireOnExactlyTheirAccounts) {
  World w;
  w.User("adm-plain");                                           // privileged, delegatable
  w.User("adm-sensitive").uac |= kUacNotDelegated;               // marked sensitive
  w.User("adm-protected");                                       // in Protected Users (nested)
  w.User("adm-old").pwd_last_set = kNow - 400 * kDay;            // > 365 days
  Account& adm_new = w.User("adm-must-change");
  adm_new.pwd_last_set = 0;                                      // must change: not "old"
  adm_new.uac |= kUacNotDelegated;
  w.User("user-old").pwd_last_set = kNow - 400 * kDay;           // not privileged: fine
  w.User("deleg-user").uac |= kUacTrustedForDelegation;          // user trusted for delegation
  Account& srv = w.User("SRV01$", "OU=Servers");
  srv.is_computer = true;
  srv.uac = kUacWorkstationTrustAccount | kUacTrustedForDelegation;
  Account& dc = w.User("DC1$", "OU=Domain Controllers");
  dc.is_computer = true;
  dc.uac = kUacServerTrustAccount | kUacTrustedForDelegation;   // DCs are meant to
  w.User("des").uac |= kUacUseDesKeyOnly;
  Account& krbtgt = w.User("krbtgt", "CN=Users");
  krbtgt.rid = 502;
  krbtgt.enabled = false;
  krbtgt.pwd_last_set = kNow - 200 * kDay;                       // > 180 days
  w.User("krbtgt_12345", "CN=Users").pwd_last_set = kNow - 100 * kDay;  // RODC, < 180
  Group& pu = w.AddGroup("Beskyttede brugere", {"CN=Tier0 PU,OU=Groups," + std::string(kDomain)});
  pu.rid = 525;                                                  // localised name, RID 525
  w.AddGroup("Tier0 PU", {w.Dn("adm-protected")});
  w.AddGroup("Domain Admins", {w.Dn("adm-plain"), w.Dn("adm-sensitive"), w.Dn("adm-protected"),
                               w.Dn("adm-old"), w.Dn("adm-must-change")});
  FakeStore store;
  Config cfg = BaseConfig();
  auto doc = w.Audit(cfg, &store);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(Accounts(*doc, "admin-delegatable"), (std::set<std::string>{"adm-plain", "adm-old"}));
  EXPECT_EQ(Accounts(*doc, "unconstrained-delegation"),
            (std::set<std::string>{"deleg-user", "SRV01$"}));
  EXPECT_EQ(Accounts(*doc, "kerberos-des-only"), std::set<std::string>{"des"});
  EXPECT_EQ(Accounts(*doc, "krbtgt-password-old"), std::set<std::string>{"krbtgt"});
  EXPECT_EQ(Accounts(*doc, "admin-password-old"), std::set<std::string>{"adm-old"});

  cfg.rules.krbtgt_max_days = 90;
  cfg.rules.admin_password_max_days = 500;
  auto tuned = w.Audit(cfg, &store);
  ASSERT_TRUE(tuned.ok());
  EXPECT_EQ(Accounts(*tuned, "krbtgt-password-old"),
            (std::set<std::string>{"krbtgt", "krbtgt_12345"}));
  EXPECT_TRUE(Accounts(*tuned, "admin-password-old").empty());
  for (const Finding& f : tuned->findings) {
    if (f.rule == "krbtgt-password-old" && f.account == "krbtgt") {
      EXPECT_THAT(f.detail, HasSubstr("more than 90 days ago"));
      EXPECT_EQ(f.requirement, "K9");
    }
  }
}

}  // namespace
}  // namespace credsweep
