// Hashes straight from a domain controller over MS-DRSR replication (IDL_DRSGetNCChanges,
// "DCSync"), with Samba's client libraries from Debian (samba-dev) and nettle for the
// secret-attribute decryption.
//
// What one call does, on the calling thread:
//   1. connects to the DC's drsuapi endpoint (ncacn_ip_tcp via the endpoint mapper on 135)
//      with packet privacy ([seal]) always — without it the DC refuses DsBind, and the
//      secrets would cross the wire under the session key only;
//   2. authenticates with NTLMv2, or Kerberos when `kerberos` is set;
//   3. DsBind, DsCrackNames (the account name -> its DN; the domain NC is that DN's DC= tail);
//   4. DsGetNCChanges (request level 8) over the whole domain NC, paging until more_data is 0,
//      asking only for objectSid, sAMAccountName, userAccountControl, unicodePwd, dBCSPwd,
//      ntPwdHistory and lmPwdHistory (a partial attribute set, plus the prefix table Windows
//      needs to read it);
//   5. decrypts every secret attribute (decrypt.h) straight into libsodium secure memory and
//      adds it to a HashDump: one record per account for the current NT hash (history_index 0,
//      with the LM hash when one is stored) and one per previous password (ntPwdHistory[1..]),
//      each with the account's RID (from the object's SID) and sAMAccountName.
// Objects without unicodePwd (containers, groups, accounts without a password) add nothing.
//
// Incremental mode: given the state of an earlier full run (ReplicationState: the DC's
// invocation id, high-water mark and up-to-dateness vector), only objects whose replicated
// attributes changed since then come back — the DC filters, so a daily delta costs what
// changed, not the domain.
//
// Secrets: the password is passed in secure memory and handed to Samba's credentials object;
// decrypted hashes exist only in sodium_malloc'd memory (a scratch buffer wiped after each
// attribute, then the HashDump's arena). Samba's own debug output is routed to a callback that
// drops it (it can print protocol details), so nothing from the library reaches the terminal.
//
// Samba's private symbols: `ndr_table_drsuapi` and `gensec_session_key` (and the debug
// switches) are exported only by Samba's private libraries, versioned per Samba build.
// Linking them would stop the binary loading after any Samba upgrade, so they are looked up
// with dlsym(RTLD_DEFAULT) in the libraries libdcerpc already loaded; when one is missing the
// call fails with kInternal naming the symbol and the Samba package.
//
// Failure policy (never an empty result; messages never hold a password or hash):
//   kUnavailable        the DC cannot be reached (refused, unreachable, timeout)
//   kPermissionDenied   wrong password or unknown account ("... refused the credentials");
//                       the DC refused packet privacy; the account lacks "Replicating Directory
//                       Changes" / "Replicating Directory Changes All" on the NC
//   kCorruption         a secret attribute failed its checksum (wrong session key) or has an
//                       impossible length; a reply without the NC or with an unknown attribute
//                       prefix
//   kInvalidArgument    no username, or one that is neither a UPN nor DOMAIN\user
//   kInternal           Samba's private symbols are missing
//
// Thread-safety: Samba keeps process-global state (loadparm, the auth-module registry, debug
// output, the Kerberos context). Call ReplicateHashes from one thread only, never concurrently.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "connectors/hashdump/hash_dump.h"
#include "engine/base/status.h"

namespace credsweep {

// Where a replication left off, for the next incremental read (replication_state.h stores it).
struct ReplicationState {
  std::string dc;              // the DC read from (a delta is only valid against the same DC)
  std::string naming_context;  // DN of the domain NC
  std::array<uint8_t, 16> invocation_id{};  // the DC's invocation id (GUID, wire order)
  uint64_t tmp_highest_usn = 0;             // the high-water mark after the read
  uint64_t reserved_usn = 0;
  uint64_t highest_usn = 0;
  struct Cursor {
    std::array<uint8_t, 16> invocation_id{};
    uint64_t highest_usn = 0;
  };
  std::vector<Cursor> uptodateness;  // the DC's up-to-dateness vector after the read
};

struct ReplicationRequest {
  std::string dc;           // host name or IP address of the DC
  std::string dc_hostname;  // the DC's DNS name (Kerberos target); default `dc`
  std::string username;     // "user@dns.domain" (UPN) or "DOMAIN\user"
  const char* password = nullptr;  // NUL-terminated, in secure memory; not kept
  bool kerberos = false;    // Kerberos (CRED_USE_KERBEROS_REQUIRED) instead of NTLMv2
  int timeout_seconds = 60;
  // Set: fetch only what changed since this state (same DC and NC, else a full read).
  std::optional<ReplicationState> since;
};

struct ReplicationResult {
  HashDump hashes;               // see above; records().size() may be 0 only in a delta
  std::string naming_context;    // the NC that was read
  ReplicationState state;        // to store for the next incremental read
  uint64_t objects = 0;          // objects the DC returned (after de-duplication)
  uint64_t accounts = 0;         // ... of which carried an NT hash
  bool incremental = false;      // a delta was read (since was usable)
  std::vector<uint32_t> changed_rids;  // incremental: RIDs of the accounts whose hash came back
};

[[nodiscard]] Result<ReplicationResult> ReplicateHashes(const ReplicationRequest& request);

}  // namespace credsweep
