// The thin job behind `credsweep audit` (audit_job.h): open, read, audit, write.
#include "engine/audit/audit_job.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <thread>

#include "connectors/directory/directory_reader.h"
#include "connectors/replication/loader/replication_module.h"
#include "engine/audit/findings_csv.h"
#include "engine/audit/prefetched_store.h"
#include "engine/audit/rules.h"
#include "engine/base/file_util.h"
#include "engine/base/output_buffer.h"
#include "engine/base/secure_array.h"
#include "engine/base/secure_memory.h"
#include "engine/base/time_util.h"

namespace credsweep {
namespace {

// One output, streamed into a file that replaces its final name only on Commit; flushed to
// disk here, on the writer's own thread, so the two files' fsyncs overlap.
Status WriteStreamed(AtomicFile* file, const FindingsDocument& doc,
                     Status (*write)(const FindingsDocument&, OutputBuffer*)) {
  {
    OutputBuffer out(file);
    CS_RETURN_IF_ERROR(write(doc, &out));
  }
  return file->Sync();
}

}  // namespace

std::string DefaultAuditOutDir(const Config& cfg, int64_t now_unix, bool changed_only) {
  const std::string state = cfg.run.state_dir.empty() ? "./credsweep-state" : cfg.run.state_dir;
  const std::string date = FormatUtcDate(now_unix);
  const std::string base = cfg.run.out_dir.empty() ? state + "/reports/" + date.substr(0, 7)
                                                   : cfg.run.out_dir;
  return changed_only ? base + "/changed-" + date : base;
}

Status CheckHashCoverage(const HashMaterialInfo& m) {
  const double expected = static_cast<double>(m.accounts_expected);
  const double covered = static_cast<double>(m.accounts_covered);
  if (m.accounts_expected == 0 || covered >= m.min_coverage * expected) return Status::Ok();
  char pct[32];
  std::snprintf(pct, sizeof pct, "%.0f %%", 100.0 * m.min_coverage);
  std::string where = m.source == "file"          ? "the dump " + m.origin
                      : m.source == "replication" ? "replication from " + m.dc
                                                  : "sambaNTPassword in the directory";
  return Status::FailedPrecondition(
      "hash material covers " + std::to_string(m.accounts_covered) + " of " +
      std::to_string(m.accounts_expected) + " enabled user accounts (" + where +
      "; [hashes] min_coverage is " + pct + ") — is the dump from this domain, and complete? "
      "Nothing was checked; no findings were written");
}

Result<FindingsDocument> RunAuditJob(const Config& cfg, const std::string& out_dir,
                                     const AuditJobOptions& opts) {
  const int64_t started = NowUnix();
  const bool leak_rule_on = std::find(cfg.rules.disabled.begin(), cfg.rules.disabled.end(),
                                      "leaked-password") == cfg.rules.disabled.end();
  if (cfg.directory.url.empty()) {
    return Status::InvalidArgument(cfg.origin +
                                   ": [directory] url is required (ldaps://…, ldap://… or ldif:FILE)");
  }
  const bool openldap = cfg.directory.flavor == "openldap";
  const bool replication = cfg.hashes.source == "replication";
  if (replication && openldap) {
    return Status::InvalidArgument(cfg.origin + ": [hashes] source = \"replication\" needs an "
                                                "Active Directory domain (flavor = \"ad\")");
  }
  if (replication && cfg.directory.url.rfind("ldif:", 0) == 0 && cfg.hashes.dc.empty()) {
    return Status::InvalidArgument(cfg.origin + ": [hashes] source = \"replication\" with an "
                                                "ldif: directory needs [hashes] dc");
  }
  if (opts.changed_only && !replication) {
    return Status::InvalidArgument("--changed needs [hashes] source = \"replication\" (a dump "
                                   "has no notion of what changed)");
  }
  if (cfg.hashes.file.empty() && !openldap && !replication) {
    // Fail closed: an AD audit without hash material would report "no leaked passwords".
    return Status::InvalidArgument(
        cfg.origin + ": [hashes] file is required for flavor \"ad\" (a secretsdump, pwdump, "
                     "`pdbedit -L -w` or HashcatNT dump of the domain's NT hashes)");
  }

  // Steps 1 and 2 (store, hash material) and step 3 (the directory) are independent when the
  // hashes come from a dump file: then a second thread opens the store, loads the dump and
  // starts the lookup of every hash in it (PrefetchedStore, a thread of its own that runs on
  // into RunAudit) while this thread reads the directory (issue 11: the directory read and the
  // index lookups are each most of a second at 100 000 accounts). Replication stays
  // on this thread (Samba's libraries are not thread-safe), and on OpenLDAP the directory read
  // itself adds sambaNTPassword to the hashes, so it must come after.
  std::unique_ptr<CorpusStore> store;
  std::unique_ptr<PrefetchedStore> prefetched;
  HashDump hashes = HashDump::Empty();
  HashMaterialInfo material;
  std::optional<ReplicationState> replication_state;
  const ReplicationModule* module = nullptr;
  auto store_and_hashes = [&]() -> Status {
    // 1. The store, fail closed: missing or corrupt is an error, never "no leaks".
    if (leak_rule_on) {
      if (cfg.store.path.empty()) {
        return Status::InvalidArgument(cfg.origin + ": [store] path is required (the corpus "
                                                    "store directory made by `credsweep corpus "
                                                    "import`)");
      }
      // Never a whole-filter pass at open (O(store)): the lookup batch goes through the
      // filter range by range when that reads less than the index would, else straight to the
      // checksummed index (kBatchRanges, corpus_store.h); memory stays flat either way.
      Result<std::unique_ptr<CorpusStore>> opened = CorpusStore::Open(
          cfg.store.path, StoreOpenOptions{.filter_check = FilterCheck::kBatchRanges});
      if (!opened.ok()) {
        const Status& s = opened.status();
        // Whatever the store says, a bad store is a runtime failure (exit 3), not a usage error.
        Status runtime =
            s.code() == StatusCode::kInvalidArgument ? Status::Corruption(s.message()) : s;
        return runtime.WithContext("corpus store " + cfg.store.path);
      }
      store = std::move(opened).value();
    }

    // 2. Hash material: the dump or the DC's replication, plus sambaNTPassword on OpenLDAP.
    if (replication) {
      CS_ASSIGN_OR_RETURN(module, LoadReplicationModule());
      CS_ASSIGN_OR_RETURN(ReplicatedHashes rep,
                          module->replicate_for_audit(cfg, opts.changed_only));
      hashes = std::move(rep.hashes);
      material = std::move(rep.info);
      if (!opts.changed_only) replication_state = std::move(rep.state);
    } else if (!cfg.hashes.file.empty()) {
      Result<HashDump> loaded = HashDump::Load(cfg.hashes.file, cfg.hashes.format);
      if (!loaded.ok()) {
        const Status& s = loaded.status();
        // A malformed dump is bad input data, not a bad command line: exit 3, naming FILE:LINE.
        Status runtime =
            s.code() == StatusCode::kInvalidArgument ? Status::Corruption(s.message()) : s;
        return runtime.WithContext("hash dump [hashes] file");
      }
      hashes = std::move(loaded).value();
      if (hashes.records().empty()) {
        // An empty dump would make every account "not leaked": always an error.
        return Status::FailedPrecondition(
            "hash dump " + cfg.hashes.file + " holds no hash records (" +
            std::to_string(hashes.lines_read()) +
            " lines read) — was the export cut short, or is it the wrong file?");
      }
      material.source = "file";
      material.origin = cfg.hashes.file;
    } else {
      material.source = "directory";
      material.origin = cfg.directory.url;
    }

    // Every hash RunAudit will ask for, looked up now (it still asks the store for anything
    // else, e.g. sambaNTPassword read from the directory).
    if (store && !hashes.records().empty()) {
      size_t n = 0;
      for (const HashRecord& r : hashes.records()) {
        n += r.nt != nullptr && (r.history_index == 0 || cfg.rules.check_history);
      }
      SecureArray<NtHash> batch(n);
      if (!batch.ok()) return Status::Internal("cannot allocate secure memory for the lookup batch");
      size_t k = 0;
      for (const HashRecord& r : hashes.records()) {
        if (r.nt != nullptr && (r.history_index == 0 || cfg.rules.check_history)) batch[k++] = *r.nt;
      }
      // Started, not waited for: RunAudit builds the directory index and classifies while the
      // index is read, and its first lookup waits (and fails closed with the store's error).
      Result<std::unique_ptr<PrefetchedStore>> ahead =
          PrefetchedStore::Start(store.get(), batch.span());
      if (!ahead.ok()) {
        return ahead.status().WithContext("looking up account hashes in the corpus store");
      }
      prefetched = std::move(ahead).value();
    }
    return Status::Ok();
  };

  // 3. The directory.
  Result<DirectorySnapshot> snapshot = Status::Internal("the directory was not read");
  auto read_directory = [&] { snapshot = ReadDirectory(cfg, openldap ? &hashes : nullptr); };
  Status loaded;
  if (!replication && !openldap) {
    std::thread second([&] { loaded = store_and_hashes(); });
    read_directory();
    second.join();
  } else {
    loaded = store_and_hashes();
    if (loaded.ok()) read_directory();
  }
  // This thread lives on (and may wait on an owner map or a server): nothing it copied from the
  // directory or the dump stays behind in its vector registers (secure_memory.h says why).
  WipeVectorRegisters();
  CS_RETURN_IF_ERROR(loaded);
  if (!snapshot.ok()) return snapshot.status().WithContext("reading directory " + cfg.directory.url);

  // 4. The pure audit.
  CS_ASSIGN_OR_RETURN(FindingsDocument doc,
                      RunAudit(cfg, std::move(*snapshot), hashes,
                               prefetched ? static_cast<const CorpusStore*>(prefetched.get())
                                          : store.get(),
                               started,
                               opts.changed_only ? AuditScope::kDelta : AuditScope::kFull));
  doc.run.finished_at = FormatUtcIso(NowUnix());
  material.accounts_expected = doc.run.hash_material.accounts_expected;
  material.accounts_covered = doc.run.hash_material.accounts_covered;
  material.min_coverage = cfg.hashes.min_coverage;
  doc.run.hash_material = material;
  // Fail closed on coverage (a delta from --changed covers only what changed, by design).
  if (!material.changed_only) CS_RETURN_IF_ERROR(CheckHashCoverage(material));

  // 5. Outputs, private and crash-safe.
  CS_RETURN_IF_ERROR(MakeDirs(out_dir, 0700));
  // The two files are independent renderings of one document: one thread each, into temp
  // files that replace the final names only when both were written, JSON first — so a refused
  // or failed output (a symlink at a final name, a full disk) replaces neither.
  CS_ASSIGN_OR_RETURN(AtomicFile json_file, AtomicFile::Create(out_dir + "/findings.json", 0600));
  CS_ASSIGN_OR_RETURN(AtomicFile csv_file, AtomicFile::Create(out_dir + "/findings.csv", 0600));
  Status csv;
  std::thread csv_writer([&] {
    csv = WriteStreamed(&csv_file, doc, WriteFindingsCsv);
    // The inputs are no longer needed (the document holds its own copies): freeing a
    // 100 000-account snapshot and closing the store took ~0.3 s, here beside the JSON writer
    // instead of after it. The hash dump's secure memory is wiped as it goes.
    prefetched.reset();
    store.reset();
    snapshot = Status::Internal("released");
    hashes = HashDump::Empty();
  });
  Status json = WriteStreamed(&json_file, doc, WriteFindingsJson);
  csv_writer.join();
  CS_RETURN_IF_ERROR(json);
  CS_RETURN_IF_ERROR(csv);
  CS_RETURN_IF_ERROR(json_file.Commit());
  CS_RETURN_IF_ERROR(csv_file.Commit());
  // Only a completed full audit becomes the baseline of `--changed`.
  if (replication_state) {
    CS_RETURN_IF_ERROR(module->save_state(cfg, *replication_state)
                           .WithContext("saving the replication state"));
  }
  return doc;
}

}  // namespace credsweep
