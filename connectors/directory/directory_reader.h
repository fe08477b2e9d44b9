// ReadDirectory: the account source. Reads every account and group under cfg.directory.base
// from LDAP (AD or OpenLDAP flavour) or from an LDIF file ("ldif:FILE"), and turns them into a
// flavour-neutral DirectorySnapshot (engine/model/account.h).
//
// What is read (lower-case attribute names):
//   AD        (|(objectClass=user)(objectClass=group)) — users, computers (objectClass computer,
//             WORKSTATION/SERVER_TRUST uac bits) and groups: sAMAccountName, objectSid (-> rid, on
//             accounts and groups: Protected Users is the group with RID 525),
//             displayName, userPrincipalName, mail, employeeID, employeeType, manager, managedBy,
//             userAccountControl, accountExpires, lastLogonTimestamp, pwdLastSet,
//             servicePrincipalName, primaryGroupID, member (ranged retrieval), objectClass, cn.
//   OpenLDAP  inetOrgPerson / posixAccount / sambaSamAccount / account entries and groupOfNames /
//             groupOfUniqueNames / posixGroup groups: uid, cn, displayName, mail,
//             employeeNumber (-> employee_id), employeeType, manager, sambaSID (-> rid),
//             sambaAcctFlags (-> uac: D disabled, X don't expire password, N password not
//             required, L locked, W/S trust accounts, U normal), sambaKickoffTime (Unix seconds)
//             and shadowExpire (days) (-> expires, the earlier wins; 0, -1 and
//             sambaKickoffTime >= 2^31-1 mean never), sambaPwdLastSet / pwdChangedTime
//             (-> pwd_last_set), pwdReset (-> pwd_reset_pending), pwdAccountLockedTime
//             "000001010000Z" (permanent ppolicy lock -> disabled), sambaNTPassword /
//             sambaLMPassword (-> hashes_out, never into the snapshot), member / uniqueMember /
//             memberUid.
//   Both      any attribute named in classify.external_attribute, kept in Account::attributes.
// Account::attributes holds every non-secret attribute read (userPassword, sambaNTPassword,
// sambaLMPassword, unicodePwd and objectSid are never copied there).
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

// The pure half of ReadDirectory: raw entries (from LDAP or LDIF) -> snapshot. Entries that
// are neither accounts nor groups are ignored; odd ones are recorded in snapshot.skipped.
// Secret attribute values in `entries` are wiped (sodium_memzero) once copied to hashes_out.
// Clock-free: nothing here depends on the current time.
DirectorySnapshot BuildSnapshot(std::vector<LdapEntry>& entries, DirectoryFlavor flavor,
                                const std::string& source, HashDump* hashes_out);

}  // namespace credsweep
