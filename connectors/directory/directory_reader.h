// ReadDirectory: the account source. Reads every account and group under cfg.directory.base
// from LDAP (AD or OpenLDAP flavour) or from an LDIF file ("ldif:FILE"), and turns them into a
// flavour-neutral DirectorySnapshot (engine/model/account.h).
//
// What is read (lower-case attribute names):
//   AD        (|(objectClass=user)(objectClass=group)) — users, computers (objectClass computer,
//             WORKSTATION/SERVER_TRUST uac bits) and groups: sAMAccountName, objectSid (-> rid, on
//             accounts and groups: Protected Users is the group with RID 525; and as "S-1-5-…"
//             text -> object_id), displayName, userPrincipalName, mail, employeeID,
//             employeeType, manager, managedBy,
//             userAccountControl, accountExpires, lastLogonTimestamp, pwdLastSet,
//             servicePrincipalName, primaryGroupID, member (ranged retrieval), objectClass, cn.
//   OpenLDAP  inetOrgPerson / posixAccount / sambaSamAccount / account entries and groupOfNames /
//             groupOfUniqueNames / posixGroup groups: uid, cn, displayName, mail,
//             employeeNumber (-> employee_id), employeeType, manager, sambaSID (-> rid),
//             sambaAcctFlags (-> uac: D disabled, X don't expire password, N password not
//             required, L locked, W/S trust accounts, U normal), sambaKickoffTime (Unix seconds)
//             and shadowExpire (days) (-> expires, the earlier wins; 0, -1 and
//             sambaKickoffTime >= 2^31-1 mean never), sambaPwdLastSet / pwdChangedTime
//             (-> pwd_last_set, the later of the two), entryUUID (-> object_id), pwdReset (-> pwd_reset_pending), pwdAccountLockedTime
//             "000001010000Z" (permanent ppolicy lock -> disabled), sambaNTPassword /
//             sambaLMPassword (-> hashes_out, never into the snapshot), member / uniqueMember /
//             memberUid.
//   Both      any attribute named in classify.external_attribute, kept in Account::attributes.
// Account::attributes holds the attributes named in classify.external_attribute (the only ones
// the audit reads from it); a secret one (userPassword, sambaNTPassword, sambaLMPassword,
// unicodePwd) or objectSid is never copied there.
//
// Group membership (Account::groups) is computed locally, one algorithm for every flavour:
// read every group's direct members (member/uniqueMember DNs, posixGroup memberUid resolved to
// the account with that uid, AD primaryGroupID resolved to the group with that RID), then walk
// parent links breadth-first from each account with a visited set, so cycles (A in B, B in A)
// terminate and each group is listed once. This gives the same answer as AD's
// LDAP_MATCHING_RULE_IN_CHAIN (1.2.840.113556.1.4.1941) with one search instead of one per
// account, works on OpenLDAP (which has no in-chain rule) and on LDIF exports, and also counts
// primary-group membership, which in-chain queries do not see. DN comparison is
// case-insensitive.
//
// Failure policy: connection/bind/search failures are errors (see ldap_connection.h; an
// unreadable LDIF file is kIOError). A bad or odd entry (no sAMAccountName/uid, unparseable
// time or number, malformed LDIF record) never ends the run: it goes to
// DirectorySnapshot::skipped with its DN and a reason (never a value of a secret attribute).
// A malformed sambaNTPassword skips the hash (recorded in skipped) but keeps the account.
//
// Thread-safety: independent calls may run concurrently; hashes_out must not be shared.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/directory/ldap_connection.h"
#include "connectors/hashdump/hash_dump.h"
#include "engine/base/status.h"
#include "engine/config/config.h"
#include "engine/model/account.h"

