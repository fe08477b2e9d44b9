#include "connectors/directory/directory_reader.h"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <thread>
#include <unordered_map>
#include <cstdint>

#include "connectors/directory/ldif_reader.h"
#include "engine/base/ascii.h"
#include "engine/base/file_util.h"
#include "engine/base/time_util.h"

namespace credsweep {
namespace {

using Attrs = LdapAttrs;

// Attributes whose values are secrets: they feed hashes_out at most, are wiped from the raw
// entry, and never reach Account::attributes, a message or a log.
bool IsSecret(std::string_view lower_attr) {
  static constexpr std::string_view kSecret[] = {
      "userpassword",  "sambantpassword",          "sambalmpassword", "sambapasswordhistory",
      "unicodepwd",    "supplementalcredentials",  "dbcspwd",         "ntpwdhistory",
      "lmpwdhistory",  "sambacleartextpassword"};
  return std::find(std::begin(kSecret), std::end(kSecret), lower_attr) != std::end(kSecret);
}

void Wipe(std::vector<std::string>& values) {
  for (auto& v : values) sodium_memzero(v.data(), v.size());
  values.clear();
}

// Folds "member;range=0-1499" (and any ";binary" style option) into the base name, so LDIF
// exports of ranged reads and live reads look the same to the mapper.
void FoldOptions(Attrs& attrs) {
  std::vector<std::string> optioned;
  for (const auto& [k, v] : attrs)
    if (k.find(';') != std::string::npos) optioned.push_back(k);
  for (const auto& k : optioned) {
    auto node = attrs.extract(k);
    auto& dst = attrs[k.substr(0, k.find(';'))];
    for (auto& v : node.mapped()) dst.push_back(std::move(v));
  }
}

const std::string* First(const Attrs& a, std::string_view key) {
  auto it = a.find(key);
  if (it == a.end() || it->second.empty()) return nullptr;
  return &it->second.front();
}
std::string FirstOr(const Attrs& a, std::string_view key) {
  const std::string* v = First(a, key);
  return v ? *v : std::string();
}
const std::vector<std::string>& All(const Attrs& a, std::string_view key) {
  static const std::vector<std::string> kNone;
  auto it = a.find(key);
  return it == a.end() ? kNone : it->second;
}
bool HasClass(const Attrs& a, std::string_view lower_cls) {
  for (const auto& v : All(a, "objectclass"))
    if (CaseFoldEqual{}(v, lower_cls)) return true;
  return false;
}

std::optional<int64_t> ParseI64(std::string_view s) {
  int64_t v = 0;
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// RID = last sub-authority of a SID, binary (MS-DTYP 2.4.2.2: revision, count, 6-byte
// authority, count x 32-bit little-endian sub-authorities) or text "S-1-5-21-…-1103".
std::optional<uint32_t> RidOfSid(const std::string& sid) {
  if (sid.rfind("S-1-", 0) == 0) {
    size_t dash = sid.rfind('-');
    auto v = ParseI64(std::string_view(sid).substr(dash + 1));
    if (!v || *v < 0 || *v > 0xFFFFFFFFLL) return std::nullopt;
    return static_cast<uint32_t>(*v);
  }
  if (sid.size() < 8 || static_cast<uint8_t>(sid[0]) != 1) return std::nullopt;
  size_t count = static_cast<uint8_t>(sid[1]);
  if (count == 0 || sid.size() != 8 + 4 * count) return std::nullopt;
  const auto* p = reinterpret_cast<const uint8_t*>(sid.data()) + 8 + 4 * (count - 1);
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

// "S-1-5-21-…-1103" for a binary SID (MS-DTYP 2.4.2.2: revision, count, 48-bit big-endian
// authority, count x 32-bit little-endian sub-authorities); a SID already in text is kept.
// "" for anything that is not a SID.
std::string SidText(const std::string& sid) {
  if (sid.rfind("S-1-", 0) == 0) return sid;
  if (sid.size() < 8 || static_cast<uint8_t>(sid[0]) != 1) return "";
  const size_t count = static_cast<uint8_t>(sid[1]);
  if (sid.size() != 8 + 4 * count) return "";
  const auto* p = reinterpret_cast<const uint8_t*>(sid.data());
  uint64_t authority = 0;
  for (int i = 2; i < 8; ++i) authority = authority << 8 | p[i];
  std::string out = "S-1-" + std::to_string(authority);
  for (size_t i = 0; i < count; ++i) {
    const uint8_t* s = p + 8 + 4 * i;
    out += "-" + std::to_string(static_cast<uint32_t>(s[0]) | static_cast<uint32_t>(s[1]) << 8 |
                                static_cast<uint32_t>(s[2]) << 16 |
                                static_cast<uint32_t>(s[3]) << 24);
  }
  return out;
}

// OpenLDAP: when the password was last changed. sambaPwdLastSet is kept by Samba's tools,
// pwdChangedTime by the ppolicy overlay on every userPassword change (ldappasswd, a user's own
// change); a change through one does not touch the other, so the later of the two counts.
// Returns an error reason, or "" when fine.
std::string OpenLdapPasswordSet(const Attrs& a, std::optional<int64_t>* out) {
  out->reset();
  if (const std::string* v = First(a, "sambapwdlastset")) {
    auto t = ParseI64(*v);
    if (!t || *t < 0) return "sambaPwdLastSet is not a number";
    *out = *t;
  }
  if (const std::string* v = First(a, "pwdchangedtime")) {
    auto t = ParseGeneralizedTime(*v);
    if (!t.ok()) return "pwdChangedTime is not a generalized time";
    if (!*out || *t > **out) *out = *t;
  }
  return "";
}

// sambaAcctFlags "[UDX        ]" -> userAccountControl bits (Samba source3/lib/smbldap.c
// and MS-ADTS 2.2.16): D disabled, N password not required, X password does not expire,
// L auto-locked, W workstation trust, S server trust, U normal account. H/T/M/I carry no
// meaning for the audit.
uint32_t UacFromSambaFlags(const std::string& flags) {
  uint32_t uac = 0;
  for (char c : flags) {
    switch (c) {
      case 'D': uac |= kUacAccountDisable; break;
      case 'N': uac |= kUacPasswdNotReqd; break;
      case 'X': uac |= kUacDontExpirePassword; break;
      case 'L': uac |= kUacLockout; break;
      case 'W': uac |= kUacWorkstationTrustAccount; break;
      case 'S': uac |= kUacServerTrustAccount; break;
      case 'U': uac |= kUacNormalAccount; break;
      default: break;
    }
  }
  return uac;
}

// Strips a groupOfUniqueNames optional UID suffix: "cn=x,dc=y#'0101'B" -> "cn=x,dc=y".
std::string StripUniqueMemberUid(const std::string& v) {
  if (v.size() > 3 && v.back() == 'B' && v[v.size() - 2] == '\'') {
    size_t hash = v.rfind("#'");
    if (hash != std::string::npos) return v.substr(0, hash);
  }
  return v;
}

// Returns an error reason, or "" when the account was filled.
std::string MapAdAccount(const Attrs& a, Account& acct, std::optional<uint32_t>& primary_gid) {
  const std::string* sam = First(a, "samaccountname");
  if (sam == nullptr || sam->empty()) return "no sAMAccountName";
  acct.name = *sam;
  if (const std::string* sid = First(a, "objectsid")) {
    acct.rid = RidOfSid(*sid);
    if (!acct.rid) return "objectSid is not a valid SID";
    acct.object_id = SidText(*sid);
  }
  acct.display_name = FirstOr(a, "displayname");
  acct.upn = FirstOr(a, "userprincipalname");  // absent (krbtgt, computers) is normal
  acct.mail = FirstOr(a, "mail");
  acct.employee_id = FirstOr(a, "employeeid");
  acct.employee_type = FirstOr(a, "employeetype");
  acct.manager_dn = FirstOr(a, "manager");
  acct.managed_by_dn = FirstOr(a, "managedby");
  if (const std::string* uac = First(a, "useraccountcontrol")) {
    auto v = ParseI64(*uac);
    if (!v || *v < INT32_MIN || *v > UINT32_MAX) return "userAccountControl is not a number";
    acct.uac = static_cast<uint32_t>(*v);
  } else {
    acct.uac = kUacNormalAccount;
  }
  acct.enabled = (acct.uac & kUacAccountDisable) == 0;
  acct.is_computer = HasClass(a, "computer") ||
                     (acct.uac & (kUacWorkstationTrustAccount | kUacServerTrustAccount)) != 0;
  if (const std::string* v = First(a, "accountexpires")) {
    auto ft = ParseI64(*v);
    if (!ft || *ft < 0) return "accountExpires is not a FILETIME";
    acct.expires = FileTimeToUnix(*ft);
  }
  if (const std::string* v = First(a, "lastlogontimestamp")) {
    auto ft = ParseI64(*v);
    if (!ft || *ft < 0) return "lastLogonTimestamp is not a FILETIME";
    acct.last_logon = FileTimeToUnix(*ft);
  }
  if (const std::string* v = First(a, "pwdlastset")) {
    auto ft = ParseI64(*v);
    if (!ft || *ft < 0) return "pwdLastSet is not a FILETIME";
    // 0 means "must change at next logon" and must stay distinguishable from "never".
    acct.pwd_last_set = *ft == 0 ? std::optional<int64_t>(0) : FileTimeToUnix(*ft);
  }
  if (const std::string* v = First(a, "primarygroupid")) {
    auto g = ParseI64(*v);
    if (!g || *g < 0 || *g > UINT32_MAX) return "primaryGroupID is not a number";
    primary_gid = static_cast<uint32_t>(*g);
  }
  acct.spns = All(a, "serviceprincipalname");
  return "";
}

std::string MapOpenLdapAccount(Attrs& a, Account& acct, std::optional<int64_t>& posix_gid,
                               HashDump* hashes_out, std::vector<SkippedEntry>& notes) {
  const std::string* uid = First(a, "uid");
  if (uid == nullptr || uid->empty()) return "no uid";
  acct.name = *uid;
  acct.object_id = FirstOr(a, "entryuuid");
  if (const std::string* sid = First(a, "sambasid")) {
    acct.rid = RidOfSid(*sid);
    if (!acct.rid) return "sambaSID is not a valid SID";
  }
  acct.display_name = FirstOr(a, "displayname");
  if (acct.display_name.empty()) acct.display_name = FirstOr(a, "cn");
  acct.mail = FirstOr(a, "mail");
  acct.employee_id = FirstOr(a, "employeeid");
  if (acct.employee_id.empty()) acct.employee_id = FirstOr(a, "employeenumber");
  acct.employee_type = FirstOr(a, "employeetype");
  acct.manager_dn = FirstOr(a, "manager");
  const std::string* flags = First(a, "sambaacctflags");
  acct.uac = flags ? UacFromSambaFlags(*flags) : kUacNormalAccount;
  if (!flags) acct.uac |= kUacNormalAccount;
  acct.is_computer =
      (acct.uac & (kUacWorkstationTrustAccount | kUacServerTrustAccount)) != 0;
  // ppolicy: pwdAccountLockedTime "000001010000Z" is a permanent administrative lock
  // (draft-behera-ldap-password-policy 5.3.3); a dated value is a temporary lockout.
  const std::string* locked = First(a, "pwdaccountlockedtime");
  bool perma_locked = locked && *locked == "000001010000Z";
  if (locked && !perma_locked) acct.uac |= kUacLockout;
  acct.enabled = (acct.uac & kUacAccountDisable) == 0 && !perma_locked;

  // Expiry: the earlier of sambaKickoffTime (Unix seconds) and shadowExpire (days since the
  // epoch). 0, negative and sambaKickoffTime >= 2^31-1 (Samba's "never", get_time_t_max) mean
  // never; shadow(5) calls 0 ambiguous, and treating it as never avoids a false "expired".
  std::optional<int64_t> expires;
  if (const std::string* v = First(a, "sambakickofftime")) {
    auto t = ParseI64(*v);
    if (!t) return "sambaKickoffTime is not a number";
    if (*t > 0 && *t < 2147483647LL) expires = *t;
  }
  if (const std::string* v = First(a, "shadowexpire")) {
    auto d = ParseI64(*v);
    if (!d) return "shadowExpire is not a number";
    if (*d > 0 && *d < 2932897) {  // < year 10000
      int64_t t = *d * 86400;
      if (!expires || t < *expires) expires = t;
    }
  }
  acct.expires = expires;
  if (std::string why = OpenLdapPasswordSet(a, &acct.pwd_last_set); !why.empty()) return why;
  if (const std::string* v = First(a, "sambalogontime")) {
    auto t = ParseI64(*v);
    if (!t) return "sambaLogonTime is not a number";
    if (*t > 0) acct.last_logon = *t;
  }
  if (const std::string* v = First(a, "pwdreset")) acct.pwd_reset_pending = AsciiLower(*v) == "true";
  if (const std::string* v = First(a, "gidnumber")) posix_gid = ParseI64(*v);

  // Hash material: straight into secure memory, then wiped from the entry.
  auto nt_it = a.find("sambantpassword");
  if (nt_it != a.end() && !nt_it->second.empty() && hashes_out != nullptr) {
    const std::string& hex = nt_it->second.front();
    bool absent = hex.empty() || std::all_of(hex.begin(), hex.end(), [](char c) { return c == 'X'; });
    std::optional<NtHash> nt = absent ? std::nullopt : ParseNtHashHex(hex);
    if (!absent && !nt) {
      notes.push_back({"", "sambaNTPassword is not 32 hex digits; the hash is ignored"});
    } else if (nt) {
      std::optional<std::array<uint8_t, 16>> lm;
      if (const std::string* lm_hex = First(a, "sambalmpassword")) lm = ParseNtHashHex(*lm_hex);
      hashes_out->Add(acct.name, acct.rid, 0, *nt, lm ? &*lm : nullptr, acct.enabled);
      sodium_memzero(nt->data(), nt->size());
      if (lm) sodium_memzero(lm->data(), lm->size());
    }
  }
  return "";
}

}  // namespace

Result<DirectoryFlavor> ParseFlavor(const std::string& flavor) {
  if (flavor == "ad") return DirectoryFlavor::kActiveDirectory;
  if (flavor == "openldap") return DirectoryFlavor::kOpenLdap;
  return Status::InvalidArgument("directory.flavor \"" + flavor +
                                 "\" is not one of \"ad\", \"openldap\"");
}

std::string DirectoryFilter(DirectoryFlavor flavor) {
  if (flavor == DirectoryFlavor::kActiveDirectory) {
    return "(|(objectClass=user)(objectClass=group))";
  }
  return "(|(objectClass=inetOrgPerson)(objectClass=posixAccount)(objectClass=sambaSamAccount)"
         "(objectClass=account)(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)"
         "(objectClass=posixGroup))";
}

std::vector<std::string> DirectoryAttributes(DirectoryFlavor flavor,
                                             const std::vector<std::string>& extra_attrs) {
  std::vector<std::string> a = {"objectClass", "cn", "displayName", "mail", "employeeType",
                                "manager", "member"};
  if (flavor == DirectoryFlavor::kActiveDirectory) {
    a.insert(a.end(), {"sAMAccountName", "objectSid", "userPrincipalName", "employeeID",
                       "managedBy", "userAccountControl", "accountExpires", "lastLogonTimestamp",
                       "pwdLastSet", "servicePrincipalName", "primaryGroupID"});
  } else {
    a.insert(a.end(), {"uid", "employeeNumber", "sambaSID", "sambaAcctFlags", "sambaKickoffTime",
                       "shadowExpire", "sambaPwdLastSet", "sambaLogonTime", "sambaNTPassword",
                       "sambaLMPassword", "pwdReset", "pwdChangedTime", "pwdAccountLockedTime",
                       "uniqueMember", "memberUid", "gidNumber", "owner", "entryUUID"});
  }
  for (const auto& x : extra_attrs) {
    bool dup = false;
    for (const auto& y : a) dup = dup || AsciiLower(x) == AsciiLower(y);
    if (!dup) a.push_back(x);
  }
  return a;
}

SnapshotBuilder::SnapshotBuilder(DirectoryFlavor flavor, std::string source, HashDump* hashes_out,
                                 const std::vector<std::string>& keep_attributes)
    : hashes_out_(hashes_out) {
  snap_.flavor = flavor;
  snap_.source = std::move(source);
  for (const std::string& k : keep_attributes) keep_attributes_.push_back(AsciiLower(k));
}

void SnapshotBuilder::Reserve(size_t entries) {
  snap_.accounts.reserve(entries);
  accounts_.reserve(entries);
}

void SnapshotBuilder::Add(LdapEntry& e) {
  const bool ad = snap_.flavor == DirectoryFlavor::kActiveDirectory;
  FoldOptions(e.attrs);
  Attrs& a = e.attrs;
  bool is_group = ad ? HasClass(a, "group")
                     : HasClass(a, "groupofnames") || HasClass(a, "groupofuniquenames") ||
                           HasClass(a, "posixgroup");
  bool is_account =
      !is_group && (ad ? HasClass(a, "user") || HasClass(a, "computer")
                       : HasClass(a, "inetorgperson") || HasClass(a, "posixaccount") ||
                             HasClass(a, "sambasamaccount") || HasClass(a, "account"));
  if (is_group) {
    Group g;
    g.dn = std::move(e.dn);
    g.name = ad ? FirstOr(a, "samaccountname") : "";
    if (g.name.empty()) g.name = FirstOr(a, "cn");
    g.managed_by_dn = FirstOr(a, ad ? "managedby" : "owner");
    if (g.managed_by_dn.empty()) g.managed_by_dn = FirstOr(a, "managedby");
    if (auto it = a.find("member"); it != a.end()) g.member_dns = std::move(it->second);
    for (const auto& m : All(a, "uniquemember")) g.member_dns.push_back(StripUniqueMemberUid(m));
    PendingGroup pg;
    if (const std::string* sid = First(a, "objectsid")) pg.rid = RidOfSid(*sid);
    g.rid = pg.rid;
    if (!ad) {
      if (const std::string* v = First(a, "gidnumber")) pg.gid_number = ParseI64(*v);
      if (auto it = a.find("memberuid"); it != a.end()) pg.member_uids = std::move(it->second);
    }
    snap_.groups.push_back(std::move(g));
    groups_.push_back(std::move(pg));
  } else if (is_account) {
    Account acct;
    std::optional<uint32_t> primary;
    std::optional<int64_t> posix_gid;
    std::vector<SkippedEntry> notes;
    std::string why = ad ? MapAdAccount(a, acct, primary)
                         : MapOpenLdapAccount(a, acct, posix_gid, hashes_out_, notes);
    for (auto& n : notes) snap_.skipped.push_back({e.dn, std::move(n.reason)});
    if (!why.empty()) {
      snap_.skipped.push_back({e.dn, why});
    } else {
      acct.dn = std::move(e.dn);
      if (auto it = a.find("objectclass"); !ad && it != a.end()) {
        acct.object_classes = std::move(it->second);
      }
      for (const std::string& k : keep_attributes_) {
        if (auto it = a.find(k); it != a.end() && !IsSecret(k) && k != "objectsid") {
          acct.attributes[k] = std::move(it->second);
        }
      }
      snap_.accounts.push_back(std::move(acct));
      accounts_.push_back({primary, posix_gid});
    }
  }
  for (auto& [k, v] : a)
    if (IsSecret(k)) Wipe(v);
}

void SnapshotBuilder::Append(SnapshotBuilder&& later) {
  auto move_all = [](auto& to, auto& from) {
    to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
    from.clear();
  };
  move_all(snap_.accounts, later.snap_.accounts);
  move_all(snap_.groups, later.snap_.groups);
  move_all(snap_.skipped, later.snap_.skipped);
  move_all(groups_, later.groups_);
  move_all(accounts_, later.accounts_);
}

DirectorySnapshot BuildSnapshot(std::vector<LdapEntry>& entries, DirectoryFlavor flavor,
                                const std::string& source, HashDump* hashes_out,
                                const std::vector<std::string>& keep_attributes) {
  SnapshotBuilder builder(flavor, source, hashes_out, keep_attributes);
  for (LdapEntry& e : entries) builder.Add(e);
  return std::move(builder).Finish();
}

DirectorySnapshot SnapshotBuilder::Finish() && {
  DirectorySnapshot& snap = snap_;
  // Membership closure (see the header for why it is computed here rather than with
  // LDAP_MATCHING_RULE_IN_CHAIN). parents[dn] = groups listing dn as a direct member, keyed
  // case-insensitively by views into the groups' own member lists (no lower-cased copy of
  // every member DN: issue 11).
  // Only posixGroup memberUid needs accounts by uid (OpenLDAP); AD never pays for the map.
  std::unordered_map<std::string_view, size_t> account_by_uid;
  const bool any_uids = std::any_of(groups_.begin(), groups_.end(),
                                    [](const PendingGroup& g) { return !g.member_uids.empty(); });
  if (any_uids) {
    account_by_uid.reserve(snap.accounts.size());
    for (size_t i = 0; i < snap.accounts.size(); ++i) account_by_uid.emplace(snap.accounts[i].name, i);
  }
  std::unordered_map<uint32_t, size_t> group_by_rid;
  std::unordered_map<int64_t, size_t> group_by_gid;
  for (size_t gi = 0; gi < snap.groups.size(); ++gi) {
    // posixGroup memberUid -> the account's DN, so Group::member_dns is uniform.
    for (const auto& uid : groups_[gi].member_uids) {
      auto it = account_by_uid.find(uid);
      if (it != account_by_uid.end()) snap.groups[gi].member_dns.push_back(snap.accounts[it->second].dn);
    }
    if (groups_[gi].rid) group_by_rid.emplace(*groups_[gi].rid, gi);
    if (groups_[gi].gid_number) group_by_gid.emplace(*groups_[gi].gid_number, gi);
  }
  // One flat array of (member DN's case-folded hash, group) sorted by both, instead of a hash
  // map with a vector per member: 100 000 member values cost one sort, not 200 000 allocations
  // (issue 11). A DN's groups are the entries with its hash whose member equals it
  // case-insensitively, in group order; a member listed twice is visited once (seen_by below).
  struct Edge {
    size_t hash;
    size_t group;
    std::string_view member;
  };
  std::vector<Edge> edges;
  {
    size_t total = 0;
    for (const Group& g : snap.groups) total += g.member_dns.size();
    edges.reserve(total);
  }
  for (size_t gi = 0; gi < snap.groups.size(); ++gi) {
    for (const std::string& m : snap.groups[gi].member_dns) {
      edges.push_back({CaseFoldHash{}(m), gi, m});
    }
  }
  std::sort(edges.begin(), edges.end(), [](const Edge& a, const Edge& b) {
    return a.hash != b.hash ? a.hash < b.hash : a.group < b.group;
  });
  // Where each run of hashes starts, by the hash's top bits (the array is sorted by hash, so by
  // them too): a lookup reads one slot and the few edges after it, not a binary search.
  int bits = 1;
  while ((size_t{1} << bits) < edges.size() && bits < 30) ++bits;
  const int shift = 64 - bits;
  auto slot_of = [&](size_t h) { return static_cast<size_t>(static_cast<uint64_t>(h) >> shift); };
  std::vector<uint32_t> slot_start((size_t{1} << bits) + 1, 0);
  for (const Edge& e : edges) ++slot_start[slot_of(e.hash) + 1];
  for (size_t b = 1; b < slot_start.size(); ++b) slot_start[b] += slot_start[b - 1];
  auto for_each_parent = [&](std::string_view dn, auto&& fn) {
    const size_t h = CaseFoldHash{}(dn);
    const size_t b = slot_of(h);
    for (size_t i = slot_start[b]; i < slot_start[b + 1]; ++i) {
      if (edges[i].hash == h && CaseFoldEqual{}(edges[i].member, dn)) fn(edges[i].group);
    }
  };
  // A group's own parents, found once: every account in it walks them.
  std::vector<std::vector<size_t>> group_parents(snap.groups.size());
  for (size_t gi = 0; gi < snap.groups.size(); ++gi) {
    for_each_parent(snap.groups[gi].dn, [&](size_t p) { group_parents[gi].push_back(p); });
  }
  // Breadth-first per account; `seen_by` marks a group with the account that reached it, so
  // one array serves every account of a range. Accounts are independent (each writes only its
  // own `groups`), so a large directory is closed in two halves on two threads (issue 11: at
  // 100 000 accounts this loop was ~0.1 s on one core while the other idled).
  auto close_accounts = [&](size_t begin, size_t end) {
    std::vector<size_t> seen_by(snap.groups.size(), SIZE_MAX);
    std::vector<size_t> queue;
    for (size_t ai = begin; ai < end; ++ai) {
      Account& acct = snap.accounts[ai];
      queue.clear();
      auto visit = [&](size_t gi) {
        if (seen_by[gi] != ai) {
          seen_by[gi] = ai;
          queue.push_back(gi);
        }
      };
      for_each_parent(acct.dn, visit);
      if (const auto& rid = accounts_[ai].primary_rid) {
        if (auto it = group_by_rid.find(*rid); it != group_by_rid.end()) visit(it->second);
      }
      if (const auto& gid = accounts_[ai].posix_gid) {
        if (auto it = group_by_gid.find(*gid); it != group_by_gid.end()) visit(it->second);
      }
      for (size_t q = 0; q < queue.size(); ++q) {
        const size_t gi = queue[q];
        acct.groups.push_back(snap.groups[gi].dn);
        for (size_t p : group_parents[gi]) visit(p);
      }
    }
  };
  constexpr size_t kTwoThreadsFrom = 20000;  // accounts; below, a thread costs more than it saves
  const size_t accounts = snap.accounts.size();
  if (accounts >= kTwoThreadsFrom) {
    std::thread second(close_accounts, accounts / 2, accounts);
    close_accounts(0, accounts / 2);
    second.join();
  } else {
    close_accounts(0, accounts);
  }
  snap.groups_closed = true;
  return std::move(snap_);
}

std::vector<std::string> EntryStateAttributes(DirectoryFlavor flavor) {
  if (flavor == DirectoryFlavor::kActiveDirectory) {
    return {"objectSid", "sAMAccountName", "userAccountControl", "pwdLastSet"};
  }
  return {"entryUUID",       "uid",      "sambaSID",           "sambaAcctFlags",
          "sambaPwdLastSet", "pwdChangedTime", "pwdReset", "pwdAccountLockedTime"};
}

EntryState ParseEntryState(DirectoryFlavor flavor,
                           const std::map<std::string, std::vector<std::string>>& attrs) {
  EntryState st;
  Attrs a(attrs.begin(), attrs.end());
  FoldOptions(a);
  if (flavor == DirectoryFlavor::kActiveDirectory) {
    if (const std::string* sid = First(a, "objectsid")) {
      st.object_id = SidText(*sid);
      st.rid = RidOfSid(*sid);
    }
    st.name = FirstOr(a, "samaccountname");
    if (const std::string* v = First(a, "useraccountcontrol")) {
      auto uac = ParseI64(*v);
      if (uac && *uac >= INT32_MIN && *uac <= UINT32_MAX) st.uac = static_cast<uint32_t>(*uac);
    }
    if (const std::string* v = First(a, "pwdlastset")) {
      auto ft = ParseI64(*v);
      if (!ft || *ft < 0) {
        st.problem = "pwdLastSet is not a FILETIME";
      } else {
        st.pwd_last_set = *ft == 0 ? std::optional<int64_t>(0) : FileTimeToUnix(*ft);
      }
    }
    return st;
  }
  st.object_id = FirstOr(a, "entryuuid");
  st.name = FirstOr(a, "uid");
  if (const std::string* sid = First(a, "sambasid")) st.rid = RidOfSid(*sid);
  // An inetOrgPerson without sambaAcctFlags is a normal, enabled account (as the audit reads it).
  const std::string* flags = First(a, "sambaacctflags");
  st.uac = flags ? UacFromSambaFlags(*flags) : kUacNormalAccount;
  const std::string* locked = First(a, "pwdaccountlockedtime");
  st.locked_for_good = locked && *locked == "000001010000Z";
  if (const std::string* v = First(a, "pwdreset")) st.pwd_reset = AsciiLower(*v) == "true";
  st.problem = OpenLdapPasswordSet(a, &st.pwd_last_set);
  return st;
}

// An LDIF export is read in two pieces from this size on (below it a thread costs more than it
// saves; tests use exports on both sides).
constexpr size_t kLdifPieceMinBytes = 512 * 1024;

Result<DirectorySnapshot> ReadDirectory(const Config& cfg, HashDump* hashes_out) {
  const DirectoryConfig& dc = cfg.directory;
  CS_ASSIGN_OR_RETURN(DirectoryFlavor flavor, ParseFlavor(dc.flavor));
  std::vector<std::string> extra;
  for (const auto& [k, v] : cfg.classify.external_attribute) extra.push_back(k);
  HashDump* sink = flavor == DirectoryFlavor::kOpenLdap ? hashes_out : nullptr;
  SnapshotBuilder builder(flavor, dc.url, sink, extra);

  if (dc.url.rfind("ldif:", 0) == 0) {
    std::string path = dc.url.substr(5);
    if (path.empty()) return Status::InvalidArgument("directory.url \"ldif:\" names no file");
    // Mapped, not copied (a copy read from a pipe is wiped when the view goes: the text may
    // hold sambaNTPassword values).
    Result<FileView> file = FileView::Open(path);
    if (!file.ok()) return file.status().WithContext("reading directory LDIF");
    // Two halves on two threads when there is no hash sink to share (AD; on OpenLDAP the
    // entries' sambaNTPassword values go into one HashDump): each half is parsed into its own
    // builder, and the second is appended to the first, so the snapshot is the one a single
    // pass gives — same order, same skipped entries, same line numbers (issue 11: the export
    // was ~0.45 s of the audit's critical path at 100 000 accounts, on one core).
    const std::vector<LdifPiece> pieces =
        LdifPieces(file->text(), sink == nullptr ? 2 : 1, kLdifPieceMinBytes);
    std::vector<SnapshotBuilder> builders;
    for (size_t p = 1; p < pieces.size(); ++p) builders.emplace_back(flavor, dc.url, nullptr, extra);
    std::vector<std::vector<SkippedEntry>> skipped(pieces.size());
    auto read_piece = [&](size_t p) {
      SnapshotBuilder& b = p == 0 ? builder : builders[p - 1];
      // The first builder gets room for every record of the file, so appending the later
      // pieces' accounts moves them once, into place.
      const std::string_view text = p == 0 ? file->text() : pieces[p].text;
      // Every record starts with "dn:": their number bounds the accounts.
      size_t records = 0;
      for (size_t at = 0; (at = text.find("dn:", at)) != std::string_view::npos; at += 3) {
        if (at == 0 || text[at - 1] == '\n') ++records;
      }
      b.Reserve(records);
      ForEachLdifEntry(pieces[p].text, path, [&](LdapEntry&& e) { b.Add(e); }, &skipped[p],
                       pieces[p].at);
    };
    {
      std::vector<std::thread> threads;
      struct JoinAll {
        std::vector<std::thread>& t;
        ~JoinAll() {
          for (auto& x : t) x.join();
        }
      } join_all{threads};
      for (size_t p = 1; p < pieces.size(); ++p) threads.emplace_back(read_piece, p);
      read_piece(0);
    }
    for (SnapshotBuilder& b : builders) builder.Append(std::move(b));
    file = Status::Internal("released");  // unmapped: its pages are not needed for what follows
    DirectorySnapshot snap = std::move(builder).Finish();
    std::vector<SkippedEntry> parse_skipped;
    for (auto& s : skipped) parse_skipped.insert(parse_skipped.end(), s.begin(), s.end());
    snap.skipped.insert(snap.skipped.begin(), parse_skipped.begin(), parse_skipped.end());
    return snap;
  }

  if (dc.base.empty()) {
    return Status::InvalidArgument("directory.base is required for an LDAP url (" + dc.url + ")");
  }
  CS_ASSIGN_OR_RETURN(std::unique_ptr<LdapConnection> conn, LdapConnection::Connect(dc));
  Status s = conn->Search(dc.base, LdapScope::kSubtree, DirectoryFilter(flavor),
                          DirectoryAttributes(flavor, extra), [&](LdapEntry&& e) {
                            builder.Add(e);
                            return Status::Ok();
                          });
  if (!s.ok()) return s.WithContext("reading accounts under " + dc.base);
  DirectorySnapshot snap = std::move(builder).Finish();
  // allow_partial: the truncation is evidence, so it stays visible in the findings and report.
  for (const std::string& p : conn->partial_reads()) {
    snap.skipped.push_back({dc.base, "PARTIAL READ allowed by [directory] allow_partial: " + p});
  }
  return snap;
}

}  // namespace credsweep
