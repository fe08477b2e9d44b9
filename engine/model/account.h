// The directory as the audit sees it: accounts and groups, flavour-neutral.
//
// Filled by the account sources in connectors/directory (AD over LDAP, OpenLDAP, LDIF files);
// read by engine/audit (classification and rules) and engine/remediate (enforce re-reads).
// Plain data: no secrets live here (NT hashes are in connectors/hashdump's secure memory).
// All times are Unix seconds UTC; FILETIME / generalized time are converted by the connector.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace credsweep {

// userAccountControl bits (MS-ADTS 2.2.16). OpenLDAP's sambaAcctFlags are mapped onto these.
inline constexpr uint32_t kUacAccountDisable = 0x0002;
inline constexpr uint32_t kUacLockout = 0x0010;
inline constexpr uint32_t kUacPasswdNotReqd = 0x0020;
inline constexpr uint32_t kUacEncryptedTextPwdAllowed = 0x0080;
inline constexpr uint32_t kUacNormalAccount = 0x0200;
inline constexpr uint32_t kUacWorkstationTrustAccount = 0x1000;
inline constexpr uint32_t kUacServerTrustAccount = 0x2000;
inline constexpr uint32_t kUacDontExpirePassword = 0x10000;
inline constexpr uint32_t kUacSmartcardRequired = 0x40000;
inline constexpr uint32_t kUacTrustedForDelegation = 0x80000;  // unconstrained delegation
inline constexpr uint32_t kUacNotDelegated = 0x100000;  // "sensitive and cannot be delegated"
inline constexpr uint32_t kUacUseDesKeyOnly = 0x200000;
inline constexpr uint32_t kUacDontReqPreauth = 0x400000;

enum class DirectoryFlavor { kActiveDirectory, kOpenLdap };

struct Account {
  std::string dn;
  std::string name;          // sAMAccountName (AD) or uid (OpenLDAP); the join key for hashes
  std::optional<uint32_t> rid;  // last sub-authority of objectSid / sambaSID
  // The object's identity across renames and moves: AD objectSid as "S-1-5-21-…" text,
  // OpenLDAP entryUUID. "" when not read (e.g. an LDIF export without it).
  std::string object_id;
  std::string display_name;
  std::string upn;
  std::string mail;
  std::string employee_id;
  std::string employee_type;
  std::string manager_dn;     // manager
  std::string managed_by_dn;  // managedBy (AD: groups and computers carry it, not users)
  uint32_t uac = 0;           // userAccountControl, or mapped from sambaAcctFlags
  // !(uac & ACCOUNT_DISABLE); on OpenLDAP also false under a permanent ppolicy lock
  // (pwdAccountLockedTime 000001010000Z). Expiry (accountExpires / sambaKickoffTime /
  // shadowExpire) stays in `expires` and is not folded in, so "expired but enabled" is visible.
  bool enabled = true;
  bool is_computer = false;
  std::optional<int64_t> expires;       // accountExpires / sambaKickoffTime / shadowExpire; nullopt = never
  std::optional<int64_t> last_logon;    // lastLogonTimestamp; nullopt = never logged on
  std::optional<int64_t> pwd_last_set;  // pwdLastSet; 0 = must change at next logon
  bool pwd_reset_pending = false;       // OpenLDAP ppolicy pwdReset: TRUE
  std::vector<std::string> spns;        // servicePrincipalName
  // OpenLDAP only, where it decides what counts for hash coverage (sambaSamAccount); the
  // directory reader leaves it empty on AD, where nothing reads it (issue 11: four strings per
  // account, ~18 MB at 100 000 accounts).
  std::vector<std::string> object_classes;
  // Every group the account is a member of, directly or through nesting, as DNs in the case
  // the directory returned. Computed by the connector (see connectors/directory).
  std::vector<std::string> groups;
  // Any further attribute the config asks about (e.g. external_attribute), lower-case names.
  std::map<std::string, std::vector<std::string>> attributes;
};

struct Group {
  std::string dn;
  std::string name;           // cn / sAMAccountName
  std::optional<uint32_t> rid;  // last sub-authority of objectSid (AD): 525 = Protected Users
  std::string managed_by_dn;  // managedBy
  std::vector<std::string> member_dns;  // direct members (accounts and groups)
};

// An entry the connector could not turn into an Account (no name, bad time, …): counted and
// reported, never fatal.
struct SkippedEntry {
  std::string dn;
  std::string reason;
};

struct DirectorySnapshot {
  DirectoryFlavor flavor = DirectoryFlavor::kActiveDirectory;
  std::string source;  // URL or "ldif:FILE" (never with credentials)
  std::vector<Account> accounts;
  std::vector<Group> groups;
  std::vector<SkippedEntry> skipped;
  // Every Account::groups already lists all the groups the account is in, nested ones and its
  // primary group included (SnapshotBuilder computes that closure from the member lists), so
  // the audit's DirectoryIndex need not join member DNs to accounts again. False for a
  // snapshot put together by hand, whose Account::groups may list direct groups only.
  bool groups_closed = false;
};

}  // namespace credsweep
