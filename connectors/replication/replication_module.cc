// The entry of credsweep-replication.so (loader/replication_module.h): the only symbol the
// binary looks up. Built into the module only (CMakeLists.txt: *_module.cc files are module
// entries, not part of their folder's static library).
#include "connectors/replication/loader/replication_module.h"

extern "C" __attribute__((visibility("default"))) const credsweep::ReplicationModule*
credsweep_replication_module() {
  static const credsweep::ReplicationModule module{
      credsweep::kReplicationModuleAbi,
      &credsweep::ReplicateForAudit,
      &credsweep::SaveReplicationState,
      &credsweep::LoadReplicationState,
  };
  return &module;
}
