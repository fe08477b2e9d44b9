#include "connectors/directory/ldap_connection.h"

#include <ldap.h>
#include <sodium.h>
#include <sys/time.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "engine/base/ascii.h"
#include "engine/base/secure_memory.h"

namespace credsweep {
namespace {

// Attributes whose raw values are wiped before libldap's buffers are freed.
bool IsSecretAttr(const std::string& lower) {
  return lower == "sambantpassword" || lower == "sambalmpassword" || lower == "userpassword" ||
         lower == "unicodepwd" || lower == "sambapasswordhistory";
}

std::string DiagnosticOf(LDAP* ld) {
  char* diag = nullptr;
  std::string out;
  if (ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag) == LDAP_OPT_SUCCESS && diag) {
    out = diag;
    ldap_memfree(diag);
  }
  return out;
}

std::string Reason(LDAP* ld, int rc) {
  std::string r = ldap_err2string(rc);
  std::string diag = ld ? DiagnosticOf(ld) : "";
  if (!diag.empty()) r += " (" + diag + ")";
  return r;
}

bool IsUnreachable(int rc) {
  return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR || rc == LDAP_TIMEOUT ||
         rc == LDAP_UNAVAILABLE || rc == LDAP_BUSY;
}

// "member;range=1500-2999" -> ("member", 2999); "member;range=3000-*" -> ("member", nullopt).
struct RangeInfo {
  std::string base;
  std::optional<uint64_t> high;  // nullopt: last chunk
};
std::optional<RangeInfo> ParseRange(const std::string& attr) {
  size_t p = attr.find(";range=");
  if (p == std::string::npos) return std::nullopt;
  RangeInfo r;
  r.base = attr.substr(0, p);
  std::string spec = attr.substr(p + 7);
  size_t dash = spec.find('-');
  if (dash == std::string::npos) return std::nullopt;
  std::string hi = spec.substr(dash + 1);
  if (hi != "*") {
    char* end = nullptr;
    unsigned long long v = std::strtoull(hi.c_str(), &end, 10);
    if (end == hi.c_str() || *end != '\0') return std::nullopt;
    r.high = v;
  }
  return r;
}

std::vector<char*> CAttrs(const std::vector<std::string>& attrs) {
  std::vector<char*> out;
  for (const auto& a : attrs) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

LdapEntry ParseEntry(LDAP* ld, LDAPMessage* msg) {
  LdapEntry e;
  if (char* dn = ldap_get_dn(ld, msg)) {
    e.dn = dn;
    ldap_memfree(dn);
  }
  BerElement* ber = nullptr;
  for (char* a = ldap_first_attribute(ld, msg, &ber); a != nullptr;
       a = ldap_next_attribute(ld, msg, ber)) {
    std::string name = AsciiLower(a);
    berval** vals = ldap_get_values_len(ld, msg, a);
    auto& dst = e.attrs[name];
    if (vals) {
      bool secret = IsSecretAttr(name.substr(0, name.find(';')));
      for (int i = 0; vals[i] != nullptr; ++i) {
        dst.emplace_back(vals[i]->bv_val, vals[i]->bv_len);
        if (secret) sodium_memzero(vals[i]->bv_val, vals[i]->bv_len);
      }
      ldap_value_free_len(vals);
    }
    ldap_memfree(a);
  }
  if (ber) ber_free(ber, 0);
  return e;
}

// The URL a continuation reference points to ("" when unreadable).
std::string ReferenceTarget(LDAP* ld, LDAPMessage* m) {
  char** refs = nullptr;
  std::string out;
  if (ldap_parse_reference(ld, m, &refs, nullptr, 0) == LDAP_SUCCESS && refs) {
    for (int i = 0; refs[i] != nullptr; ++i) out += (out.empty() ? "" : " ") + std::string(refs[i]);
    ldap_memvfree(reinterpret_cast<void**>(refs));
  }
  return out;
}

// AD (and Samba) answer a subtree search from the domain root with continuation references to
// the domain's own application partitions — DC=DomainDnsZones, DC=ForestDnsZones and
// CN=Configuration under the base — which hold DNS zones and forest configuration, never user
// or group accounts of the domain. Those are not a partial read; a reference anywhere else (a
// child domain, another server's subtree) is.
bool IsSameServerPartition(const std::string& url, const std::string& base) {
  const std::string u = AsciiLower(url);
  const std::string b = AsciiLower(base);
  for (const char* part : {"dc=domaindnszones,", "dc=forestdnszones,", "cn=configuration,"}) {
    const size_t p = u.find(part);
    if (p != std::string::npos && u.find(b, p) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

LdapConnection::~LdapConnection() {
  if (ld_ != nullptr) ldap_unbind_ext_s(ld_, nullptr, nullptr);
}

Status LdapConnection::ErrorFor(int rc, const std::string& what, const std::string& dn) const {
  std::string where = what + (dn.empty() ? "" : " " + dn) + " on " + url_ + ": " + Reason(ld_, rc);
  switch (rc) {
    case LDAP_NO_SUCH_OBJECT:
      return Status::NotFound(where);
    case LDAP_INSUFFICIENT_ACCESS:
    case LDAP_INVALID_CREDENTIALS:
    case LDAP_STRONG_AUTH_REQUIRED:
    case LDAP_CONFIDENTIALITY_REQUIRED:
    case LDAP_INAPPROPRIATE_AUTH:
      return Status::PermissionDenied(where + " (bind identity " + bind_identity_ + ")");
    case LDAP_CONSTRAINT_VIOLATION:
    case LDAP_UNWILLING_TO_PERFORM:
    case LDAP_OBJECT_CLASS_VIOLATION:
      return Status::FailedPrecondition(where);
    default:
      if (IsUnreachable(rc)) return Status::Unavailable(where);
      return Status::Internal(where);
  }
}

Result<std::unique_ptr<LdapConnection>> LdapConnection::Connect(const DirectoryConfig& cfg) {
  const std::string& url = cfg.url;
  bool ldaps = url.rfind("ldaps://", 0) == 0;
  bool plain = url.rfind("ldap://", 0) == 0;
  if (!ldaps && !plain) {
    return Status::InvalidArgument("directory.url \"" + url +
                                   "\" must start with ldaps://, ldap:// or ldif:");
  }
  // Read the password before touching the network, so a config mistake is a config error.
  // Anonymous only when bind_dn is empty: an empty password with a DN would be an
  // "unauthenticated" bind (RFC 4513 5.1.2) that servers accept as anonymous, so ReadPassword
  // refuses it.
  SecretBuffer password;
  if (!cfg.bind_dn.empty()) {
    Result<SecretBuffer> pw = ReadPassword(cfg.bind_password_file, "CREDSWEEP_BIND_PASSWORD",
                                           "directory.bind_password_file");
    if (!pw.ok()) return pw.status().WithContext("directory.bind_dn is set");
    password = std::move(pw).value();
  }

  std::unique_ptr<LdapConnection> c(new LdapConnection());
  c->url_ = url;
  c->bind_identity_ = cfg.bind_dn.empty() ? "anonymous" : cfg.bind_dn;
  c->page_size_ = cfg.page_size;
  c->allow_partial_ = cfg.allow_partial;
  c->timeout_seconds_ = cfg.timeout_seconds > 0 ? cfg.timeout_seconds : 30;

  int rc = ldap_initialize(&c->ld_, url.c_str());
  if (rc != LDAP_SUCCESS) {
    return Status::InvalidArgument("directory.url \"" + url + "\": " + ldap_err2string(rc));
  }
  LDAP* ld = c->ld_;
  int version = LDAP_VERSION3;
  ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
  ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
  timeval tv{c->timeout_seconds_, 0};
  ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
  ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv);

  // TLS options on this handle (not the process-wide defaults), then a fresh context so they
  // take effect: libldap only applies CA/protocol options when the context is (re)built.
  int demand = LDAP_OPT_X_TLS_DEMAND;
  int min_proto = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2;
  if (ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) != LDAP_OPT_SUCCESS ||
      ldap_set_option(ld, LDAP_OPT_X_TLS_PROTOCOL_MIN, &min_proto) != LDAP_OPT_SUCCESS) {
    return Status::Internal("libldap refused the TLS options (is it built with TLS?)");
  }
  if (!cfg.ca_file.empty() &&
      ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, cfg.ca_file.c_str()) != LDAP_OPT_SUCCESS) {
    return Status::InvalidArgument("directory.ca_file \"" + cfg.ca_file + "\" was refused by libldap");
  }
  int is_server = 0;
  rc = ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &is_server);
  if (rc != LDAP_OPT_SUCCESS) {
    return Status::InvalidArgument("cannot set up TLS for " + url + " with directory.ca_file \"" +
                                   cfg.ca_file + "\" (unreadable or not PEM?)");
  }

  if (ldaps) {
    c->encrypted_ = true;  // the handshake happens at the bind below; failure is reported there
  } else if (!cfg.allow_plaintext) {
    rc = ldap_start_tls_s(ld, nullptr, nullptr);
    if (rc != LDAP_SUCCESS) {
      return Status::Unavailable(
          "StartTLS to " + url + " failed: " + Reason(ld, rc) +
          ". credsweep never binds over plain LDAP; check directory.ca_file and the server's "
          "certificate, or use ldaps:// (directory.allow_plaintext is for tests only)");
    }
    c->encrypted_ = true;
  }

  // libldap copies the password into its BER request buffer; the credsweep binary wipes
  // every freed heap block (tools/credsweep_main_heap.cc), so that copy does not linger.
  berval cred{0, nullptr};
  if (!cfg.bind_dn.empty()) {
    cred.bv_val = reinterpret_cast<char*>(password.data());
    cred.bv_len = password.size();
  }
  rc = ldap_sasl_bind_s(ld, cfg.bind_dn.empty() ? nullptr : cfg.bind_dn.c_str(), LDAP_SASL_SIMPLE,
                        &cred, nullptr, nullptr, nullptr);
  if (rc != LDAP_SUCCESS) {
    if (IsUnreachable(rc)) {
      return Status::Unavailable("cannot reach the directory at " + url + ": " + Reason(ld, rc) +
                                 (ldaps ? " (for TLS errors check directory.ca_file)" : ""));
    }
    if (rc == LDAP_INVALID_CREDENTIALS || rc == LDAP_INAPPROPRIATE_AUTH ||
        rc == LDAP_STRONG_AUTH_REQUIRED || rc == LDAP_CONFIDENTIALITY_REQUIRED ||
        rc == LDAP_INSUFFICIENT_ACCESS || rc == LDAP_UNWILLING_TO_PERFORM) {
      return Status::PermissionDenied("bind as " + c->bind_identity_ + " to " + url +
                                      " refused: " + Reason(ld, rc));
    }
    return Status::Internal("bind as " + c->bind_identity_ + " to " + url + " failed: " +
                            Reason(ld, rc));
  }
  return c;
}

Status LdapConnection::CompleteRanges(LdapEntry& entry) {
  std::vector<std::string> ranged;
  for (const auto& [k, v] : entry.attrs)
    if (k.find(";range=") != std::string::npos) ranged.push_back(k);
  for (const std::string& first : ranged) {
    auto info = ParseRange(first);
    if (!info) continue;
    auto node = entry.attrs.extract(first);
    std::vector<std::string>& all = entry.attrs[info->base];
    for (auto& v : node.mapped()) all.push_back(std::move(v));
    std::optional<uint64_t> high = info->high;
    // MS-ADTS 3.1.1.3.1.3.3: ask for "attr;range=<high+1>-*" until the server answers with a
    // range ending in "*".
    while (high) {
      std::string want = info->base + ";range=" + std::to_string(*high + 1) + "-*";
      std::vector<std::string> one = {want};
      auto cattrs = CAttrs(one);
      timeval tv{timeout_seconds_, 0};
      LDAPMessage* res = nullptr;
      int rc = ldap_search_ext_s(ld_, entry.dn.c_str(), LDAP_SCOPE_BASE, "(objectClass=*)",
                                 cattrs.data(), 0, nullptr, nullptr, &tv, LDAP_NO_LIMIT, &res);
      ++range_reads_;
      if (rc != LDAP_SUCCESS) {
        if (res) ldap_msgfree(res);
        return ErrorFor(rc, "ranged read of " + info->base + " on", entry.dn);
      }
      std::optional<uint64_t> next;
      bool got = false;
      for (LDAPMessage* m = ldap_first_entry(ld_, res); m; m = ldap_next_entry(ld_, m)) {
        LdapEntry part = ParseEntry(ld_, m);
        for (auto& [k, v] : part.attrs) {
          auto pi = ParseRange(k);
          if (!pi || AsciiLower(pi->base) != AsciiLower(info->base)) continue;
          got = true;
          next = pi->high;
          for (auto& x : v) all.push_back(std::move(x));
        }
      }
      ldap_msgfree(res);
      if (!got) break;  // server stopped ranging: what we have is all there is
      if (next && *next <= *high) {
        return Status::Internal("ranged read of " + info->base + " on " + entry.dn +
                                " did not advance (server bug?)");
      }
      high = next;
    }
  }
  return Status::Ok();
}

Status LdapConnection::Search(const std::string& base, LdapScope scope, const std::string& filter,
                              const std::vector<std::string>& attrs,
                              const std::function<Status(LdapEntry&&)>& on_entry) {
  auto cattrs = CAttrs(attrs);
  berval cookie{0, nullptr};
  Status status;
  bool more = true;
  uint64_t entries_read = 0;
  const bool paged = page_size_ > 0 && scope != LdapScope::kBase;
  while (more && status.ok()) {
    more = false;
    LDAPControl* page_ctrl = nullptr;
    if (paged) {
      // Non-critical: a server without paging answers in one go instead of refusing.
      int rc = ldap_create_page_control(ld_, page_size_, cookie.bv_val ? &cookie : nullptr, 0,
                                        &page_ctrl);
      if (rc != LDAP_SUCCESS) {
        status = Status::Internal("cannot build the paged results control: " + std::string(ldap_err2string(rc)));
        break;
      }
    }
    LDAPControl* sctrls[] = {page_ctrl, nullptr};
    timeval tv{timeout_seconds_, 0};
    LDAPMessage* res = nullptr;
    int rc = ldap_search_ext_s(ld_, base.c_str(), static_cast<int>(scope), filter.c_str(),
                               cattrs.data(), 0, page_ctrl ? sctrls : nullptr, nullptr, &tv,
                               LDAP_NO_LIMIT, &res);
    if (page_ctrl) ldap_control_free(page_ctrl);
    if (cookie.bv_val) {
      ber_memfree(cookie.bv_val);
      cookie = {0, nullptr};
    }
    ++pages_fetched_;
    // A result that ends the read early must never look like the end of the directory: a size,
    // time or administrative limit, a referral to another server, or a page without the
    // paged-results response (the server stopped paging) all mean entries are missing.
    std::string partial;
    if (rc == LDAP_SIZELIMIT_EXCEEDED || rc == LDAP_TIMELIMIT_EXCEEDED ||
        rc == LDAP_ADMINLIMIT_EXCEEDED || rc == LDAP_REFERRAL) {
      partial = std::string("the server ended the read early: ") + ldap_err2string(rc);
    } else if (rc != LDAP_SUCCESS) {
      if (res) ldap_msgfree(res);
      return ErrorFor(rc, "search under", base);
    }
    std::vector<LdapEntry> page;
    bool page_control_seen = false;
    for (LDAPMessage* m = ldap_first_message(ld_, res); m; m = ldap_next_message(ld_, m)) {
      int type = ldap_msgtype(m);
      if (type == LDAP_RES_SEARCH_ENTRY) {
        page.push_back(ParseEntry(ld_, m));
      } else if (type == LDAP_RES_SEARCH_REFERENCE) {
        std::string where = ReferenceTarget(ld_, m);
        if (!IsSameServerPartition(where, base)) {
          partial = "the server referred part of the tree to another place (" + where + ")";
        }
      } else if (type == LDAP_RES_SEARCH_RESULT && paged) {
        LDAPControl** rctrls = nullptr;
        int err = LDAP_SUCCESS;
        if (ldap_parse_result(ld_, m, &err, nullptr, nullptr, nullptr, &rctrls, 0) == LDAP_SUCCESS &&
            rctrls) {
          if (LDAPControl* pr = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, rctrls, nullptr)) {
            page_control_seen = true;
            ber_int_t estimate = 0;
            if (ldap_parse_pageresponse_control(ld_, pr, &estimate, &cookie) == LDAP_SUCCESS &&
                cookie.bv_val && cookie.bv_len > 0) {
              more = true;
            }
          }
          ldap_controls_free(rctrls);
        }
      }
    }
    ldap_msgfree(res);
    if (paged && partial.empty() && !page_control_seen) {
      partial = "a page came back without the paged-results control (the server stopped paging)";
    }
    if (!partial.empty()) {
      const std::string what = "reading under " + base + " from " + url_ + ": " + partial +
                               " after " + std::to_string(entries_read + page.size()) +
                               " entries";
      if (!allow_partial_) {
        if (cookie.bv_val) ber_memfree(cookie.bv_val);
        return Status::Unavailable(
            what + ". The directory read is incomplete, so no audit is made from it. Raise the "
                   "server's limits for the bind account (AD MaxPageSize / MaxQueryDuration, "
                   "slapd `limits`), or set [directory] allow_partial = true (not for production)");
      }
      partial_reads_.push_back(what);
      more = false;
    }
    entries_read += page.size();
    for (LdapEntry& e : page) {
      if (status.ok()) status = CompleteRanges(e);
      if (status.ok()) status = on_entry(std::move(e));
    }
  }
  if (cookie.bv_val) ber_memfree(cookie.bv_val);
  return status;
}

