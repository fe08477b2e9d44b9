// The replication hash source of `credsweep audit` ([hashes] source = "replication"):
// config -> ReplicationRequest -> HashDump + evidence, and the replication state kept in the
// state directory for `audit --changed`.
//
// Defaults, from the config (README "Hashes straight from the DC"):
//   DC        [hashes] dc, else the host of [directory] url
//   account   [hashes] username, else [directory] bind_dn when it is a UPN or DOMAIN\user
//   password  [hashes] password_file, else [directory] bind_password_file, else env
//             CREDSWEEP_BIND_PASSWORD — read into secure memory, wiped after the connect
//   Kerberos  [hashes] kerberos (KRB5_CONFIG from [hashes] krb5_config when set),
//             target [hashes] dc_hostname
//
// State: STATE_DIR/replication/state.json (0600, folder 0700): the DC, the naming context,
// the DC's invocation id, high-water mark and up-to-dateness vector after the last FULL read
// that completed an audit. `--changed` reads from there; only a full audit writes it, so each
// daily delta is "what changed since the last full run". The file holds no secret.
//
// Errors: as replication.h; kInvalidArgument for a missing account or password setting;
// kFailedPrecondition for `--changed` without a stored state (run a full audit first).
#pragma once

#include "connectors/hashdump/hash_dump.h"
#include "connectors/replication/replication.h"
#include "engine/base/status.h"
#include "engine/config/config.h"
#include "engine/model/finding.h"

namespace credsweep {

struct ReplicatedHashes {
  HashDump hashes;
  HashMaterialInfo info;   // source "replication", dc, naming context, high-water mark, time
  ReplicationState state;  // to save with SaveReplicationState after a full audit completed
};

[[nodiscard]] Result<ReplicatedHashes> ReplicateForAudit(const Config& cfg, bool changed_only);

// STATE_DIR/replication/state.json.
std::string ReplicationStatePath(const Config& cfg);
[[nodiscard]] Status SaveReplicationState(const Config& cfg, const ReplicationState& state);
// kNotFound when there is none yet; kCorruption when it cannot be read.
[[nodiscard]] Result<ReplicationState> LoadReplicationState(const Config& cfg);

}  // namespace credsweep
