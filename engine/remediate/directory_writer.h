// DirectoryWriter: the two directory operations a forced change needs (read one entry, replace
// one attribute), behind an interface so enforce planning and applying are unit-tested against
// an in-memory fake, while the real implementation wraps connectors/directory LdapConnection
// (LDAPS or StartTLS, TLS >= 1.2; see ldap_connection.h for the security defaults).
//
// Failure policy: the same codes as LdapConnection — kNotFound for a DN that is gone,
// kPermissionDenied for insufficient access, kUnavailable when the server cannot be reached.
// Thread-safety: none; one writer per thread.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/base/status.h"
#include "engine/config/config.h"

namespace credsweep {

class DirectoryWriter {
 public:
  virtual ~DirectoryWriter() = default;
  // Base-scope read; attribute names in the result are lower-cased.
  [[nodiscard]] virtual Result<std::map<std::string, std::vector<std::string>>> ReadEntry(
      const std::string& dn, const std::vector<std::string>& attrs) = 0;
  [[nodiscard]] virtual Status ModifyReplace(const std::string& dn, const std::string& attr,
                                             const std::vector<std::string>& values) = 0;
  // Who the changes are made as (the bind DN), for the action log.
  virtual std::string Identity() const = 0;
};

// Connects and binds per cfg through LdapConnection (ldap_directory_writer.cc).
[[nodiscard]] Result<std::unique_ptr<DirectoryWriter>> ConnectDirectoryWriter(
    const DirectoryConfig& cfg);

}  // namespace credsweep
