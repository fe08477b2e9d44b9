// LdapConnection: one bound LDAP connection (libldap), the transport seam of the directory
// connectors. AD (Samba or Windows) and OpenLDAP are both spoken through it; a Windows build
// would put Wldap32 behind the same class.
//
// Security defaults (DESIGN.md, requirement K9/S9):
//   - ldaps:// URLs use TLS from the first byte; ldap:// URLs must upgrade with StartTLS before
//     the bind. Plain LDAP only when DirectoryConfig::allow_plaintext (tests only); an ldap://
//     URL whose StartTLS fails is an error, never a silent plaintext fallback.
//   - TLS >= 1.2 (LDAP_OPT_X_TLS_PROTOCOL_MIN), server certificate required and checked
//     against ca_file (or the system store when ca_file is empty), host name checked.
//   - The bind password comes from bind_password_file (first line, trailing CR/LF stripped;
//     the file must be 0600/0400 and ours or root's — ReadPassword in secure_memory.h) or env
//     CREDSWEEP_BIND_PASSWORD, into secure memory, wiped after the bind and never logged.
//     An empty bind_dn means an anonymous bind; a bind_dn with an empty password is an error
//     (kInvalidArgument), never a silent anonymous bind.
//   - Referrals are never chased (LDAP_OPT_REFERRALS off): AD and Samba return continuation
//     references for Configuration/DomainDnsZones/ForestDnsZones, which are not accounts.
//   - Fail closed on a partial read: a size, time or administrative limit result, a referral
//     result, a continuation reference anywhere but those partitions, or a page without the
//     paged-results response control is kUnavailable (exit 3) naming the server, the base, what
//     happened and how many entries had arrived — a truncated directory must never be audited
//     as if complete. Only DirectoryConfig::allow_partial (not for production) accepts it: the
//     entries read so far are kept and the reason is recorded in partial_reads().
//
// Failure policy (messages never contain the password):
//   kUnavailable       server unreachable / TLS handshake or StartTLS failed / timeout (names
//                      the URL and libldap's reason)
//   kPermissionDenied  bind refused (names the bind DN) or insufficient access on an operation
//   kInvalidArgument   bad URL, missing bind password, plaintext refused
//   kNotFound          ReadEntry/ModifyReplace on a DN that does not exist
//   kFailedPrecondition the server refused a modification as a constraint violation
//   kInternal          anything else libldap reports (with its error string)
//
// Thread-safety: not thread-safe; one connection per thread. Ownership: the object owns the
// LDAP* handle and unbinds in its destructor.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/base/status.h"
#include "engine/config/config.h"

typedef struct ldap LDAP;  // libldap's opaque handle; <ldap.h> stays out of this header.

namespace credsweep {

// One directory entry as read: the DN as the server spelled it, attribute names lower-cased
// (options such as ";binary" kept), values as raw bytes (binary attributes like objectSid too).
// Shared by the LDAP and LDIF readers so both feed the same entry mapper.
// Ordered by name with heterogeneous lookup: a mapper's find("useraccountcontrol") builds no
// temporary string (issue 11: the directory read of 100 000 accounts).
using LdapAttrs = std::map<std::string, std::vector<std::string>, std::less<>>;
struct LdapEntry {
  std::string dn;
  LdapAttrs attrs;
};

enum class LdapScope { kBase = 0, kOneLevel = 1, kSubtree = 2 };

class LdapConnection {
 public:
  // Connects and binds per cfg: ldaps:// or ldap:// + StartTLS (required unless
  // allow_plaintext), TLS >= 1.2, CA file, bind password from bind_password_file or env
  // CREDSWEEP_BIND_PASSWORD (never logged). Errors: kUnavailable (unreachable, naming the URL),
  // kPermissionDenied (bind refused, naming the bind DN, never the password).
  [[nodiscard]] static Result<std::unique_ptr<LdapConnection>> Connect(const DirectoryConfig& cfg);

  ~LdapConnection();
  LdapConnection(const LdapConnection&) = delete;
  LdapConnection& operator=(const LdapConnection&) = delete;

  // Base-scope read of one entry; kNotFound if it is gone. Attribute names lower-cased.
  // Ranged values (AD "member;range=0-1499") are fetched completely and returned under the
  // plain attribute name.
  [[nodiscard]] Result<std::map<std::string, std::vector<std::string>>> ReadEntry(
      const std::string& dn, const std::vector<std::string>& attrs);

  // Replaces one attribute's values (e.g. pwdLastSet=0, pwdReset=TRUE). An empty `values`
  // deletes the attribute.
  [[nodiscard]] Status ModifyReplace(const std::string& dn, const std::string& attr,
                                     const std::vector<std::string>& values);

  // Searches with the simple paged results control (RFC 2696; page_size from the config, 0 =
  // no paging), calling on_entry once per entry, in server order. Continuation references are
  // ignored (referrals off). Ranged attributes (AD MaxValRange, "member;range=0-1499") are
  // completed with further base reads before on_entry sees the entry, under the plain name.
  // An error returned by on_entry stops the search and is returned.
  [[nodiscard]] Status Search(const std::string& base, LdapScope scope, const std::string& filter,
                              const std::vector<std::string>& attrs,
                              const std::function<Status(LdapEntry&&)>& on_entry);

  const std::string& bind_identity() const { return bind_identity_; }  // bind DN or "anonymous"
  const std::string& url() const { return url_; }
  // True when the connection is encrypted (ldaps or StartTLS succeeded).
  bool encrypted() const { return encrypted_; }
  // Pages fetched by Search() so far (observable proof that paging happens).
  uint64_t pages_fetched() const { return pages_fetched_; }
  // Extra base reads made to complete ranged attributes.
  uint64_t range_reads() const { return range_reads_; }
  // What was accepted under allow_partial: one line per truncated read (server, base, reason).
  const std::vector<std::string>& partial_reads() const { return partial_reads_; }

 private:
  LdapConnection() = default;
  Status CompleteRanges(LdapEntry& entry);
  Status ErrorFor(int rc, const std::string& what, const std::string& dn) const;

  LDAP* ld_ = nullptr;
  std::string url_;
  std::string bind_identity_;
  bool encrypted_ = false;
  int page_size_ = 500;
  int timeout_seconds_ = 30;
  uint64_t pages_fetched_ = 0;
  uint64_t range_reads_ = 0;
  bool allow_partial_ = false;
  std::vector<std::string> partial_reads_;
};

}  // namespace credsweep
