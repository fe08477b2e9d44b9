#include "engine/remediate/enforce.h"

#include "engine/base/time_util.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

namespace credsweep {
namespace {

namespace fs = std::filesystem;

// pwdLastSet as a FILETIME in the fake directory, and as the audit recorded it (Unix seconds).
constexpr const char* kPwdLastSetFileTime = "133000000000000000";
const int64_t kPwdLastSetUnix = *FileTimeToUnix(133000000000000000);

AccountSummary Acct(const std::string& name, AccountClass c, bool enabled = true,
                    bool smartcard = false) {
  static int next_rid = 1100;
  AccountSummary a;
  a.account = name;
  a.dn = "CN=" + name + ",OU=Staff,DC=example,DC=org";
  a.object_id = "S-1-5-21-7-8-9-" + std::to_string(next_rid++);
  a.pwd_last_set = kPwdLastSetUnix;
  a.enabled = enabled;
  a.account_class = c;
  a.classes = {AccountClassName(c)};
  a.smartcard_required = smartcard;
  return a;
}

Finding Find(const AccountSummary& a, const std::string& rule, bool waived = false) {
  Finding f;
  f.rule = rule;
  f.account = a.account;
  f.dn = a.dn;
  f.enabled = a.enabled;
  f.account_class = a.account_class;
  f.waived = waived;
  return f;
}

// An in-memory directory: entries by DN, DNs whose writes are refused, and a write counter.
class FakeDirectory : public DirectoryWriter {
 public:
  std::map<std::string, std::map<std::string, std::vector<std::string>>> entries;
  std::set<std::string> deny;
  int writes = 0;

  Result<std::map<std::string, std::vector<std::string>>> ReadEntry(
      const std::string& dn, const std::vector<std::string>& attrs) override {
    auto it = entries.find(dn);
    if (it == entries.end()) return Status::NotFound("no such object: " + dn);
    return it->second;
  }
  Status ModifyReplace(const std::string& dn, const std::string& attr,
                       const std::vector<std::string>& values) override {
    if (deny.count(dn)) return Status::PermissionDenied("insufficient access on " + dn);
    auto it = entries.find(dn);
    if (it == entries.end()) return Status::NotFound("no such object: " + dn);
    std::string lower = attr;
    for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    it->second[lower] = values;
    ++writes;
    return Status::Ok();
  }
  std::string Identity() const override { return "CN=credsweep-enforce,CN=Users,DC=example,DC=org"; }
};

class EnforceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cs_enforce_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    config_.directory.flavor = "ad";
    config_.run.state_dir = (dir_ / "state").string();
    config_.log.signing_key = (dir_ / "log.key").string();
    ASSERT_TRUE(GenerateLogKeyFiles(config_.log.signing_key).ok());
    doc_.run.id = "run-2026-11";
    doc_.run.flavor = "ad";
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Adds an account (and its AD entry) with one finding; returns its DN.
  std::string Add(const AccountSummary& a, const std::string& rule = "leaked-password",
                  bool waived = false) {
    doc_.accounts.push_back(a);
    doc_.findings.push_back(Find(a, rule, waived));
    fake_.entries[a.dn] = {{"objectsid", {a.object_id}},
                           {"samaccountname", {a.account}},
                           {"pwdlastset", {kPwdLastSetFileTime}},
                           {"useraccountcontrol", {"512"}}};
    return a.dn;
  }
  // The same account as OpenLDAP holds it (entryUUID, uid, pwdChangedTime).
  void MakeOpenLdap(AccountSummary* a) {
    config_.directory.flavor = "openldap";
    doc_.run.flavor = "openldap";
    a->object_id = "0f6c6a5e-1d7e-103f-8f0c-" + a->account;
    a->pwd_last_set = 1795000000;  // 2026-11-18T11:06:40Z
  }
  void OpenLdapEntry(const AccountSummary& a) {
    fake_.entries[a.dn] = {{"entryuuid", {a.object_id}},
                           {"uid", {a.account}},
                           {"pwdchangedtime", {"20261118110640Z"}}};
  }
  void Pad(int n) {  // accounts audited without findings, to lift the default cap
    for (int i = 0; i < n; ++i) doc_.accounts.push_back(Acct("clean" + std::to_string(i), AccountClass::kRegular));
  }
  EnforceOptions ApplyOptions() {
    EnforceOptions o;
    o.apply = true;
    o.connect = [this]() -> Result<std::unique_ptr<DirectoryWriter>> {
      ++connects_;
      // Hand out a forwarding writer so the test keeps the fake's state.
      struct Fwd : DirectoryWriter {
        FakeDirectory* f;
        explicit Fwd(FakeDirectory* x) : f(x) {}
        Result<std::map<std::string, std::vector<std::string>>> ReadEntry(
            const std::string& dn, const std::vector<std::string>& a) override {
          return f->ReadEntry(dn, a);
        }
        Status ModifyReplace(const std::string& dn, const std::string& attr,
                             const std::vector<std::string>& v) override {
          return f->ModifyReplace(dn, attr, v);
        }
        std::string Identity() const override { return f->Identity(); }
      };
      return std::unique_ptr<DirectoryWriter>(new Fwd(&fake_));
    };
    return o;
  }
  VerifyReport VerifyLog() {
    auto pk = LoadLogPublicKey(config_.log.signing_key + ".pub");
    EXPECT_TRUE(pk.ok());
    auto r = VerifyActionLog(ConfiguredActionLogPath(config_), pk.value());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r.value() : VerifyReport{};
  }

