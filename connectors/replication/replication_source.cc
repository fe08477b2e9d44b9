#include "connectors/replication/replication_source.h"

#include <sodium.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "engine/base/file_util.h"
#include "engine/base/hex.h"
#include "engine/base/secure_memory.h"
#include "engine/base/time_util.h"

namespace credsweep {
namespace {

using nlohmann::json;

// "ldaps://dc1.corp.example:636/..." -> "dc1.corp.example"; "[::1]:636" -> "::1".
std::string HostOfUrl(const std::string& url) {
  size_t start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  if (start < url.size() && url[start] == '[') {
    size_t close = url.find(']', start);
    return close == std::string::npos ? "" : url.substr(start + 1, close - start - 1);
  }
  size_t end = url.find_first_of(":/", start);
  return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

std::string GuidHex(const std::array<uint8_t, 16>& g) { return HexEncode(g.data(), g.size()); }

bool GuidFromHex(const std::string& s, std::array<uint8_t, 16>* g) {
  return HexDecodeExact(s, g->data(), g->size());
}

}  // namespace

std::string ReplicationStatePath(const Config& cfg) {
  const std::string state = cfg.run.state_dir.empty() ? "./credsweep-state" : cfg.run.state_dir;
  return state + "/replication/state.json";
}

Status SaveReplicationState(const Config& cfg, const ReplicationState& s) {
  json j{{"format", "credsweep-replication-state"},
         {"version", 1},
         {"dc", s.dc},
         {"naming_context", s.naming_context},
         {"invocation_id", GuidHex(s.invocation_id)},
         {"tmp_highest_usn", s.tmp_highest_usn},
         {"reserved_usn", s.reserved_usn},
         {"highest_usn", s.highest_usn}};
  j["uptodateness"] = json::array();
  for (const auto& c : s.uptodateness) {
    j["uptodateness"].push_back({{"invocation_id", GuidHex(c.invocation_id)},
                                 {"highest_usn", c.highest_usn}});
  }
  const std::string path = ReplicationStatePath(cfg);
  CS_RETURN_IF_ERROR(MakeDirs(DirName(path), 0700));
  return WriteFileAtomic(path, j.dump(2) + "\n", 0600);
}

Result<ReplicationState> LoadReplicationState(const Config& cfg) {
  const std::string path = ReplicationStatePath(cfg);
  Result<std::string> text = ReadFile(path);
  if (!text.ok()) {
    return Status::NotFound("no replication state in " + path +
                            ": a delta (--changed) is measured from the last full replication; "
                            "run a full `credsweep run` or `credsweep audit` with [hashes] "
                            "source = \"replication\" first");
  }
  json j = json::parse(*text, nullptr, false);
  ReplicationState s;
  auto bad = [&] { return Status::Corruption(path + ": not a credsweep replication state; "
                                             "run a full audit to write a new one"); };
  if (!j.is_object() || j.value("format", "") != "credsweep-replication-state" ||
      j.value("version", 0) != 1) {
    return bad();
  }
  try {
    s.dc = j.at("dc").get<std::string>();
    s.naming_context = j.at("naming_context").get<std::string>();
    if (!GuidFromHex(j.at("invocation_id").get<std::string>(), &s.invocation_id)) return bad();
    s.tmp_highest_usn = j.at("tmp_highest_usn").get<uint64_t>();
    s.reserved_usn = j.at("reserved_usn").get<uint64_t>();
    s.highest_usn = j.at("highest_usn").get<uint64_t>();
    for (const auto& c : j.at("uptodateness")) {
      ReplicationState::Cursor cur;
      if (!GuidFromHex(c.at("invocation_id").get<std::string>(), &cur.invocation_id)) return bad();
      cur.highest_usn = c.at("highest_usn").get<uint64_t>();
      s.uptodateness.push_back(cur);
    }
  } catch (const json::exception&) {
    return bad();
  }
  return s;
}

Result<ReplicatedHashes> ReplicateForAudit(const Config& cfg, bool changed_only) {
  ReplicationRequest req;
  req.dc = cfg.hashes.dc.empty() ? HostOfUrl(cfg.directory.url) : cfg.hashes.dc;
  if (req.dc.empty()) {
    return Status::InvalidArgument(cfg.origin + ": [hashes] dc is required for replication "
                                                "when [directory] url names no host");
  }
  req.dc_hostname = cfg.hashes.dc_hostname;
  req.username = cfg.hashes.username;
  if (req.username.empty()) {
    const std::string& b = cfg.directory.bind_dn;
    if (b.find('=') == std::string::npos &&
        (b.find('@') != std::string::npos || b.find('\\') != std::string::npos)) {
      req.username = b;
    } else {
      return Status::InvalidArgument(
          cfg.origin + ": [hashes] username is required for replication (a UPN such as "
                       "svc-repl@corp.example or CORP\\svc-repl), because [directory] bind_dn "
                       "is not one");
    }
  }
  req.kerberos = cfg.hashes.kerberos;
  req.timeout_seconds = cfg.directory.timeout_seconds;
  if (!cfg.hashes.krb5_config.empty()) setenv("KRB5_CONFIG", cfg.hashes.krb5_config.c_str(), 1);
  if (changed_only) {
    CS_ASSIGN_OR_RETURN(ReplicationState since, LoadReplicationState(cfg));
    if (since.dc != req.dc) {
      return Status::FailedPrecondition(
          "the stored replication state is from DC " + since.dc + ", not " + req.dc +
          ": a delta is only valid against the same DC; run a full audit first");
    }
    req.since = std::move(since);
  }
  // The one way to read a password (engine/base/secure_memory.h): owner and mode checked,
  // straight into secure memory, an empty one refused.
  const bool own_file = !cfg.hashes.password_file.empty();
  Result<SecretBuffer> password =
      ReadPassword(own_file ? cfg.hashes.password_file : cfg.directory.bind_password_file,
                   "CREDSWEEP_BIND_PASSWORD",
                   own_file ? "[hashes] password_file" : "[directory] bind_password_file");
  if (!password.ok()) return password.status().WithContext("replication needs the account's password");
  req.password = password->c_str();

  const int64_t started = NowUnix();
  CS_ASSIGN_OR_RETURN(ReplicationResult r, ReplicateHashes(req));
  if (changed_only && !r.incremental) {
    return Status::FailedPrecondition("the DC's naming context changed since the stored state; "
                                      "run a full audit first");
  }
  ReplicatedHashes out{std::move(r.hashes), {}, std::move(r.state)};
  HashMaterialInfo& info = out.info;
  info.source = "replication";
  info.origin = req.dc;
  info.dc = req.dc;
  info.naming_context = r.naming_context;
  info.highwatermark = out.state.highest_usn;
  info.read_at = FormatUtcIso(started);
  info.changed_only = changed_only;
  if (changed_only) info.since_highwatermark = req.since->highest_usn;
  info.accounts_fetched = r.accounts;
  return out;
}

}  // namespace credsweep
