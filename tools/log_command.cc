// `credsweep log keygen --out KEYFILE` and
// `credsweep log verify --log FILE --pubkey FILE [--expect-head HASH] [--expect-count N]`
// — the signed action log (engine/remediate/action_log.h).
//
// keygen: writes KEYFILE (Ed25519 secret key, 0600) and KEYFILE.pub, prints the public key;
//   refuses to overwrite either file. Keep KEYFILE.pub (and a printed copy) with the auditor.
// verify: checks every entry's hash, signature, seq and chain link. Exit 0 and
//   "OK: N entries verified, head HASH" on an intact log; exit 1 and "BAD: line L (seq S): what"
//   for the first bad entry. --expect-head (the head the run history recorded) and
//   --expect-count (at least N entries) also catch entries deleted from the end.
// Exit 2 usage error, 3 the log or key cannot be read.
#include <iostream>
#include <memory>
#include <string>

#include "engine/remediate/action_log.h"
#include "tools/command.h"

namespace credsweep {
namespace {

struct KeygenArgs {
  std::string out;
};

struct VerifyArgs {
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

int RunVerify(const VerifyArgs& args) {
  Result<std::array<uint8_t, 32>> pk = LoadLogPublicKey(args.pubkey);
  if (!pk.ok()) return ReportError(pk.status());
  VerifyOptions options;
  if (!args.expect_head.empty()) {
    if (args.expect_head.size() != kLogHashHexLen) {
      return ReportError(Status::InvalidArgument("--expect-head must be 64 hex digits"));
    }
    options.expect_head = args.expect_head;
  }
  if (args.expect_count >= 0) options.min_count = static_cast<uint64_t>(args.expect_count);
  Result<VerifyReport> r = VerifyActionLog(args.log, *pk, options);
  if (!r.ok()) return ReportError(r.status());
  if (r->ok) {
    std::cout << "OK: " << r->entries_verified << " entries verified, head " << r->head_hash
              << "\n";
    return kExitOk;
  }
  std::cout << "BAD: " << args.log;
  if (r->bad_line > 0) std::cout << " line " << r->bad_line;
  if (r->bad_seq) std::cout << " (seq " << *r->bad_seq << ")";
  std::cout << ": " << r->problem << "\n"
            << "  " << r->entries_verified << " entries before it verified, head "
            << r->head_hash << "\n";
  return kExitFound;
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
  verify->add_option("--log", vargs->log, "action log file")->required();
  verify->add_option("--pubkey", vargs->pubkey, "public key file (KEYFILE.pub)")->required();
  verify->add_option("--expect-head", vargs->expect_head,
                     "head hash recorded earlier (run history); it must be in the log");
  verify->add_option("--expect-count", vargs->expect_count,
                     "the log must hold at least this many entries")
      ->check(CLI::NonNegativeNumber);
  verify->callback([vargs, &ctx] { ctx.exit_code = RunVerify(*vargs); });
}

}  // namespace credsweep
