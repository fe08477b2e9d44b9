#include "connectors/directory/directory_reader.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "connectors/directory/ldif_reader.h"
#include "engine/base/test_temp_dir.h"
#include "engine/base/time_util.h"

namespace credsweep {
namespace {

LdapEntry E(std::string dn, LdapAttrs attrs) {
  return LdapEntry{std::move(dn), std::move(attrs)};
}

const Account* Find(const DirectorySnapshot& s, const std::string& name) {
  for (const auto& a : s.accounts)
    if (a.name == name) return &a;
  return nullptr;
}

bool HasGroup(const Account& a, const std::string& dn) {
  return std::find(a.groups.begin(), a.groups.end(), dn) != a.groups.end();
}

// objectSid S-1-5-21-2617927073-3705314416-2862198551-RID, binary.
std::string Sid(uint32_t rid) {
  std::string s = {1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0};
  for (uint32_t sub : {2617927073u, 3705314416u, 2862198551u, rid})
    for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((sub >> (8 * i)) & 0xff));
  return s;
}

TEST(BuildSnapshotTest, ActiveDirectoryAccountsFlagsTimesAndNestedGroups) {
  const int64_t expiry = 1798761600;  // 2027-01-01T00:00:00Z
  std::vector<LdapEntry> entries = {
      E("CN=Jane Doe,OU=Staff,DC=c", {{"objectclass", {"top", "person", "user"}},
                                      {"samaccountname", {"jdoe"}},
                                      {"objectsid", {Sid(1105)}},
                                      {"displayname", {"Jane Doe"}},
                                      {"mail", {"jdoe@c"}},
                                      {"useraccountcontrol", {"66048"}},  // NORMAL|DONT_EXPIRE
                                      {"accountexpires", {"9223372036854775807"}},
                                      {"pwdlastset", {"0"}},
                                      {"lastlogontimestamp", {std::to_string(UnixToFileTime(1700000000))}},
                                      {"employeetype", {"consultant"}},
                                      {"primarygroupid", {"513"}}}),
      E("CN=adm-jdoe,OU=Admins,DC=c", {{"objectclass", {"user"}},
                                       {"samaccountname", {"adm-jdoe"}},
                                       {"useraccountcontrol", {"4194818"}},  // DISABLE|NORMAL|NOPREAUTH
                                       {"accountexpires", {std::to_string(UnixToFileTime(expiry))}},
                                       {"serviceprincipalname", {"HTTP/web.c", "HTTP/web"}}}),
      E("CN=WS01,CN=Computers,DC=c", {{"objectclass", {"top", "user", "computer"}},
                                      {"samaccountname", {"WS01$"}},
                                      {"useraccountcontrol", {"4096"}},
                                      {"accountexpires", {"0"}}}),
      E("CN=NoName,DC=c", {{"objectclass", {"user"}}}),
      E("CN=BadTime,DC=c", {{"objectclass", {"user"}}, {"samaccountname", {"badtime"}},
                            {"accountexpires", {"soon"}}}),
      E("CN=Domain Users,CN=Users,DC=c", {{"objectclass", {"group"}}, {"samaccountname", {"Domain Users"}},
                                          {"objectsid", {Sid(513)}}}),
      E("CN=Tier0,DC=c", {{"objectclass", {"group"}}, {"samaccountname", {"Tier0"}},
                          {"member;range=0-0", {"cn=helpdesk admins,dc=c"}}}),  // lower-cased DN
      E("CN=Helpdesk Admins,DC=c", {{"objectclass", {"group"}}, {"cn", {"Helpdesk Admins"}},
                                    {"managedby", {"CN=Jane Doe,OU=Staff,DC=c"}},
                                    {"member", {"CN=adm-jdoe,OU=Admins,DC=c", "CN=Tier0,DC=c"}}}),
      E("OU=Staff,DC=c", {{"objectclass", {"organizationalUnit"}}}),
  };
  // objectSid is asked for but never kept (it is parsed into rid and object_id).
  DirectorySnapshot s = BuildSnapshot(entries, DirectoryFlavor::kActiveDirectory, "ldaps://dc",
                                      nullptr, {"employeeType", "objectSid"});
  ASSERT_EQ(s.accounts.size(), 3u);
  ASSERT_EQ(s.groups.size(), 3u);
  ASSERT_EQ(s.skipped.size(), 2u);
  EXPECT_EQ(s.skipped[0].dn, "CN=NoName,DC=c");
  EXPECT_EQ(s.skipped[0].reason, "no sAMAccountName");
  EXPECT_EQ(s.skipped[1].reason, "accountExpires is not a FILETIME");

  const Account* j = Find(s, "jdoe");
  ASSERT_NE(j, nullptr);
  EXPECT_EQ(j->rid, 1105u);
  EXPECT_TRUE(j->enabled);
  EXPECT_EQ(j->uac & kUacDontExpirePassword, kUacDontExpirePassword);
  EXPECT_FALSE(j->expires.has_value()) << "0x7FFF… means never";
  EXPECT_EQ(j->pwd_last_set, 0) << "pwdLastSet 0 = must change, kept distinct from never";
  EXPECT_EQ(j->last_logon, 1700000000);
  EXPECT_EQ(j->employee_type, "consultant");
  EXPECT_EQ(j->groups, std::vector<std::string>{"CN=Domain Users,CN=Users,DC=c"})
      << "primary group counts";
  EXPECT_EQ(j->attributes.count("objectsid"), 0u);
  EXPECT_EQ(j->attributes.at("employeetype")[0], "consultant");
  EXPECT_EQ(j->attributes.size(), 1u) << "only the attributes asked for are kept";

  const Account* adm = Find(s, "adm-jdoe");
  ASSERT_NE(adm, nullptr);
  EXPECT_FALSE(adm->enabled);
  EXPECT_EQ(adm->uac & kUacDontReqPreauth, kUacDontReqPreauth);
  EXPECT_EQ(adm->expires, expiry);
  EXPECT_EQ(adm->spns.size(), 2u);
  EXPECT_FALSE(adm->pwd_last_set.has_value());
  // Nested and cyclic: adm-jdoe ∈ Helpdesk Admins ∈ Tier0 ∈ Helpdesk Admins …
  EXPECT_EQ(adm->groups.size(), 2u);
  EXPECT_TRUE(HasGroup(*adm, "CN=Helpdesk Admins,DC=c"));
  EXPECT_TRUE(HasGroup(*adm, "CN=Tier0,DC=c"));

  const Account* ws = Find(s, "WS01$");
  ASSERT_NE(ws, nullptr);
  EXPECT_TRUE(ws->is_computer);
  EXPECT_FALSE(ws->expires.has_value()) << "accountExpires 0 means never";

  const Group& tier0 = s.groups[1];
  EXPECT_EQ(tier0.member_dns, std::vector<std::string>{"cn=helpdesk admins,dc=c"})
      << "member;range= folded into member";
  EXPECT_EQ(s.groups[2].managed_by_dn, "CN=Jane Doe,OU=Staff,DC=c");
}

TEST(BuildSnapshotTest, OpenLdapSambaFlagsExpiryPpolicyAndHashes) {
  const std::string nt_hex = "8846F7EAEE8FB117AD06BDD830B7586C";  // NT("password")
  std::vector<LdapEntry> entries = {
      E("uid=alice,ou=people,dc=x", {{"objectclass", {"inetOrgPerson", "posixAccount", "sambaSamAccount"}},
                                     {"uid", {"alice"}},
                                     {"cn", {"Alice A"}},
                                     {"sambasid", {"S-1-5-21-1-2-3-1201"}},
                                     {"sambaacctflags", {"[UX         ]"}},
                                     {"sambantpassword", {nt_hex}},
                                     {"sambalmpassword", {"AAD3B435B51404EEAAD3B435B51404EE"}},
                                     {"userpassword", {"{SSHA}secret"}},
                                     {"sambakickofftime", {"1798761600"}},
                                     {"shadowexpire", {"20000"}},  // 2024-10-04: earlier, wins
                                     {"pwdreset", {"TRUE"}},
                                     {"employeenumber", {"E-17"}},
                                     {"gidnumber", {"5000"}}}),
      E("uid=bob,ou=people,dc=x", {{"objectclass", {"inetOrgPerson", "sambaSamAccount"}},
                                   {"uid", {"bob"}},
                                   {"sambaacctflags", {"[DNU        ]"}},
                                   {"sambantpassword", {"not-a-hash"}},
                                   {"sambakickofftime", {"2147483647"}}}),
      E("uid=carol,ou=people,dc=x", {{"objectclass", {"inetOrgPerson"}},
                                     {"uid", {"carol"}},
                                     {"pwdaccountlockedtime", {"000001010000Z"}},
                                     {"pwdchangedtime", {"20240102030405Z"}}}),
      E("cn=nouid,ou=people,dc=x", {{"objectclass", {"inetOrgPerson"}}, {"cn", {"x"}}}),
      E("cn=staff,ou=groups,dc=x", {{"objectclass", {"posixGroup"}}, {"cn", {"staff"}},
                                    {"gidnumber", {"5000"}}, {"memberuid", {"bob", "ghost"}}}),
      E("cn=admins,ou=groups,dc=x", {{"objectclass", {"groupOfNames"}}, {"cn", {"admins"}},
                                     {"owner", {"uid=carol,ou=people,dc=x"}},
                                     {"member", {"cn=staff,ou=groups,dc=x"}}}),
  };
  HashDump hashes = HashDump::Empty();
  // Secret attributes are never kept, even when asked for.
  DirectorySnapshot s = BuildSnapshot(entries, DirectoryFlavor::kOpenLdap, "ldap://x", &hashes,
                                      {"sambaNTPassword", "userPassword"});
  ASSERT_EQ(s.accounts.size(), 3u);
  ASSERT_EQ(s.skipped.size(), 2u);
  EXPECT_EQ(s.skipped[0].dn, "uid=bob,ou=people,dc=x");
  EXPECT_NE(s.skipped[0].reason.find("sambaNTPassword"), std::string::npos);
  EXPECT_EQ(s.skipped[0].reason.find("not-a-hash"), std::string::npos);
  EXPECT_EQ(s.skipped[1].reason, "no uid");

  const Account* alice = Find(s, "alice");
  ASSERT_NE(alice, nullptr);
  EXPECT_EQ(alice->rid, 1201u);
  EXPECT_EQ(alice->display_name, "Alice A");
  EXPECT_EQ(alice->employee_id, "E-17");
  EXPECT_EQ(alice->uac, kUacNormalAccount | kUacDontExpirePassword);
  EXPECT_TRUE(alice->enabled);
  EXPECT_EQ(alice->expires, 20000LL * 86400);
  EXPECT_TRUE(alice->pwd_reset_pending);
  EXPECT_EQ(alice->attributes.count("sambantpassword"), 0u);
  EXPECT_EQ(alice->attributes.count("userpassword"), 0u);
  // Primary posix group by gidNumber, then nesting into admins.
  EXPECT_EQ(alice->groups, (std::vector<std::string>{"cn=staff,ou=groups,dc=x", "cn=admins,ou=groups,dc=x"}));

  const Account* bob = Find(s, "bob");
  ASSERT_NE(bob, nullptr);
  EXPECT_FALSE(bob->enabled);
  EXPECT_EQ(bob->uac & kUacPasswdNotReqd, kUacPasswdNotReqd);
  EXPECT_FALSE(bob->expires.has_value()) << "2^31-1 is Samba's never";
  EXPECT_TRUE(HasGroup(*bob, "cn=admins,ou=groups,dc=x")) << "memberUid resolved, then nested";

  const Account* carol = Find(s, "carol");
  ASSERT_NE(carol, nullptr);
  EXPECT_FALSE(carol->enabled) << "permanent ppolicy lock";
  EXPECT_EQ(carol->pwd_last_set, 1704164645);
  EXPECT_TRUE(carol->groups.empty());
  EXPECT_EQ(s.groups[1].managed_by_dn, "uid=carol,ou=people,dc=x");
  EXPECT_EQ(s.groups[0].member_dns, std::vector<std::string>{"uid=bob,ou=people,dc=x"});

  ASSERT_EQ(hashes.records().size(), 1u);
  EXPECT_EQ(hashes.records()[0].account, "alice");
  EXPECT_EQ(hashes.records()[0].rid, 1201u);
  EXPECT_EQ(*hashes.records()[0].nt, *ParseNtHashHex(nt_hex));
  EXPECT_EQ(hashes.records()[0].lm, nullptr);
  // The raw entry no longer holds the secret.
  EXPECT_TRUE(entries[0].attrs["sambantpassword"].empty());
  EXPECT_TRUE(entries[0].attrs["userpassword"].empty());
}

TEST(ReadDirectoryTest, LdifSourceFollowsFlavorAndReportsBadFile) {
  char path[] = "/tmp/dir_reader_test_XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << "dn: uid=a,dc=x\nobjectClass: inetOrgPerson\nuid: a\n"
                         "sambaNTPassword: 8846F7EAEE8FB117AD06BDD830B7586C\n\n"
                         "dn: uid=b,dc=x\nobjectClass: inetOrgPerson\nbroken line\n";
  Config cfg;
  cfg.directory.url = std::string("ldif:") + path;
  cfg.directory.flavor = "openldap";
  HashDump hashes = HashDump::Empty();
  auto snap = ReadDirectory(cfg, &hashes);
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  EXPECT_EQ(snap->accounts.size(), 1u);
  EXPECT_EQ(snap->skipped.size(), 1u);
  EXPECT_EQ(snap->source, cfg.directory.url);
  EXPECT_EQ(hashes.records().size(), 1u);

  cfg.directory.flavor = "ad";  // same file read as AD: no sAMAccountName, no hashes taken
  HashDump none = HashDump::Empty();
  auto as_ad = ReadDirectory(cfg, &none);
  ASSERT_TRUE(as_ad.ok());
  EXPECT_TRUE(as_ad->accounts.empty());
  EXPECT_TRUE(none.records().empty());
  unlink(path);

  EXPECT_EQ(ReadDirectory(cfg, nullptr).status().code(), StatusCode::kIOError);
  cfg.directory.flavor = "novell";
  EXPECT_EQ(ReadDirectory(cfg, nullptr).status().code(), StatusCode::kInvalidArgument);
}

// A large AD export is read in two pieces on two threads; the snapshot must be the one a
// single pass gives: accounts and groups in file order, membership closed across the cut
// (groups in one half listing members and groups of the other), skipped entries and their line
// numbers.
TEST(ReadDirectoryTest, LargeLdifReadInTwoPiecesGivesTheSinglePassSnapshot) {
  std::string text = "version: 1\n\n";
  const int n = 4000;  // u3000 has a bad pwdLastSet (skipped by the builder), u3500 a bad line
  auto group = [&](const std::string& name, const std::vector<std::string>& members) {
    text += "dn: CN=" + name + ",OU=G,DC=x\nobjectClass: group\nsAMAccountName: " + name + "\n";
    for (const auto& m : members) text += "member: " + m + "\n";
    text += "\n";
  };
  group("early", {"CN=u3900,OU=U,DC=x", "CN=late,OU=G,DC=x"});  // members from the second half
  for (int i = 0; i < n; ++i) {
    const std::string u = "u" + std::to_string(i);
    text += "dn: CN=" + u + ",OU=U,DC=x\nobjectClass: user\nsAMAccountName: " + u +
            "\nuserAccountControl: " + std::to_string(i % 3 == 0 ? 514 : 512) +
            "\npwdLastSet: " +
            (i == 3000 ? std::string("soon") : std::to_string(133000000000000000LL + i)) +
            "\nmail: " + u + "@x.example\ndescription: " + std::string(150, 'd') + "\n";
    if (i == 3500) text += "broken line\n";                          // skipped by the parser
    text += "\n";
  }
  group("late", {"CN=u1,OU=U,DC=x", "CN=inner,OU=G,DC=x"});  // members from the first half
  group("inner", {"CN=u2,OU=U,DC=x"});
  ASSERT_GT(text.size(), 2u * 512 * 1024);  // past the two-piece threshold
  const std::string path = MakeTestTempDir("cs_dir_pieces") + "/big.ldif";
  std::ofstream(path) << text;
  Config cfg;
  cfg.directory.url = "ldif:" + path;
  cfg.directory.flavor = "ad";
  auto split = ReadDirectory(cfg, nullptr);
  ASSERT_TRUE(split.ok()) << split.status().ToString();

  LdifParseResult parsed = ParseLdif(text, path);
  DirectorySnapshot one = BuildSnapshot(parsed.entries, DirectoryFlavor::kActiveDirectory,
                                        cfg.directory.url, nullptr);
  one.skipped.insert(one.skipped.begin(), parsed.skipped.begin(), parsed.skipped.end());

  ASSERT_EQ(split->accounts.size(), static_cast<size_t>(n - 2));
  ASSERT_EQ(split->accounts.size(), one.accounts.size());
  for (size_t i = 0; i < one.accounts.size(); ++i) {
    const Account& a = split->accounts[i];
    const Account& b = one.accounts[i];
    ASSERT_EQ(a.dn, b.dn) << i;
    ASSERT_EQ(a.name, b.name);
    ASSERT_EQ(a.uac, b.uac);
    ASSERT_EQ(a.enabled, b.enabled);
    ASSERT_EQ(a.pwd_last_set, b.pwd_last_set);
    ASSERT_EQ(a.mail, b.mail);
    ASSERT_EQ(a.groups, b.groups) << a.dn;
  }
  // u1 is in "late" (second half) and through it nowhere else; u2 in "inner" and, through
  // "late" and "early" (first half), in all three.
  EXPECT_EQ(split->accounts[1].groups,
            (std::vector<std::string>{"CN=late,OU=G,DC=x", "CN=early,OU=G,DC=x"}));
  EXPECT_EQ(split->accounts[2].groups.size(), 3u);
  ASSERT_EQ(split->groups.size(), one.groups.size());
  for (size_t i = 0; i < one.groups.size(); ++i) {
    EXPECT_EQ(split->groups[i].dn, one.groups[i].dn);
    EXPECT_EQ(split->groups[i].member_dns, one.groups[i].member_dns);
  }
  ASSERT_EQ(split->skipped.size(), 2u);
  ASSERT_EQ(split->skipped.size(), one.skipped.size());
  for (size_t i = 0; i < one.skipped.size(); ++i) {
    EXPECT_EQ(split->skipped[i].dn, one.skipped[i].dn);
    EXPECT_EQ(split->skipped[i].reason, one.skipped[i].reason);
  }
  EXPECT_NE(split->skipped[0].reason.find(path + ":"), std::string::npos);  // file:line
}

// A directory large enough that the membership closure runs on two threads (from 20 000
// accounts): every account gets exactly the groups a plain walk of the member lists gives,
// nested and cyclic nesting included, in breadth-first order from its direct groups.
TEST(ReadDirectoryTest, MembershipClosureOfALargeDirectoryIsThatOfAPlainWalk) {
  constexpr int kAccounts = 30000, kGroups = 300;
  auto gdn = [](int g) { return "CN=g" + std::to_string(g) + ",OU=G,DC=x"; };
  auto udn = [](int i) { return "cn=U" + std::to_string(i) + ",ou=u,dc=X"; };  // other case
  // Group g holds the accounts i with i % kGroups == g, and is itself a member of group
  // (g - 1) / 3 (a tree); group 0 is a member of group 299 (a cycle through the root).
  std::vector<std::vector<int>> parents(kGroups);
  for (int g = 1; g < kGroups; ++g) parents[g].push_back((g - 1) / 3);
  parents[0].push_back(299);
  std::string text = "version: 1\n\n";
  for (int i = 0; i < kAccounts; ++i) {
    text += "dn: CN=u" + std::to_string(i) + ",OU=U,DC=x\nobjectClass: user\nsAMAccountName: u" +
            std::to_string(i) + "\nuserAccountControl: 512\n\n";
  }
  for (int g = 0; g < kGroups; ++g) {
    text += "dn: " + gdn(g) + "\nobjectClass: group\nsAMAccountName: g" + std::to_string(g) + "\n";
    for (int i = g; i < kAccounts; i += kGroups) text += "member: " + udn(i) + "\n";
    for (int c = 0; c < kGroups; ++c) {
      for (int p : parents[c]) {
        if (p == g) text += "member: " + gdn(c) + "\n";
      }
    }
    text += "\n";
  }
  LdifParseResult parsed = ParseLdif(text, "big.ldif");
  DirectorySnapshot snap =
      BuildSnapshot(parsed.entries, DirectoryFlavor::kActiveDirectory, "ldif:big.ldif", nullptr);
  ASSERT_EQ(snap.accounts.size(), static_cast<size_t>(kAccounts));
  for (int i = 0; i < kAccounts; ++i) {
    std::vector<std::string> want;
    std::vector<bool> seen(kGroups, false);
    std::vector<int> queue = {i % kGroups};
    seen[i % kGroups] = true;
    for (size_t q = 0; q < queue.size(); ++q) {
      want.push_back(gdn(queue[q]));
      for (int p : parents[queue[q]]) {
        if (!seen[p]) {
          seen[p] = true;
          queue.push_back(p);
        }
      }
    }
    ASSERT_EQ(snap.accounts[i].groups, want) << snap.accounts[i].dn;
  }
  // Account 0 is in the root g0, and through the cycle in g299 and its chain back to the root:
  // each group once.
  EXPECT_EQ(snap.accounts[0].groups,
            (std::vector<std::string>{gdn(0), gdn(299), gdn(99), gdn(32), gdn(10), gdn(3)}));
}

TEST(LdapConnectionTest, ConfigErrorsAndUnreachableServer) {
  DirectoryConfig dc;
  dc.url = "http://dc.example";
  EXPECT_EQ(LdapConnection::Connect(dc).status().code(), StatusCode::kInvalidArgument);

  dc.url = "ldaps://127.0.0.1:1";  // nothing listens on port 1
  dc.bind_dn = "CN=svc,DC=x";
  dc.bind_password_file = "/nonexistent/pw";
  EXPECT_EQ(LdapConnection::Connect(dc).status().code(), StatusCode::kNotFound);
  // A DN with an empty password would be an anonymous bind: refused before the network.
  const std::string pw = MakeTestTempDir("cs_ldap_pw") + "/pw";
  { std::ofstream(pw) << "\n"; }
  chmod(pw.c_str(), 0600);
  dc.bind_password_file = pw;
  Result<std::unique_ptr<LdapConnection>> empty = LdapConnection::Connect(dc);
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(empty.status().message().find("empty password"), std::string::npos);
  // A password file others can read is refused, naming the fix.
  { std::ofstream(pw) << "S3cret-Bind\n"; }
  chmod(pw.c_str(), 0644);
  Result<std::unique_ptr<LdapConnection>> loose = LdapConnection::Connect(dc);
  EXPECT_EQ(loose.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(loose.status().message().find("chmod 600"), std::string::npos);
  EXPECT_EQ(loose.status().message().find("S3cret"), std::string::npos);

  dc.bind_dn.clear();
  dc.bind_password_file.clear();
  dc.timeout_seconds = 3;
  auto r = LdapConnection::Connect(dc);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("ldaps://127.0.0.1:1"), std::string::npos)
      << r.status().message();

  dc.ca_file = "/nonexistent/ca.pem";
  auto bad_ca = LdapConnection::Connect(dc);
  EXPECT_EQ(bad_ca.status().code(), StatusCode::kInvalidArgument) << bad_ca.status().ToString();
  EXPECT_NE(bad_ca.status().message().find("/nonexistent/ca.pem"), std::string::npos);

  dc.ca_file.clear();
  dc.bind_dn = "CN=svc,DC=x";
  unsetenv("CREDSWEEP_BIND_PASSWORD");
  auto no_pw = LdapConnection::Connect(dc);
  EXPECT_EQ(no_pw.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(no_pw.status().message().find("CREDSWEEP_BIND_PASSWORD"), std::string::npos);

  Config cfg;
  cfg.directory.url = "ldaps://127.0.0.1:1";
  EXPECT_EQ(ReadDirectory(cfg, nullptr).status().code(), StatusCode::kInvalidArgument)
      << "an LDAP url needs directory.base";
}

}  // namespace
}  // namespace credsweep
