// The replication hash source as a loadable module: credsweep-replication.so, beside the
// credsweep binary, loaded the first time an audit reads hashes over MS-DRSR.
//
// Why: Samba's client libraries are ~100 shared objects. Linked into the binary, every
// credsweep process — `check-password` inside each password change on a Samba DC included —
// mapped and relocated all of them at start: +10 MB RSS and ~15 ms of CPU before main()
// (measured: 127 shared objects, 39 M cycles in the dynamic loader). Only
// `[hashes] source = "replication"` needs them, so only that path loads them.
//
// The module is built from the same sources and compiler as the binary (CMake target
// credsweep-replication); the C++ types in ReplicationModule cross the boundary unchanged. The
// binary exports its symbols (ENABLE_EXPORTS), so the module's references to the shared code
// (status, secure memory, hash dumps) bind to the binary's one copy. The module is never
// unloaded.
//
// Safety: the module runs with the binary's rights and sees every hash, so it is loaded only
// from the binary's own folder, only when it is a regular file owned by root or by the user
// running credsweep and not writable by group or others (like the secret files).
//
// Errors (LoadReplicationModule): kFailedPrecondition naming the file and what to do when it is
// missing, unsafe or not a credsweep replication module of this build.
#pragma once

#include <string>

#include "connectors/replication/replication.h"
#include "connectors/replication/replication_source.h"
#include "engine/base/status.h"
#include "engine/config/config.h"

namespace credsweep {

// The functions of replication_source.h, through the module.
struct ReplicationModule {
  int abi_version;  // kReplicationModuleAbi of the build that made the module
  Result<ReplicatedHashes> (*replicate_for_audit)(const Config& cfg, bool changed_only);
  Status (*save_state)(const Config& cfg, const ReplicationState& state);
  Result<ReplicationState> (*load_state)(const Config& cfg);
};

// Bumped whenever ReplicationModule or a type it passes changes shape.
inline constexpr int kReplicationModuleAbi = 1;
inline constexpr char kReplicationModuleFile[] = "credsweep-replication.so";
// The module's one exported entry: extern "C" const ReplicationModule* NAME();
inline constexpr char kReplicationModuleEntry[] = "credsweep_replication_module";

// Loads the module once per process (later calls return the same pointer or error).
[[nodiscard]] Result<const ReplicationModule*> LoadReplicationModule();

}  // namespace credsweep
