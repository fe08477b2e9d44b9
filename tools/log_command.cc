// `credsweep log keygen --out KEYFILE`,
// `credsweep log verify --config FILE` and
// `credsweep log verify --log FILE --pubkey FILE [--expect-head HASH] [--expect-count N]`
// — the signed action log (engine/remediate/action_log.h).
//
// keygen: writes KEYFILE (Ed25519 secret key, 0600) and KEYFILE.pub, prints the public key;
//   refuses to overwrite either file. Keep KEYFILE.pub (and a printed copy) with the auditor.
// verify: checks every entry's bytes (canonical form), hash, signature, seq and chain link.
//   --config finds the log ([log] path), the public key (KEY.pub beside [log] signing_key) and
//   the anchor — the head hash and entry count of the latest run-history record in
//   [run] state_dir/history — so a shortened, emptied or deleted log is BAD. --log/--pubkey with
//   --expect-head/--expect-count do the same from the files alone (for an auditor).
//   Exit 0 and "OK: N entries verified, head HASH" on an intact log; exit 1 and
//   "BAD: line L (seq S): what" for the first bad entry, or "UNFINISHED: seq S ..." for each
//   intent entry without an outcome (the process stopped between a change and its log entry).
// Exit 2 usage error, 3 the log or key cannot be read.
#include <iostream>
#include <memory>
#include <string>

#include "engine/config/config.h"
#include "engine/remediate/action_log.h"
#include "engine/remediate/enforce.h"
#include "engine/report/run_history.h"
#include "tools/command.h"