namespace credsweep {

// Reads the whole directory per config: LDAP (AD or OpenLDAP flavour) or "ldif:FILE".
// When hashes_out is non-null and flavor == openldap, sambaNTPassword values are added to it.
[[nodiscard]] Result<DirectorySnapshot> ReadDirectory(const Config& cfg, HashDump* hashes_out);

// "ad" -> kActiveDirectory, "openldap" -> kOpenLdap; anything else kInvalidArgument.
[[nodiscard]] Result<DirectoryFlavor> ParseFlavor(const std::string& flavor);

// The search filter and attribute list ReadDirectory uses for a flavour (extra_attrs appended,
// e.g. the keys of classify.external_attribute).
std::string DirectoryFilter(DirectoryFlavor flavor);
std::vector<std::string> DirectoryAttributes(DirectoryFlavor flavor,
                                             const std::vector<std::string>& extra_attrs);

// One entry's identity and password state, parsed exactly as the audit parses them, so enforce
// can compare what it re-reads before a write with what findings.json recorded.
struct EntryState {
  std::string object_id;            // AD objectSid as "S-1-5-21-…"; OpenLDAP entryUUID; "" = unread
  std::string name;                 // sAMAccountName / uid; "" = unread
  std::optional<uint32_t> rid;      // from objectSid / sambaSID
  // userAccountControl (OpenLDAP: mapped from sambaAcctFlags, absent = a normal account).
  // nullopt when AD did not return a readable value: never to be taken as 0.
  std::optional<uint32_t> uac;
  std::optional<int64_t> pwd_last_set;  // Unix seconds; 0 = a change is pending (AD)
  bool pwd_reset = false;               // OpenLDAP ppolicy pwdReset: TRUE
  bool locked_for_good = false;         // OpenLDAP pwdAccountLockedTime 000001010000Z
  std::string problem;                  // a value that could not be parsed; "" when none
};
// The attributes ParseEntryState needs (ask for these in a base read).
std::vector<std::string> EntryStateAttributes(DirectoryFlavor flavor);
EntryState ParseEntryState(DirectoryFlavor flavor,
                           const std::map<std::string, std::vector<std::string>>& attrs);

// The pure half of ReadDirectory: raw entries (from LDAP or LDIF) -> snapshot, one entry at a
// time as they arrive, so the raw entries never pile up beside the snapshot (issue 11: at
// 100 000 accounts that pile was most of the audit's memory). Entries that are neither
// accounts nor groups are ignored; odd ones are recorded in snapshot.skipped. Add consumes
// the entry (values are moved out; secret values are wiped with sodium_memzero once copied to
// hashes_out). Account::attributes keeps only `keep_attributes` (the attributes the audit
// reads from it: the keys of [classify] external_attribute), never a secret one.
// Clock-free: nothing here depends on the current time.
class SnapshotBuilder {
 public:
  SnapshotBuilder(DirectoryFlavor flavor, std::string source, HashDump* hashes_out,
                  const std::vector<std::string>& keep_attributes);
  void Add(LdapEntry& entry);
  // Room for this many entries (an upper bound of the accounts to come), so the account array
  // is allocated once instead of doubling: at 100 000 accounts the doubling alone held ~60 MB
  // of dead copies at its peak.
  void Reserve(size_t entries);
  // Takes `later`'s entries as if they had been Added after this builder's (a second thread
  // building from the second half of an export). Both must be for the same flavor and source,
  // with no hash sink (hashes_out null: the sink is not shared across threads).
  void Append(SnapshotBuilder&& later);
  // Group membership (the closure described above), then the snapshot.
  DirectorySnapshot Finish() &&;

 private:
  struct PendingGroup {
    std::optional<uint32_t> rid;        // AD objectSid RID (for primaryGroupID)
    std::optional<int64_t> gid_number;  // posixGroup gidNumber
    std::vector<std::string> member_uids;
  };
  struct PendingAccount {
    std::optional<uint32_t> primary_rid;  // AD primaryGroupID
    std::optional<int64_t> posix_gid;     // posixAccount gidNumber
  };
  DirectorySnapshot snap_;
  HashDump* hashes_out_;
  std::vector<std::string> keep_attributes_;  // lower-case
  std::vector<PendingGroup> groups_;          // parallel to snap_.groups
  std::vector<PendingAccount> accounts_;      // parallel to snap_.accounts
};

// The same over entries already collected (tests, fuzzing).
DirectorySnapshot BuildSnapshot(std::vector<LdapEntry>& entries, DirectoryFlavor flavor,
                                const std::string& source, HashDump* hashes_out,
                                const std::vector<std::string>& keep_attributes = {});

}  // namespace credsweep
