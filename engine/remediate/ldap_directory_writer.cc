// The real DirectoryWriter: a thin adapter over LdapConnection, so every security default of the
// directory transport (TLS, CA, password handling) lives in one place.
#include "connectors/directory/ldap_connection.h"
#include "engine/remediate/directory_writer.h"

namespace credsweep {
namespace {

class LdapDirectoryWriter : public DirectoryWriter {
 public:
  explicit LdapDirectoryWriter(std::unique_ptr<LdapConnection> conn) : conn_(std::move(conn)) {}

  Result<std::map<std::string, std::vector<std::string>>> ReadEntry(
      const std::string& dn, const std::vector<std::string>& attrs) override {
    return conn_->ReadEntry(dn, attrs);
  }
  Status ModifyReplace(const std::string& dn, const std::string& attr,
                       const std::vector<std::string>& values) override {
    return conn_->ModifyReplace(dn, attr, values);
  }
  std::string Identity() const override { return conn_->bind_identity(); }

 private:
  std::unique_ptr<LdapConnection> conn_;
};

}  // namespace

Result<std::unique_ptr<DirectoryWriter>> ConnectDirectoryWriter(const DirectoryConfig& cfg) {
  if (cfg.url.rfind("ldif:", 0) == 0) {
    return Status::InvalidArgument("[directory] url " + cfg.url +
                                   " is an LDIF file; enforce --apply needs a live directory "
                                   "(ldaps:// or ldap:// with StartTLS)");
  }
  CS_ASSIGN_OR_RETURN(std::unique_ptr<LdapConnection> conn, LdapConnection::Connect(cfg));
  return std::unique_ptr<DirectoryWriter>(new LdapDirectoryWriter(std::move(conn)));
}

}  // namespace credsweep
