// MS-DRSR replication of account secrets with Samba's client libraries (replication.h).
//
// Samba's headers are C; two of them forward-declare enums (smb_signing_setting,
// smb_encryption_setting) that C++ rejects, so they are defined (unused) before the include.
#define TEVENT_DEPRECATED 1  // tevent_loop_allow_nesting: Kerberos nests the loop during kinit

#include "connectors/replication/replication.h"

#include <dlfcn.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>

#include "connectors/replication/decrypt.h"
#include "engine/base/secure_memory.h"

extern "C" {
enum smb_signing_setting { kCredsweepUnusedSigning = 0 };
enum smb_encryption_setting { kCredsweepUnusedEncryption = 0 };
#include <core/ntstatus.h>
#include <core/werror.h>
#include <credentials.h>
#include <dcerpc.h>
#include <gen_ndr/drsuapi.h>
#include <gen_ndr/ndr_drsuapi.h>
#include <param.h>
#include <talloc.h>
#include <tevent.h>
#include <util/debug.h>
}

namespace credsweep {
namespace {

// ---- Samba's private symbols, found at run time (replication.h "Samba's private symbols") ----

using GensecSessionKeyFn = NTSTATUS (*)(struct gensec_security*, TALLOC_CTX*, DATA_BLOB*);
using DebugSetCallbackFn = void (*)(void*, debug_callback_fn);
using DebuglevelSetClassFn = void (*)(size_t, int);

struct SambaPrivate {
  const ndr_interface_table* drsuapi = nullptr;
  GensecSessionKeyFn session_key = nullptr;
  DebugSetCallbackFn debug_set_callback = nullptr;      // optional
  DebuglevelSetClassFn debuglevel_set_class = nullptr;  // optional
};

Result<SambaPrivate> FindSambaPrivate() {
  SambaPrivate s;
  s.drsuapi = static_cast<const ndr_interface_table*>(dlsym(RTLD_DEFAULT, "ndr_table_drsuapi"));
  s.session_key = reinterpret_cast<GensecSessionKeyFn>(dlsym(RTLD_DEFAULT, "gensec_session_key"));
  s.debug_set_callback =
      reinterpret_cast<DebugSetCallbackFn>(dlsym(RTLD_DEFAULT, "debug_set_callback"));
  s.debuglevel_set_class =
      reinterpret_cast<DebuglevelSetClassFn>(dlsym(RTLD_DEFAULT, "debuglevel_set_class"));
  for (auto [p, name] : {std::pair<const void*, const char*>{s.drsuapi, "ndr_table_drsuapi"},
                         {reinterpret_cast<const void*>(s.session_key), "gensec_session_key"}}) {
    if (p == nullptr) {
      return Status::Internal(std::string("Samba's client libraries do not provide ") + name +
                              " (expected in samba-libs' private libndr-samba / libgensec); "
                              "replication needs the samba-libs package this build was made for");
    }
  }
  return s;
}

// Samba's DEBUG output can describe protocol state; none of it may reach the terminal.
void DropSambaDebug(void*, int, const char*) {}

// ---- small helpers ---------------------------------------------------------------------------

struct TallocDeleter {
  void operator()(void* p) const { talloc_free(p); }
};

// sAMAccountName arrives as UTF-16LE; names are not secret, so a plain string is fine.
std::string Utf16LeToUtf8(const uint8_t* p, size_t n) {
  std::string out;
  for (size_t i = 0; i + 1 < n; i += 2) {
    uint32_t c = p[i] | (p[i + 1] << 8);
    if (c >= 0xD800 && c <= 0xDBFF && i + 3 < n) {
      uint32_t lo = p[i + 2] | (p[i + 3] << 8);
      if (lo >= 0xDC00 && lo <= 0xDFFF) {
        c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
        i += 2;
      }
    }
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c < 0x800) {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      out += static_cast<char>(0xE0 | (c >> 12));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (c >> 18));
      out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

uint32_t Le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

// The RID of a binary SID (objectSid value): the last sub-authority.
std::optional<uint32_t> RidOfSidBlob(const uint8_t* p, size_t n) {
  if (n < 8) return std::nullopt;
  const size_t subs = p[1];
  if (subs == 0 || n < 8 + 4 * subs) return std::nullopt;
  return Le32(p + 8 + 4 * (subs - 1));
}

// The DC= tail of a DN: the domain naming context of any object in it.
std::string DomainNcOf(const std::string& dn) {
  size_t pos = 0;
  while (pos < dn.size()) {
    if ((dn.compare(pos, 3, "DC=") == 0 || dn.compare(pos, 3, "dc=") == 0) &&
        (pos == 0 || dn[pos - 1] == ',')) {
      return dn.substr(pos);
    }
    size_t comma = dn.find(',', pos);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return "";
}

// ---- the attribute set and prefix table ------------------------------------------------------

// MS-ADTS attribute ids in the standard prefix table (prefix 9 = 1.2.840.113556.1.4); the
// partial attribute set must be sorted ascending.
constexpr uint32_t kAttUac = DRSUAPI_ATTID_userAccountControl;     // 0x90008
constexpr uint32_t kAttDbcsPwd = DRSUAPI_ATTID_dBCSPwd;            // 0x90037
constexpr uint32_t kAttUnicodePwd = DRSUAPI_ATTID_unicodePwd;      // 0x9005a
constexpr uint32_t kAttNtPwdHistory = DRSUAPI_ATTID_ntPwdHistory;  // 0x9005e
constexpr uint32_t kAttObjectSid = DRSUAPI_ATTID_objectSid;        // 0x90092
constexpr uint32_t kAttLmPwdHistory = DRSUAPI_ATTID_lmPwdHistory;  // 0x900a0
constexpr uint32_t kAttSamAccountName = DRSUAPI_ATTID_sAMAccountName;  // 0x900dd
constexpr uint32_t kPartialAttributes[] = {kAttUac,          kAttDbcsPwd,   kAttUnicodePwd,
                                           kAttNtPwdHistory, kAttObjectSid, kAttLmPwdHistory,
                                           kAttSamAccountName};

// BER-encoded OID prefixes (MS-DRSR 5.16.4): 2.5.4 and 1.2.840.113556.1.4.
const uint8_t kOid254[] = {0x55, 0x04};
const uint8_t kOidMsAds[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x14, 0x01, 0x04};

// Our request's prefix table: {0 -> 2.5.4, 9 -> 1.2.840.113556.1.4} and a trailing schemaInfo
// entry (0xFF + 20 bytes). Windows needs the table to read the attribute ids of the partial
// attribute set; Samba rejects a non-empty table without the schemaInfo entry
// (WERR_INVALID_PARAMETER).
void FillPrefixTable(TALLOC_CTX* mem, drsuapi_DsReplicaOIDMapping_Ctr* ctr) {
  auto* m = talloc_zero_array(mem, drsuapi_DsReplicaOIDMapping, 3);
  static uint8_t schema_info[21] = {0xFF};
  m[0].id_prefix = 0;
  m[0].oid.length = sizeof kOid254;
  m[0].oid.binary_oid = const_cast<uint8_t*>(kOid254);
  m[1].id_prefix = 9;
  m[1].oid.length = sizeof kOidMsAds;
  m[1].oid.binary_oid = const_cast<uint8_t*>(kOidMsAds);
  m[2].id_prefix = 0;
  m[2].oid.length = sizeof schema_info;
  m[2].oid.binary_oid = schema_info;
  ctr->num_mappings = 3;
  ctr->mappings = m;
}

// Maps the DC's attribute ids (its own prefix indices) onto ours. kCorruption for an id whose
// prefix the reply's table does not define.
class AttidMapper {
 public:
  explicit AttidMapper(const drsuapi_DsReplicaOIDMapping_Ctr& ctr) {
    for (uint32_t i = 0; i < ctr.num_mappings; ++i) {
      const auto& m = ctr.mappings[i];
      if (Same(m.oid, kOid254, sizeof kOid254)) map_[m.id_prefix] = 0;
      if (Same(m.oid, kOidMsAds, sizeof kOidMsAds)) map_[m.id_prefix] = 9;
    }
  }
  // Our attid, or 0xFFFFFFFF for an attribute from a prefix we did not ask about.
  uint32_t Map(uint32_t attid) const {
    auto it = map_.find(attid >> 16);
    return it == map_.end() ? 0xFFFFFFFFu : (it->second << 16) | (attid & 0xFFFF);
  }

 private:
  static bool Same(const drsuapi_DsReplicaOID& o, const uint8_t* p, size_t n) {
    return o.length == n && o.binary_oid && std::memcmp(o.binary_oid, p, n) == 0;
  }
  std::map<uint32_t, uint32_t> map_;
};

// A scratch buffer in secure memory for one decrypted attribute value.
class SecureScratch {
 public:
  ~SecureScratch() {
    if (p_) sodium_free(p_);
  }
  uint8_t* Get(size_t n) {
    if (n > cap_) {
      if (p_) sodium_free(p_);
      cap_ = std::max<size_t>(n, 4096);
      p_ = static_cast<uint8_t*>(sodium_malloc(cap_));
      if (p_ == nullptr) cap_ = 0;
    }
    return p_;
  }

 private:
  uint8_t* p_ = nullptr;
  size_t cap_ = 0;
};

// ---- the session ------------------------------------------------------------------------------

class DrsSession {
 public:
  DrsSession(const ReplicationRequest& req, const SambaPrivate& samba)
      : req_(req), samba_(samba), mem_(talloc_new(nullptr)) {}
  ~DrsSession() {
    if (session_key_) sodium_free(session_key_);
  }

  Status Connect();
  Status Bind();
  Result<std::string> FindDomainNc();
  Status Replicate(const std::string& nc, ReplicationResult* out);

 private:
  Status RpcError(const char* what, NTSTATUS st) const;
  Status ReadObject(const drsuapi_DsReplicaObjectListItemEx& obj, const AttidMapper& mapper,
                    ReplicationResult* out);

  const ReplicationRequest& req_;
  const SambaPrivate& samba_;
  std::unique_ptr<TALLOC_CTX, TallocDeleter> mem_;
  tevent_context* ev_ = nullptr;
  dcerpc_pipe* pipe_ = nullptr;
  policy_handle bind_handle_{};
  uint8_t* session_key_ = nullptr;  // sodium_malloc'd copy
  size_t session_key_len_ = 0;
  SecureScratch scratch_;
  std::set<std::array<uint8_t, 16>> seen_;  // object GUIDs (Samba re-sends the NC root per page)
};

Status DrsSession::RpcError(const char* what, NTSTATUS st) const {
  if (NT_STATUS_EQUAL(st, NT_STATUS_ACCESS_DENIED)) {
    return Status::PermissionDenied(std::string("DC ") + req_.dc + " refused " + what +
                                    " (NT_STATUS_ACCESS_DENIED); the DC must allow packet "
                                    "privacy (sealed RPC) for replication");
  }
  if (NT_STATUS_EQUAL(st, NT_STATUS_IO_TIMEOUT)) {
    return Status::Unavailable(std::string("DC ") + req_.dc + " did not answer " + what +
                               " in time");
  }
  return Status::Unavailable(std::string("DC ") + req_.dc + ": " + what + " failed: " +
                             nt_errstr(st));
}

Status DrsSession::Connect() {
  ev_ = tevent_context_init(mem_.get());
  if (ev_ == nullptr) return Status::Internal("tevent_context_init failed");
  // Deprecated in tevent, and still what Samba's own tools call for Kerberos: without it the
  // nested event loop during kinit aborts the process.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  tevent_loop_allow_nesting(ev_);
#pragma GCC diagnostic pop
  // No smb.conf is read: every setting credsweep needs is given here.
  loadparm_context* lp = loadparm_init_global(false);
  if (lp == nullptr) return Status::Internal("Samba loadparm_init_global failed");
  lpcfg_set_cmdline(lp, "log level", "0");
  // Registers the auth (gensec) modules; without it every connect fails with
  // NT_STATUS_INVALID_PARAMETER.
  NTSTATUS st = dcerpc_init();
  if (!NT_STATUS_IS_OK(st)) return Status::Internal(std::string("dcerpc_init: ") + nt_errstr(st));

  cli_credentials* creds = cli_credentials_init(mem_.get());
  cli_credentials_set_conf(creds, lp);
  const std::string& user = req_.username;
  if (user.find('\\') != std::string::npos) {
    const size_t bs = user.find('\\');
    cli_credentials_set_domain(creds, user.substr(0, bs).c_str(), CRED_SPECIFIED);
    cli_credentials_set_username(creds, user.substr(bs + 1).c_str(), CRED_SPECIFIED);
  } else if (user.find('@') != std::string::npos) {
    // A UPN: Samba splits it into principal and realm itself.
    cli_credentials_parse_string(creds, user.c_str(), CRED_SPECIFIED);
  } else {
    return Status::InvalidArgument("[hashes] username \"" + user +
                                   "\" must be a UPN (user@dns.domain) or DOMAIN\\user");
  }
  cli_credentials_set_password(creds, req_.password, CRED_SPECIFIED);
  cli_credentials_set_kerberos_state(
      creds, req_.kerberos ? CRED_USE_KERBEROS_REQUIRED : CRED_USE_KERBEROS_DISABLED,
      CRED_SPECIFIED);

  // [seal] always: packet privacy. Kerberos needs the DC's DNS name as the target (an IP has
  // no service principal) and the HOST/ service, which every DC has.
  std::string binding = "ncacn_ip_tcp:" + req_.dc + "[seal";
  if (req_.kerberos) {
    const std::string host = req_.dc_hostname.empty() ? req_.dc : req_.dc_hostname;
    binding += ",target_hostname=" + host + ",target_principal=HOST/" + host;
  }
  binding += "]";
  st = dcerpc_pipe_connect(mem_.get(), &pipe_, binding.c_str(), samba_.drsuapi, creds, ev_, lp);
  if (!NT_STATUS_IS_OK(st)) {
    const std::string who = "DC " + req_.dc;
    if (NT_STATUS_EQUAL(st, NT_STATUS_LOGON_FAILURE) ||
        NT_STATUS_EQUAL(st, NT_STATUS_WRONG_PASSWORD) ||
        NT_STATUS_EQUAL(st, NT_STATUS_NO_SUCH_USER)) {
      return Status::PermissionDenied(who + " refused the credentials of " + user +
                                      " (wrong password or unknown account; " + nt_errstr(st) +
                                      ")");
    }
    if (NT_STATUS_EQUAL(st, NT_STATUS_ACCOUNT_DISABLED) ||
        NT_STATUS_EQUAL(st, NT_STATUS_ACCOUNT_LOCKED_OUT) ||
        NT_STATUS_EQUAL(st, NT_STATUS_PASSWORD_EXPIRED) ||
        NT_STATUS_EQUAL(st, NT_STATUS_PASSWORD_MUST_CHANGE)) {
      return Status::PermissionDenied(who + " refused the account " + user + ": " +
                                      nt_errstr(st));
    }
    if (NT_STATUS_EQUAL(st, NT_STATUS_CONNECTION_REFUSED) ||
        NT_STATUS_EQUAL(st, NT_STATUS_HOST_UNREACHABLE) ||
        NT_STATUS_EQUAL(st, NT_STATUS_NETWORK_UNREACHABLE) ||
        NT_STATUS_EQUAL(st, NT_STATUS_IO_TIMEOUT) ||
        NT_STATUS_EQUAL(st, NT_STATUS_OBJECT_NAME_NOT_FOUND) ||
        NT_STATUS_EQUAL(st, NT_STATUS_INVALID_ADDRESS) ||
        NT_STATUS_EQUAL(st, NT_STATUS_CONNECTION_RESET) ||
        NT_STATUS_EQUAL(st, NT_STATUS_PORT_UNREACHABLE) ||
        NT_STATUS_EQUAL(st, NT_STATUS_CONNECTION_DISCONNECTED) ||
        NT_STATUS_EQUAL(st, NT_STATUS_END_OF_FILE)) {
      return Status::Unavailable("cannot reach " + who +
                                 " for replication (RPC endpoint mapper on port 135, then the "
                                 "drsuapi port): " + nt_errstr(st));
    }
    if (NT_STATUS_EQUAL(st, NT_STATUS_ACCESS_DENIED)) {
      return Status::PermissionDenied(who + " refused a sealed (packet privacy) RPC connection "
                                            "for " + user + " (NT_STATUS_ACCESS_DENIED)");
    }
    if (req_.kerberos && NT_STATUS_EQUAL(st, NT_STATUS_INVALID_PARAMETER)) {
      return Status::PermissionDenied(
          who + ": Kerberos authentication as " + user +
          " failed (check the realm in KRB5_CONFIG / [hashes] krb5_config, [hashes] dc_hostname "
          "and the password): " + nt_errstr(st));
    }
    return Status::Unavailable("connecting to " + who + " for replication failed: " +
                               nt_errstr(st));
  }
  if (req_.timeout_seconds > 0) {
    dcerpc_binding_handle_set_timeout(pipe_->binding_handle,
                                      static_cast<uint32_t>(req_.timeout_seconds));
  }

  // The full session key (16 bytes NTLM, 32 with Kerberos AES): MS-DRSR 4.1.10.6.16.
  DATA_BLOB key = {nullptr, 0};
  st = samba_.session_key(pipe_->conn->security_state.generic_state, mem_.get(), &key);
  if (!NT_STATUS_IS_OK(st) || key.length == 0) {
    return Status::Internal(std::string("no session key from the RPC connection: ") +
                            nt_errstr(st));
  }
  session_key_ = static_cast<uint8_t*>(sodium_malloc(key.length));
  if (session_key_ == nullptr) return Status::Internal("no secure memory for the session key");
  std::memcpy(session_key_, key.data, key.length);
  session_key_len_ = key.length;
  sodium_memzero(key.data, key.length);
  return Status::Ok();
}

Status DrsSession::Bind() {
  drsuapi_DsBind r{};
  drsuapi_DsBindInfoCtr info{};
  info.length = 28;
  info.info.info28.supported_extensions =
      DRSUAPI_SUPPORTED_EXTENSION_BASE | DRSUAPI_SUPPORTED_EXTENSION_RESTORE_USN_OPTIMIZATION |
      DRSUAPI_SUPPORTED_EXTENSION_STRONG_ENCRYPTION | DRSUAPI_SUPPORTED_EXTENSION_GETCHGREQ_V8 |
      DRSUAPI_SUPPORTED_EXTENSION_GETCHGREPLY_V6 | DRSUAPI_SUPPORTED_EXTENSION_GETCHGREQ_V5 |
      DRSUAPI_SUPPORTED_EXTENSION_ADDENTRY_V2;
  GUID bind_guid{};  // any client GUID; the DC does not check it for replication
  r.in.bind_guid = &bind_guid;
  r.in.bind_info = &info;
  r.out.bind_handle = &bind_handle_;
  NTSTATUS st = dcerpc_binding_handle_call(pipe_->binding_handle, nullptr, samba_.drsuapi,
                                           NDR_DRSUAPI_DSBIND, mem_.get(), &r);
  if (!NT_STATUS_IS_OK(st)) return RpcError("DsBind", st);
  if (!W_ERROR_IS_OK(r.out.result)) {
    return Status::PermissionDenied("DC " + req_.dc + " refused DsBind: " +
                                    win_errstr(r.out.result));
  }
  return Status::Ok();
}

Result<std::string> DrsSession::FindDomainNc() {
  // The bind account's own name -> its DN; the domain NC is the DN's DC= tail. This works for
  // a UPN and for DOMAIN\user alike (DS_UNKNOWN_NAME lets the DC try every format).
  drsuapi_DsNameString name{};
  name.str = req_.username.c_str();
  drsuapi_DsNameRequest req{};
  req.req1.codepage = 1252;
  req.req1.language = 0x00000407;
  req.req1.format_flags = DRSUAPI_DS_NAME_FLAG_NO_FLAGS;
  req.req1.format_offered = DRSUAPI_DS_NAME_FORMAT_UNKNOWN;
  req.req1.format_desired = DRSUAPI_DS_NAME_FORMAT_FQDN_1779;
  req.req1.count = 1;
  req.req1.names = &name;
  uint32_t level_out = 0;
  drsuapi_DsNameCtr ctr{};
  drsuapi_DsCrackNames r{};
  r.in.bind_handle = &bind_handle_;
  r.in.level = 1;
  r.in.req = &req;
  r.out.level_out = &level_out;
  r.out.ctr = &ctr;
  NTSTATUS st = dcerpc_binding_handle_call(pipe_->binding_handle, nullptr, samba_.drsuapi,
                                           NDR_DRSUAPI_DSCRACKNAMES, mem_.get(), &r);
  if (!NT_STATUS_IS_OK(st)) return RpcError("DsCrackNames", st);
  if (!W_ERROR_IS_OK(r.out.result) || level_out != 1 || ctr.ctr1 == nullptr ||
      ctr.ctr1->count != 1 || ctr.ctr1->array[0].status != DRSUAPI_DS_NAME_STATUS_OK ||
      ctr.ctr1->array[0].result_name == nullptr) {
    return Status::NotFound("DC " + req_.dc + " does not know the account " + req_.username +
                            " (DsCrackNames), so the domain naming context is unknown");
  }
  std::string nc = DomainNcOf(ctr.ctr1->array[0].result_name);
  if (nc.empty()) {
    return Status::Corruption("DC " + req_.dc + " returned a DN without DC= components for " +
                              req_.username);
  }
  return nc;
}

Status DrsSession::ReadObject(const drsuapi_DsReplicaObjectListItemEx& item,
                              const AttidMapper& mapper, ReplicationResult* out) {
  const drsuapi_DsReplicaObject& obj = item.object;
  if (obj.identifier == nullptr) return Status::Ok();
  std::array<uint8_t, 16> guid;
  static_assert(sizeof(GUID) == 16);
  std::memcpy(guid.data(), &obj.identifier->guid, 16);
  if (!seen_.insert(guid).second) return Status::Ok();
  ++out->objects;

  std::optional<uint32_t> rid;
  const dom_sid& isid = obj.identifier->sid;
  if (isid.num_auths > 0 && isid.num_auths <= 15) rid = isid.sub_auths[isid.num_auths - 1];
  std::string name;
  std::optional<bool> enabled;
  const drsuapi_DsAttributeValue* nt = nullptr;
  const drsuapi_DsAttributeValue* lm = nullptr;
  const drsuapi_DsAttributeValue* nt_hist = nullptr;
  const drsuapi_DsAttributeValue* lm_hist = nullptr;
  for (uint32_t a = 0; a < obj.attribute_ctr.num_attributes; ++a) {
    const drsuapi_DsReplicaAttribute& attr = obj.attribute_ctr.attributes[a];
    if (attr.value_ctr.num_values == 0 || attr.value_ctr.values == nullptr) continue;
    const drsuapi_DsAttributeValue* v = &attr.value_ctr.values[0];
    if (v->blob == nullptr) continue;
    switch (mapper.Map(attr.attid)) {
      case kAttObjectSid:
        if (auto r = RidOfSidBlob(v->blob->data, v->blob->length)) rid = r;
        break;
      case kAttSamAccountName: name = Utf16LeToUtf8(v->blob->data, v->blob->length); break;
      case kAttUac:
        if (v->blob->length >= 4) enabled = (Le32(v->blob->data) & 0x2) == 0;
        break;
      case kAttUnicodePwd: nt = v; break;
      case kAttDbcsPwd: lm = v; break;
      case kAttNtPwdHistory: nt_hist = v; break;
      case kAttLmPwdHistory: lm_hist = v; break;
      default: break;
    }
  }
  if (nt == nullptr) return Status::Ok();  // no password: nothing to check
  if (!rid) {
    return Status::Corruption("DC " + req_.dc + " sent a password for an object without a SID (" +
                              (name.empty() ? std::string("unnamed") : name) + ")");
  }
  const std::span<const uint8_t> key(session_key_, session_key_len_);
  auto decrypt = [&](const drsuapi_DsAttributeValue* v, const char* attr,
                     size_t* len) -> Result<uint8_t*> {
    uint8_t* buf = scratch_.Get(v->blob->length);
    if (buf == nullptr) return Status::Internal("no secure memory for a replicated secret");
    Status s = DecryptReplicatedSecret(key, {v->blob->data, v->blob->length}, *rid, buf, len);
    if (!s.ok()) {
      return s.WithContext(std::string(attr) + " of " + (name.empty() ? "RID " + std::to_string(*rid) : name));
    }
    return buf;
  };
  // Decrypt LM first into a second secure slot so the NT scratch is free for the histories.
  std::array<uint8_t, 16> lm_hash{};
  bool have_lm = false;
  size_t len = 0;
  if (lm != nullptr) {
    CS_ASSIGN_OR_RETURN(uint8_t* p, decrypt(lm, "dBCSPwd", &len));
    if (len >= 16) {
      // lm_hash sits on the stack only until HashDump::Add copies it; wiped below.
      std::memcpy(lm_hash.data(), p, 16);
      have_lm = true;
    }
    sodium_memzero(p, len);
  }
  CS_ASSIGN_OR_RETURN(uint8_t* p, decrypt(nt, "unicodePwd", &len));
  if (len != 16) {
    sodium_memzero(p, len);
    sodium_memzero(lm_hash.data(), 16);
    return Status::Corruption("unicodePwd of " + name + " is not one NT hash");
  }
  NtHash current;
  std::memcpy(current.data(), p, 16);
  sodium_memzero(p, len);
  out->hashes.Add(name, rid, 0, current, have_lm ? &lm_hash : nullptr, enabled);
  sodium_memzero(current.data(), 16);
  sodium_memzero(lm_hash.data(), 16);
  ++out->accounts;
  if (out->incremental) out->changed_rids.push_back(*rid);

  // Histories: entry 0 is the current password (already recorded); 1.. are previous ones.
  if (nt_hist != nullptr) {
    // LM history first, kept in its own secure buffer while the NT history is decrypted.
    std::unique_ptr<uint8_t, void (*)(void*)> lmh(nullptr, sodium_free);
    size_t lmh_len = 0;
    if (lm_hist != nullptr) {
      CS_ASSIGN_OR_RETURN(uint8_t* q, decrypt(lm_hist, "lmPwdHistory", &lmh_len));
      lmh.reset(static_cast<uint8_t*>(sodium_malloc(lmh_len ? lmh_len : 1)));
      if (!lmh) return Status::Internal("no secure memory for a replicated secret");
      std::memcpy(lmh.get(), q, lmh_len);
      sodium_memzero(q, lmh_len);
    }
    CS_ASSIGN_OR_RETURN(uint8_t* q, decrypt(nt_hist, "ntPwdHistory", &len));
    for (size_t i = 1; i * 16 + 16 <= len; ++i) {
      NtHash h;
      std::memcpy(h.data(), q + i * 16, 16);
      std::array<uint8_t, 16> lmi{};
      const bool lm_here = lmh && (i * 16 + 16 <= lmh_len);
      if (lm_here) std::memcpy(lmi.data(), lmh.get() + i * 16, 16);
      out->hashes.Add(name, rid, static_cast<int>(i), h, lm_here ? &lmi : nullptr, enabled);
      sodium_memzero(h.data(), 16);
      sodium_memzero(lmi.data(), 16);
    }
    sodium_memzero(q, len);
  }
  return Status::Ok();
}

Status DrsSession::Replicate(const std::string& nc, ReplicationResult* out) {
  drsuapi_DsReplicaObjectIdentifier nc_id{};
  nc_id.dn = nc.c_str();
  drsuapi_DsPartialAttributeSet pas{};
  pas.version = 1;
  pas.num_attids = sizeof kPartialAttributes / sizeof kPartialAttributes[0];
  pas.attids = reinterpret_cast<drsuapi_DsAttributeId*>(const_cast<uint32_t*>(kPartialAttributes));

  drsuapi_DsGetNCChangesRequest req{};
  drsuapi_DsGetNCChangesRequest8& r8 = req.req8;
  r8.naming_context = &nc_id;
  r8.max_object_count = 1000;
  r8.max_ndr_size = 0xa00000;
  r8.extended_op = DRSUAPI_EXOP_NONE;
  r8.partial_attribute_set = &pas;
  FillPrefixTable(mem_.get(), &r8.mapping_ctr);

  drsuapi_DsReplicaCursorCtrEx utd{};
  const bool delta = req_.since && req_.since->dc == req_.dc && req_.since->naming_context == nc;
  out->incremental = delta;
  if (delta) {
    // Only what changed since the stored state: its high-water mark and up-to-dateness vector.
    const ReplicationState& s = *req_.since;
    r8.replica_flags = DRSUAPI_DRS_WRIT_REP | DRSUAPI_DRS_SYNC_URGENT;
    std::memcpy(&r8.source_dsa_invocation_id, s.invocation_id.data(), 16);
    r8.highwatermark.tmp_highest_usn = s.tmp_highest_usn;
    r8.highwatermark.reserved_usn = s.reserved_usn;
    r8.highwatermark.highest_usn = s.highest_usn;
    utd.version = 1;
    utd.count = static_cast<uint32_t>(s.uptodateness.size());
    utd.cursors = talloc_zero_array(mem_.get(), drsuapi_DsReplicaCursor, utd.count ? utd.count : 1);
    for (uint32_t i = 0; i < utd.count; ++i) {
      std::memcpy(&utd.cursors[i].source_dsa_invocation_id, s.uptodateness[i].invocation_id.data(), 16);
      utd.cursors[i].highest_usn = s.uptodateness[i].highest_usn;
    }
    r8.uptodateness_vector = &utd;
  } else {
    r8.replica_flags = DRSUAPI_DRS_INIT_SYNC | DRSUAPI_DRS_WRIT_REP | DRSUAPI_DRS_NEVER_SYNCED |
                       DRSUAPI_DRS_FULL_SYNC_NOW | DRSUAPI_DRS_SYNC_URGENT;
  }

  out->naming_context = nc;
  out->state.dc = req_.dc;
  out->state.naming_context = nc;
  int stalled_pages = 0;
  for (int page = 0;; ++page) {
    std::unique_ptr<TALLOC_CTX, TallocDeleter> page_mem(talloc_new(mem_.get()));
    uint32_t level_out = 0;
    drsuapi_DsGetNCChangesCtr ctr{};
    drsuapi_DsGetNCChanges r{};
    r.in.bind_handle = &bind_handle_;
    r.in.level = 8;
    r.in.req = &req;
    r.out.level_out = &level_out;
    r.out.ctr = &ctr;
    NTSTATUS st = dcerpc_binding_handle_call(pipe_->binding_handle, nullptr, samba_.drsuapi,
                                             NDR_DRSUAPI_DSGETNCCHANGES, page_mem.get(), &r);
    if (!NT_STATUS_IS_OK(st)) return RpcError("DsGetNCChanges", st);
    const drsuapi_DsGetNCChangesCtr6* c6 = nullptr;
    if (level_out == 6) {
      c6 = &ctr.ctr6;
    } else if (level_out == 7 && ctr.ctr7.level == 6) {
      if (ctr.ctr7.type == DRSUAPI_COMPRESSION_TYPE_MSZIP && ctr.ctr7.ctr.mszip6.ts)
        c6 = &ctr.ctr7.ctr.mszip6.ts->ctr6;
      if (ctr.ctr7.type == DRSUAPI_COMPRESSION_TYPE_XPRESS && ctr.ctr7.ctr.xpress6.ts)
        c6 = &ctr.ctr7.ctr.xpress6.ts->ctr6;
    }
    WERROR werr = r.out.result;
    if (W_ERROR_IS_OK(werr) && c6 != nullptr) werr = c6->drs_error;
    if (W_ERROR_EQUAL(werr, WERR_DS_DRA_ACCESS_DENIED) || W_ERROR_EQUAL(werr, WERR_ACCESS_DENIED)) {
      return Status::PermissionDenied(
          req_.username + " may not replicate secrets from " + nc + " on DC " + req_.dc +
          ": it lacks the extended rights \"Replicating Directory Changes\" and \"Replicating "
          "Directory Changes All\" on the domain (see README \"Replication rights\")");
    }
    if (!W_ERROR_IS_OK(werr)) {
      return Status::Unavailable("DC " + req_.dc + " refused DsGetNCChanges on " + nc + ": " +
                                 win_errstr(werr));
    }
    if (c6 == nullptr) {
      return Status::Corruption("DC " + req_.dc + " answered DsGetNCChanges with reply level " +
                                std::to_string(level_out) + ", which credsweep cannot read");
    }
    const AttidMapper mapper(c6->mapping_ctr);
    const uint64_t before = out->objects;
    for (const drsuapi_DsReplicaObjectListItemEx* o = c6->first_object; o; o = o->next_object) {
      CS_RETURN_IF_ERROR(ReadObject(*o, mapper, out));
    }
    std::memcpy(out->state.invocation_id.data(), &c6->source_dsa_invocation_id, 16);
    out->state.tmp_highest_usn = c6->new_highwatermark.tmp_highest_usn;
    out->state.reserved_usn = c6->new_highwatermark.reserved_usn;
    out->state.highest_usn = c6->new_highwatermark.highest_usn;
    if (!c6->more_data) {
      if (c6->uptodateness_vector != nullptr) {
        for (uint32_t i = 0; i < c6->uptodateness_vector->count; ++i) {
          ReplicationState::Cursor cur;
          std::memcpy(cur.invocation_id.data(),
                      &c6->uptodateness_vector->cursors[i].source_dsa_invocation_id, 16);
          cur.highest_usn = c6->uptodateness_vector->cursors[i].highest_usn;
          out->state.uptodateness.push_back(cur);
        }
      }
      break;
    }
    // Samba re-sends the NC root on every page (de-duplicated above); a page with nothing new
    // again and again means the DC is looping (seen with max_object_count 1): stop, loudly.
    stalled_pages = out->objects == before ? stalled_pages + 1 : 0;
    if (stalled_pages >= 10) {
      return Status::Corruption("DC " + req_.dc + " keeps sending the same objects of " + nc +
                                " (page " + std::to_string(page) + "); replication stopped");
    }
    r8.highwatermark = c6->new_highwatermark;
    std::memcpy(&r8.source_dsa_invocation_id, &c6->source_dsa_invocation_id, sizeof(GUID));
  }
  return Status::Ok();
}

}  // namespace

Result<ReplicationResult> ReplicateHashes(const ReplicationRequest& request) {
  if (request.username.empty()) {
    return Status::InvalidArgument(
        "replication needs an account: set [hashes] username (UPN or DOMAIN\\user), or "
        "[directory] bind_dn to one");
  }
  if (request.password == nullptr) return Status::InvalidArgument("replication needs a password");
  CS_RETURN_IF_ERROR(InitSodium());
  CS_ASSIGN_OR_RETURN(SambaPrivate samba, FindSambaPrivate());
  if (samba.debug_set_callback != nullptr) samba.debug_set_callback(nullptr, DropSambaDebug);
  if (samba.debuglevel_set_class != nullptr) samba.debuglevel_set_class(0, 0);  // DBGC_ALL

  ReplicationResult result{HashDump::Empty(), "", {}, 0, 0, false, {}};
  DrsSession session(request, samba);
  CS_RETURN_IF_ERROR(session.Connect());
  CS_RETURN_IF_ERROR(session.Bind());
  CS_ASSIGN_OR_RETURN(std::string nc, session.FindDomainNc());
  CS_RETURN_IF_ERROR(session.Replicate(nc, &result));
  if (!result.incremental && result.accounts == 0) {
    // Never an empty result: a full read of a domain always has accounts with passwords.
    return Status::FailedPrecondition("DC " + request.dc + " returned no account passwords for " +
                                      nc + " (" + std::to_string(result.objects) +
                                      " objects) — does " + request.username +
                                      " have \"Replicating Directory Changes All\"?");
  }
  return result;
}

}  // namespace credsweep