namespace credsweep {
namespace {

struct KeygenArgs {
  std::string out;
};

struct VerifyArgs {
  std::string config;
  std::string log;
  std::string pubkey;
  std::string expect_head;
  int64_t expect_count = -1;
};

int RunKeygen(const KeygenArgs& args) {
  Result<std::string> pk = GenerateLogKeyFiles(args.out);
  if (!pk.ok()) return ReportError(pk.status());
  std::cout << "secret key: " << args.out << " (mode 0600; set [log] signing_key to it)\n"
            << "public key: " << args.out << ".pub\n"
            << pk.value() << "\n";
  return kExitOk;
}

// --config: the log, the key and the anchor of the latest run record that has one.
Status FromConfig(const std::string& config_path, VerifyArgs* args, VerifyOptions* options,
                  std::string* anchor_origin) {
  CS_ASSIGN_OR_RETURN(Config cfg, LoadConfig(config_path));
  if (cfg.log.signing_key.empty()) {
    return Status::InvalidArgument(config_path + ": [log] signing_key is not set, so there is "
                                   "no public key to verify the action log with");
  }
  if (args->log.empty()) args->log = ConfiguredActionLogPath(cfg);
  if (args->pubkey.empty()) args->pubkey = cfg.log.signing_key + ".pub";
  CS_ASSIGN_OR_RETURN(RunHistory history, LoadRunHistory(cfg.run.state_dir));
  for (const std::string& w : history.unreadable) {
    std::cerr << "credsweep: warning: run history file skipped: " << w << "\n";
  }
  // The log only grows, so the record with the most entries is the strongest anchor; among
  // equals, the latest.
  const RunRecord* anchor = nullptr;
  for (const RunRecord& r : history.runs) {
    if (anchor == nullptr || r.log_entries >= anchor->log_entries) anchor = &r;
  }
  if (anchor == nullptr) return Status::Ok();
  if (!options->min_count) options->min_count = anchor->log_entries;
  if (!options->expect_head && !anchor->log_head_hash.empty()) {
    options->expect_head = anchor->log_head_hash;
  }
  *anchor_origin = RunRecordPath(cfg.run.state_dir, anchor->id);
  return Status::Ok();
}

int RunVerify(VerifyArgs args) {
  VerifyOptions options;
  if (!args.expect_head.empty()) {
    if (args.expect_head.size() != kLogHashHexLen) {
      return ReportError(Status::InvalidArgument("--expect-head must be 64 hex digits"));
    }
    options.expect_head = args.expect_head;
  }
  if (args.expect_count >= 0) options.min_count = static_cast<uint64_t>(args.expect_count);
  std::string anchor_origin;
  if (!args.config.empty()) {
    Status s = FromConfig(args.config, &args, &options, &anchor_origin);
    if (!s.ok()) return ReportError(s);
  } else if (args.log.empty() || args.pubkey.empty()) {
    return ReportError(Status::InvalidArgument(
        "log verify needs --config FILE, or --log FILE and --pubkey FILE"));
  }
  Result<std::array<uint8_t, 32>> pk = LoadLogPublicKey(args.pubkey);
  if (!pk.ok()) return ReportError(pk.status());
  Result<VerifyReport> r = VerifyActionLog(args.log, *pk, options);
  // A deleted log is not "nothing to check" when a run recorded entries in it.
  if (!r.ok() && r.status().code() == StatusCode::kNotFound && options.min_count.value_or(0) > 0) {
    std::cout << "BAD: " << args.log << ": the log is missing, but "
              << (anchor_origin.empty() ? std::string("--expect-count") : anchor_origin)
              << " records " << *options.min_count << " entries\n";
    return kExitFound;
  }
  if (!r.ok()) return ReportError(r.status());
  if (!r->ok) {
    std::cout << "BAD: " << args.log;
    if (r->bad_line > 0) std::cout << " line " << r->bad_line;
    if (r->bad_seq) std::cout << " (seq " << *r->bad_seq << ")";
    std::cout << ": " << r->problem << "\n";
    if (!anchor_origin.empty()) std::cout << "  anchor: " << anchor_origin << "\n";
    std::cout << "  " << r->entries_verified << " entries before it verified, head "
              << r->head_hash << "\n";
    return kExitFound;
  }
  std::cout << "OK: " << r->entries_verified << " entries verified, head " << r->head_hash;
  if (!anchor_origin.empty()) std::cout << " (anchor " << anchor_origin << ")";
  std::cout << "\n";
  for (const UnfinishedAction& u : r->unfinished) {
    std::cout << "UNFINISHED: seq " << u.seq << " " << u.action << " " << u.target << " ("
              << u.account << ") at " << u.time
              << ": no outcome entry follows — the process stopped between the change and its "
                 "log entry; check this account in the directory\n";
  }
  return r->unfinished.empty() ? kExitOk : kExitFound;
}

}  // namespace

void SetupLogCommand(CLI::App& app, CommandContext& ctx) {
  CLI::App* log = app.add_subcommand("log", "The signed, hash-chained action log");
  log->require_subcommand(1);

  auto kargs = std::make_shared<KeygenArgs>();
  CLI::App* keygen = log->add_subcommand(
      "keygen", "Create an Ed25519 signing key (KEYFILE, 0600) and its public key (KEYFILE.pub)");
  keygen->add_option("--out", kargs->out, "secret key file to create")->required();
  keygen->callback([kargs, &ctx] { ctx.exit_code = RunKeygen(*kargs); });

  auto vargs = std::make_shared<VerifyArgs>();
  CLI::App* verify = log->add_subcommand(
      "verify", "Verify every entry of an action log; exit 1 naming the first bad entry");
  verify->add_option("--config", vargs->config,
                     "credsweep TOML config: the log, KEY.pub and the latest run record's anchor");
  verify->add_option("--log", vargs->log, "action log file");
  verify->add_option("--pubkey", vargs->pubkey, "public key file (KEYFILE.pub)");
  verify->add_option("--expect-head", vargs->expect_head,
                     "head hash recorded earlier (run history); it must be in the log");
  verify->add_option("--expect-count", vargs->expect_count,
                     "the log must hold at least this many entries")
      ->check(CLI::NonNegativeNumber);
  verify->callback([vargs, &ctx] { ctx.exit_code = RunVerify(*vargs); });
}

}  // namespace credsweep
