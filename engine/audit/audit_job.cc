// The thin job behind `credsweep audit` (audit_job.h): open, read, audit, write.
#include "engine/audit/audit_job.h"

#include <algorithm>

#include "connectors/directory/directory_reader.h"
#include "engine/audit/findings_csv.h"
#include "engine/audit/rules.h"
#include "engine/base/file_util.h"
#include "engine/base/time_util.h"

namespace credsweep {

std::string DefaultAuditOutDir(const Config& cfg, int64_t now_unix) {
  if (!cfg.run.out_dir.empty()) return cfg.run.out_dir;
  const std::string state = cfg.run.state_dir.empty() ? "./credsweep-state" : cfg.run.state_dir;
  return state + "/reports/" + FormatUtcDate(now_unix).substr(0, 7);
}

Result<FindingsDocument> RunAuditJob(const Config& cfg, const std::string& out_dir) {
  const int64_t started = NowUnix();
  const bool leak_rule_on = std::find(cfg.rules.disabled.begin(), cfg.rules.disabled.end(),
                                      "leaked-password") == cfg.rules.disabled.end();
  if (cfg.directory.url.empty()) {
    return Status::InvalidArgument(cfg.origin +
                                   ": [directory] url is required (ldaps://…, ldap://… or ldif:FILE)");
  }
  const bool openldap = cfg.directory.flavor == "openldap";
  if (cfg.hashes.file.empty() && !openldap) {
    // Fail closed: an AD audit without hash material would report "no leaked passwords".
    return Status::InvalidArgument(
        cfg.origin + ": [hashes] file is required for flavor \"ad\" (a secretsdump, pwdump, "
                     "`pdbedit -L -w` or HashcatNT dump of the domain's NT hashes)");
  }

  // 1. The store, fail closed: missing or corrupt is an error, never "no leaks".
  std::unique_ptr<CorpusStore> store;
  if (leak_rule_on) {
    if (cfg.store.path.empty()) {
      return Status::InvalidArgument(cfg.origin + ": [store] path is required (the corpus store "
                                                  "directory made by `credsweep corpus import`)");
    }
    Result<std::unique_ptr<CorpusStore>> opened = CorpusStore::Open(cfg.store.path);
    if (!opened.ok()) {
      const Status& s = opened.status();
      // Whatever the store says, a bad store is a runtime failure (exit 3), not a usage error.
      Status runtime = s.code() == StatusCode::kInvalidArgument ? Status::Corruption(s.message()) : s;
      return runtime.WithContext("corpus store " + cfg.store.path);
    }
    store = std::move(opened).value();
  }

  // 2. Hash material: the dump, plus sambaNTPassword on OpenLDAP.
  HashDump hashes = HashDump::Empty();
  if (!cfg.hashes.file.empty()) {
    Result<HashDump> loaded = HashDump::Load(cfg.hashes.file, cfg.hashes.format);
    if (!loaded.ok()) {
      const Status& s = loaded.status();
      // A malformed dump is bad input data, not a bad command line: exit 3, naming FILE:LINE.
      Status runtime = s.code() == StatusCode::kInvalidArgument ? Status::Corruption(s.message()) : s;
      return runtime.WithContext("hash dump [hashes] file");
    }
    hashes = std::move(loaded).value();
  }

  // 3. The directory.
  Result<DirectorySnapshot> snapshot = ReadDirectory(cfg, openldap ? &hashes : nullptr);
  if (!snapshot.ok()) return snapshot.status().WithContext("reading directory " + cfg.directory.url);

  // 4. The pure audit.
  CS_ASSIGN_OR_RETURN(FindingsDocument doc, RunAudit(cfg, *snapshot, hashes, store.get(), started));
  doc.run.finished_at = FormatUtcIso(NowUnix());

  // 5. Outputs, private and crash-safe.
  CS_RETURN_IF_ERROR(MakeDirs(out_dir, 0700));
  CS_RETURN_IF_ERROR(WriteFileAtomic(out_dir + "/findings.json", FindingsToJson(doc), 0600));
  CS_RETURN_IF_ERROR(WriteFileAtomic(out_dir + "/findings.csv", FindingsToCsv(doc), 0600));
  return doc;
}

}  // namespace credsweep