  fs::path dir_;
  Config config_;
  FindingsDocument doc_;
  FakeDirectory fake_;
  int connects_ = 0;
};

TEST_F(EnforceTest, PlanForcesUsersAndSkipsWhatMustNotBeTouched) {
  Add(Acct("jdoe", AccountClass::kRegular));
  Add(Acct("adm-jdoe", AccountClass::kPrivileged));
  Add(Acct("ext-kim", AccountClass::kExternal));
  Add(Acct("svc-backup", AccountClass::kService));
  Add(Acct("krbtgt", AccountClass::kProtected));
  Add(Acct("WS01$", AccountClass::kComputer));
  Add(Acct("oldie", AccountClass::kRegular, /*enabled=*/false));
  Add(Acct("cardholder", AccountClass::kRegular, true, /*smartcard=*/true));
  AccountSummary priv_svc = Acct("svc-sql-admin", AccountClass::kPrivileged);
  priv_svc.classes = {"privileged", "service"};
  Add(priv_svc);
  Add(Acct("waived", AccountClass::kRegular), "leaked-password", /*waived=*/true);
  Add(Acct("lmonly", AccountClass::kRegular), "lm-hash-stored");

  auto plan = PlanEnforcement(config_.remediation, DirectoryFlavor::kActiveDirectory, doc_);
  ASSERT_TRUE(plan.ok());
  std::vector<std::string> forced;
  for (const auto& c : plan->changes) {
    forced.push_back(c.account);
    EXPECT_EQ(c.action, "set pwdLastSet=0");
  }
  EXPECT_EQ(forced, (std::vector<std::string>{"jdoe", "adm-jdoe", "ext-kim"}));
  std::map<std::string, std::string> skipped;
  for (const auto& s : plan->skips) skipped[s.account] = s.reason_code;
  EXPECT_EQ(skipped, (std::map<std::string, std::string>{{"svc-backup", "service"},
                                                          {"krbtgt", "protected"},
                                                          {"WS01$", "computer"},
                                                          {"oldie", "disabled"},
                                                          {"cardholder", "smartcard"},
                                                          {"svc-sql-admin", "service"}}));
}

TEST_F(EnforceTest, OneChangePerAccountWithAllItsRules) {
  AccountSummary a = Acct("jdoe", AccountClass::kRegular);
  Add(a, "empty-password");
  doc_.findings.push_back(Find(a, "leaked-password"));
  auto plan = PlanEnforcement(config_.remediation, DirectoryFlavor::kOpenLdap, doc_);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->changes.size(), 1u);
  EXPECT_EQ(plan->changes[0].rules, (std::vector<std::string>{"leaked-password", "empty-password"}));
  EXPECT_EQ(plan->changes[0].action, "set pwdReset=TRUE");
}