Result<std::map<std::string, std::vector<std::string>>> LdapConnection::ReadEntry(
    const std::string& dn, const std::vector<std::string>& attrs) {
  std::optional<LdapEntry> found;
  Status s = Search(dn, LdapScope::kBase, "(objectClass=*)", attrs, [&](LdapEntry&& e) {
    found = std::move(e);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  if (!found) return Status::NotFound("entry " + dn + " not found on " + url_);
  return std::map<std::string, std::vector<std::string>>(
      std::make_move_iterator(found->attrs.begin()), std::make_move_iterator(found->attrs.end()));
}

Status LdapConnection::ModifyReplace(const std::string& dn, const std::string& attr,
                                     const std::vector<std::string>& values) {
  std::vector<berval> bvs(values.size());
  std::vector<berval*> ptrs;
  for (size_t i = 0; i < values.size(); ++i) {
    bvs[i].bv_val = const_cast<char*>(values[i].data());
    bvs[i].bv_len = values[i].size();
    ptrs.push_back(&bvs[i]);
  }
  ptrs.push_back(nullptr);
  LDAPMod mod{};
  mod.mod_op = LDAP_MOD_REPLACE | LDAP_MOD_BVALUES;
  mod.mod_type = const_cast<char*>(attr.c_str());
  mod.mod_vals.modv_bvals = ptrs.data();
  LDAPMod* mods[] = {&mod, nullptr};
  int rc = ldap_modify_ext_s(ld_, dn.c_str(), mods, nullptr, nullptr);
  if (rc != LDAP_SUCCESS) return ErrorFor(rc, "modify " + attr + " of", dn);
  return Status::Ok();
}

}  // namespace credsweep