TEST_F(EnforceTest, LeakedHistoryHashAloneForcesNothing) {
  AccountSummary a = Acct("jdoe", AccountClass::kRegular);
  doc_.accounts.push_back(a);
  Finding f = Find(a, "leaked-password");
  f.history = true;  // an old password was leaked; the current one was not found
  doc_.findings.push_back(f);
  auto plan = PlanEnforcement(config_.remediation, DirectoryFlavor::kActiveDirectory, doc_);
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->changes.empty());
  // The current password leaked as well: now the account is forced.
  doc_.findings.push_back(Find(a, "leaked-password"));
  plan = PlanEnforcement(config_.remediation, DirectoryFlavor::kActiveDirectory, doc_);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->changes.size(), 1u);
}

TEST_F(EnforceTest, DefaultCapIsTenPercentOfEligibleAccountsAtLeastOne) {
  Add(Acct("a", AccountClass::kRegular));
  auto plan = PlanEnforcement(config_.remediation, DirectoryFlavor::kActiveDirectory, doc_);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->cap, 1u);  // 1 account audited: 10 % rounds to 0, the minimum is 1
  EXPECT_FALSE(plan->cap_exceeded);
  Pad(249);
  plan = PlanEnforcement(config_.remediation, DirectoryFlavor::kActiveDirectory, doc_);
  EXPECT_EQ(plan->cap, 25u);
  // A computer-heavy domain: 2,000 computers, 300 disabled users, service and protected
  // accounts do not raise the cap — only the 250 accounts that could be forced count.
  for (int i = 0; i < 2000; ++i) doc_.accounts.push_back(Acct("WS" + std::to_string(i) + "$", AccountClass::kComputer));
  for (int i = 0; i < 300; ++i) doc_.accounts.push_back(Acct("old" + std::to_string(i), AccountClass::kRegular, false));
  doc_.accounts.push_back(Acct("svc-x", AccountClass::kService));
  doc_.accounts.push_back(Acct("krbtgt", AccountClass::kProtected));
  doc_.run.accounts_checked = doc_.accounts.size();
  plan = PlanEnforcement(config_.remediation, DirectoryFlavor::kActiveDirectory, doc_);
  EXPECT_EQ(plan->accounts_eligible, 250u);
  EXPECT_EQ(plan->cap, 25u);
  config_.remediation.max_forced_changes = 0;
  plan = PlanEnforcement(config_.remediation, DirectoryFlavor::kActiveDirectory, doc_);
  EXPECT_TRUE(plan->cap_exceeded);
}

TEST_F(EnforceTest, ADeltaIsCappedAgainstTheDomainNotAgainstTheChangedAccounts) {
  // `run --changed`: three users changed to leaked passwords since the monthly run. The delta
  // lists only them; 3 of a 100-account domain is no mass change.
  for (const char* n : {"a", "b", "c"}) Add(Acct(n, AccountClass::kRegular));
  doc_.run.hash_material.changed_only = true;
  doc_.run.hash_material.accounts_expected = 100;
  auto plan = PlanEnforcement(config_.remediation, DirectoryFlavor::kActiveDirectory, doc_);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->cap, 10u);
  EXPECT_FALSE(plan->cap_exceeded);
  EXPECT_EQ(plan->changes.size(), 3u);
  // The same three as a full run of three accounts would be held to the minimum cap of 1.
  doc_.run.hash_material.changed_only = false;
  plan = PlanEnforcement(config_.remediation, DirectoryFlavor::kActiveDirectory, doc_);
  EXPECT_TRUE(plan->cap_exceeded);
}

TEST_F(EnforceTest, MassChangeIsRefusedBeforeConnectingUnlessAllowed) {
  Pad(15);  // 18 audited -> cap 1
  Add(Acct("a", AccountClass::kRegular));
  Add(Acct("b", AccountClass::kRegular));
  Add(Acct("c", AccountClass::kRegular));
  auto r = RunEnforce(config_, doc_, ApplyOptions());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(ExitCodeFor(r.status()), kExitRuntime);
  EXPECT_NE(r.status().message().find("--allow-mass-change"), std::string::npos);
  EXPECT_EQ(connects_, 0);
  EXPECT_EQ(fake_.writes, 0);

  // A dry run over the cap still shows the plan.
  auto dry = RunEnforce(config_, doc_, EnforceOptions{});
  ASSERT_TRUE(dry.ok());
  EXPECT_TRUE(dry->plan.cap_exceeded);
  EXPECT_EQ(dry->results.size(), 3u);

  EnforceOptions o = ApplyOptions();
  o.allow_mass_change = true;
  auto ok = RunEnforce(config_, doc_, o);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->applied_count, 3u);
  EXPECT_EQ(fake_.writes, 3);
}

TEST_F(EnforceTest, DryRunWritesNothingAnywhere) {
  Add(Acct("jdoe", AccountClass::kRegular));
  EnforceOptions o = ApplyOptions();
  o.apply = false;
  auto r = RunEnforce(config_, doc_, o);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->applied);
  ASSERT_EQ(r->results.size(), 1u);
  EXPECT_EQ(r->results[0].outcome, ChangeOutcome::kPlanned);
  EXPECT_EQ(connects_, 0);
  EXPECT_FALSE(fs::exists(ConfiguredActionLogPath(config_)));
}

TEST_F(EnforceTest, ApplyWritesLogsAndASecondRunChangesNothing) {
  Pad(20);
  const std::string jdoe = Add(Acct("jdoe", AccountClass::kRegular));
  Add(Acct("svc-backup", AccountClass::kService));
  auto first = RunEnforce(config_, doc_, ApplyOptions());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->applied_count, 1u);
  EXPECT_FALSE(first->any_failed());
  EXPECT_EQ(fake_.entries[jdoe]["pwdlastset"], std::vector<std::string>{"0"});
  EXPECT_EQ(fake_.writes, 1);
  // The service account is untouched.
  EXPECT_EQ(fake_.entries["CN=svc-backup,OU=Staff,DC=example,DC=org"]["pwdlastset"],
            std::vector<std::string>{"133000000000000000"});

  auto second = RunEnforce(config_, doc_, ApplyOptions());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->applied_count, 0u);
  EXPECT_EQ(second->already_pending, 1u);
  EXPECT_EQ(fake_.writes, 1);

  VerifyReport v = VerifyLog();
  EXPECT_TRUE(v.ok) << v.problem;
  // Run 1: skip(svc) + intent + force-change(jdoe); run 2: skip(svc) + skip(already pending).
  EXPECT_EQ(v.entries_verified, 5u);
  EXPECT_EQ(v.head_hash, second->log_head);
}

TEST_F(EnforceTest, OneFailedWriteDoesNotStopTheRest) {
  Pad(30);
  const std::string a = Add(Acct("a", AccountClass::kRegular));
  const std::string b = Add(Acct("b", AccountClass::kRegular));
  const std::string c = Add(Acct("c", AccountClass::kRegular));
  fake_.deny.insert(a);
  fake_.entries.erase(b);  // renamed, moved or deleted since the audit
  auto r = RunEnforce(config_, doc_, ApplyOptions());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->any_failed());
  EXPECT_EQ(r->failed, 1u);
  EXPECT_EQ(r->skipped_at_apply, 1u);
  EXPECT_EQ(r->applied_count, 1u);
  EXPECT_EQ(fake_.entries[c]["pwdlastset"], std::vector<std::string>{"0"});
  EXPECT_NE(r->results[0].message.find("insufficient access"), std::string::npos);
  EXPECT_NE(r->results[1].message.find("no object at this DN any more"), std::string::npos);
  // a: intent + failed; b: skip; c: intent + force-change.
  EXPECT_EQ(VerifyLog().entries_verified, 5u);
}

TEST_F(EnforceTest, RecheckSkipsAccountsDisabledSinceTheAudit) {
  Pad(20);
  const std::string a = Add(Acct("a", AccountClass::kRegular));
  fake_.entries[a]["useraccountcontrol"] = {"514"};  // 512 | ACCOUNTDISABLE
  auto r = RunEnforce(config_, doc_, ApplyOptions());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->skipped_at_apply, 1u);
  EXPECT_EQ(fake_.writes, 0);
}

TEST_F(EnforceTest, OpenLdapSetsPwdResetOnce) {
  Pad(20);
  AccountSummary acct = Acct("a", AccountClass::kRegular);
  MakeOpenLdap(&acct);
  const std::string a = Add(acct);
  OpenLdapEntry(acct);
  auto r = RunEnforce(config_, doc_, ApplyOptions());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(fake_.entries[a]["pwdreset"], std::vector<std::string>{"TRUE"});
  auto again = RunEnforce(config_, doc_, ApplyOptions());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->already_pending, 1u);
  EXPECT_EQ(fake_.writes, 1);
}

// ---- re-checks at apply time: the object, its password and its protection -------------------

// Runs enforce once and returns the one change's result.
#define APPLY_ONE(r)                                          \
  auto r##_rep = RunEnforce(config_, doc_, ApplyOptions());   \
  ASSERT_TRUE(r##_rep.ok()) << r##_rep.status().ToString();   \
  ASSERT_EQ(r##_rep->results.size(), 1u);                     \
  const ChangeResult& r = r##_rep->results[0]

TEST_F(EnforceTest, AnOldPlanAfterThePasswordChangedForcesNothing) {
  Pad(20);
  const std::string dn = Add(Acct("jdoe", AccountClass::kRegular));
  fake_.entries[dn]["pwdlastset"] = {"134000000000000000"};  // she changed it after the audit
  APPLY_ONE(r);
  EXPECT_EQ(r.outcome, ChangeOutcome::kSkipped);
  EXPECT_NE(r.message.find("password was changed after the audit"), std::string::npos) << r.message;
  EXPECT_EQ(fake_.writes, 0);
  const VerifyReport v = VerifyLog();
  EXPECT_EQ(v.entries_verified, 1u);  // the skip, with its reason
}

TEST_F(EnforceTest, OpenLdapPasswordChangeAfterTheAuditForcesNothing) {
  Pad(20);
  AccountSummary acct = Acct("kim", AccountClass::kRegular);
  MakeOpenLdap(&acct);
  const std::string dn = Add(acct);
  OpenLdapEntry(acct);
  fake_.entries[dn]["pwdchangedtime"] = {"20261201090000Z"};
  APPLY_ONE(r);
  EXPECT_EQ(r.outcome, ChangeOutcome::kSkipped);
  EXPECT_EQ(fake_.writes, 0);
}

TEST_F(EnforceTest, AnotherObjectAtTheDnOrARenameIsNotForced) {
  Pad(20);
  const std::string dn = Add(Acct("jdoe", AccountClass::kRegular));
  fake_.entries[dn]["objectsid"] = {"S-1-5-21-7-8-9-4242"};  // deleted and re-created
  {
    APPLY_ONE(r);
    EXPECT_EQ(r.outcome, ChangeOutcome::kSkipped);
    EXPECT_NE(r.message.find("another object now has this DN"), std::string::npos) << r.message;
  }
  fake_.entries[dn]["objectsid"] = {doc_.accounts.back().object_id};
  fake_.entries[dn]["samaccountname"] = {"jdoe-old"};
  {
    APPLY_ONE(r);
    EXPECT_EQ(r.outcome, ChangeOutcome::kSkipped);
    EXPECT_NE(r.message.find("renamed since the audit"), std::string::npos) << r.message;
  }
  EXPECT_EQ(fake_.writes, 0);
}

TEST_F(EnforceTest, UnreadableUserAccountControlIsNeverTakenAsZero) {
  Pad(20);
  const std::string dn = Add(Acct("jdoe", AccountClass::kRegular));
  fake_.entries[dn].erase("useraccountcontrol");  // e.g. the bind account may not read it
  APPLY_ONE(r);
  EXPECT_EQ(r.outcome, ChangeOutcome::kSkipped);
  EXPECT_NE(r.message.find("userAccountControl cannot be read"), std::string::npos);
  EXPECT_EQ(fake_.writes, 0);
}

TEST_F(EnforceTest, ProtectionIsCheckedAgainAtApplyTime) {
  Pad(20);
  AccountSummary boss = Acct("boss", AccountClass::kRegular);
  boss.object_id = "S-1-5-21-7-8-9-500";  // the built-in Administrator, renamed
  const std::string dn = Add(boss);
  {
    APPLY_ONE(r);
    EXPECT_EQ(r.outcome, ChangeOutcome::kSkipped);
    EXPECT_NE(r.message.find("protected"), std::string::npos);
  }
  doc_ = FindingsDocument{};
  doc_.run.flavor = "ad";
  Pad(20);
  Add(Acct("breakglass", AccountClass::kRegular));
  config_.classify.protected_accounts = {"BreakGlass"};  // protected after the audit
  {
    APPLY_ONE(r);
    EXPECT_EQ(r.outcome, ChangeOutcome::kSkipped);
  }
  EXPECT_EQ(fake_.writes, 0);
}

TEST_F(EnforceTest, FindingsWithoutIdentityForceNothing) {
  Pad(20);
  AccountSummary a = Acct("jdoe", AccountClass::kRegular);
  a.object_id.clear();  // findings.json from before identities were recorded
  Add(a);
  APPLY_ONE(r);
  EXPECT_EQ(r.outcome, ChangeOutcome::kSkipped);
  EXPECT_NE(r.message.find("re-run the audit"), std::string::npos);
  EXPECT_EQ(fake_.writes, 0);
}

TEST_F(EnforceTest, TheIntentIsInTheLogBeforeTheDirectoryWrite) {
  Pad(20);
  const std::string dn = Add(Acct("jdoe", AccountClass::kRegular));
  // A directory that looks at the action log at the moment of the write.
  struct Watching : FakeDirectory {
    std::string log_path;
    std::string* last_line_at_write = nullptr;
    Status ModifyReplace(const std::string& d, const std::string& attr,
                         const std::vector<std::string>& v) override {
      std::ifstream in(log_path);
      for (std::string line; std::getline(in, line);) *last_line_at_write = line;
      return FakeDirectory::ModifyReplace(d, attr, v);
    }
  };
  std::string last_line;
  EnforceOptions o = ApplyOptions();
  o.connect = [&]() -> Result<std::unique_ptr<DirectoryWriter>> {
    auto w = std::make_unique<Watching>();
    w->entries = fake_.entries;
    w->log_path = ConfiguredActionLogPath(config_);
    w->last_line_at_write = &last_line;
    return std::unique_ptr<DirectoryWriter>(std::move(w));
  };
  auto r = RunEnforce(config_, doc_, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->applied_count, 1u);
  EXPECT_NE(last_line.find("\"action\":\"force-change-intent\""), std::string::npos) << last_line;
  EXPECT_NE(last_line.find(dn), std::string::npos);
  const VerifyReport v = VerifyLog();
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_TRUE(v.unfinished.empty());  // the outcome followed
}

TEST_F(EnforceTest, ApplyWithoutSigningKeyIsRefusedBeforeConnecting) {
  Add(Acct("a", AccountClass::kRegular));
  config_.log.signing_key.clear();
  auto r = RunEnforce(config_, doc_, ApplyOptions());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("log keygen"), std::string::npos);
  EXPECT_EQ(connects_, 0);
}

TEST_F(EnforceTest, FlavorMismatchIsRefused) {
  Add(Acct("a", AccountClass::kRegular));
  doc_.run.flavor = "openldap";
  auto r = RunEnforce(config_, doc_, ApplyOptions());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(EnforceTest, BadLogTailIsRefusedBeforeAnyChange) {
  Pad(30);
  Add(Acct("a", AccountClass::kRegular));
  // A truncated log must not be extended, and no change may be made that could not be logged.
  fs::create_directories(config_.run.state_dir);
  { std::ofstream(ConfiguredActionLogPath(config_)) << "{\"partial"; }
  auto r = RunEnforce(config_, doc_, ApplyOptions());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(connects_, 0);
  EXPECT_EQ(fake_.writes, 0);
}

}  // namespace
}  // namespace credsweep
