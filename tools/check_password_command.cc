// `credsweep check-password --store DIR [--min-count N]`: the change-time check.
//
// Fits Samba's `check password script` contract (smb.conf(5)): the new password arrives on
// stdin (no trailing newline from Samba; one trailing "\n" or "\r\n" is dropped so
// `echo … | credsweep check-password` works too), the account in SAMBA_CPS_ACCOUNT_NAME
// (also SAMBA_CPS_USER_PRINCIPAL_NAME, SAMBA_CPS_FULL_NAME), and any non-zero exit rejects the
// change. So a leaked password is refused at the moment it is chosen, not a month later.
//
// Exit codes: 0 acceptable; 1 rejected (in the corpus with count >= --min-count, or empty);
// 2 usage; 3 the store could not be opened or read — fail closed: Samba then refuses the change
// rather than letting an unchecked password through.
// The password is never echoed, logged or put in a message, and its buffer is wiped.
#include <cstdlib>
#include <iostream>
#include <sodium.h>
#include <string>
#include <unistd.h>

#include "engine/base/nt_hash.h"
#include "engine/model/prevalence.h"
#include "engine/store/corpus_store.h"
#include "tools/command.h"

namespace credsweep {
namespace {

// AD passwords are at most 256 characters (MS-ADTS 3.1.1.3.1.5.2); anything far larger on stdin
// is not a password.
constexpr size_t kMaxPasswordBytes = 4096;

struct CheckPasswordOptions {
  std::string store;
  uint64_t min_count = 1;
};

// Reads all of stdin into `out`, wiping every intermediate buffer.
Status ReadPassword(std::string* out) {
  out->reserve(kMaxPasswordBytes + 1);
  char buf[512];
  for (;;) {
    ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      sodium_memzero(buf, sizeof buf);
      return Status::FromErrno("reading the password from stdin", errno);
    }
    if (n == 0) break;
    if (out->size() + static_cast<size_t>(n) > kMaxPasswordBytes) {
      sodium_memzero(buf, sizeof buf);
      return Status::InvalidArgument("stdin holds more than " + std::to_string(kMaxPasswordBytes) +
                                     " bytes: not a password");
    }
    out->append(buf, static_cast<size_t>(n));
  }
  sodium_memzero(buf, sizeof buf);
  if (!out->empty() && out->back() == '\n') out->pop_back();
  if (!out->empty() && out->back() == '\r') out->pop_back();
  return Status::Ok();
}

std::string AccountForMessages() {
  for (const char* var : {"SAMBA_CPS_ACCOUNT_NAME", "SAMBA_CPS_USER_PRINCIPAL_NAME"}) {
    const char* v = std::getenv(var);
    if (v != nullptr && *v != '\0') return std::string("account '") + v + "'";
  }
  return "the account";
}

int RunCheckPassword(const CheckPasswordOptions& opt) {
  // Open the store before reading the password so no secret is in memory on the error path.
  // kProbedRanges: constant time and memory at any store size — the filter's header and the
  // one 4 KiB range this lookup reads are verified, not the whole filter (corpus_store.h).
  Result<std::unique_ptr<CorpusStore>> store =
      CorpusStore::Open(opt.store, StoreOpenOptions{.filter_check = FilterCheck::kProbedRanges,
                                                      .lookups = LookupVolume::kFew});
  if (!store.ok()) {
    std::cout << "rejected: the leaked-password check is unavailable (store cannot be opened)\n";
    const Status& s = store.status();
    return ReportError(s.code() == StatusCode::kInvalidArgument ? Status::Corruption(s.message())
                                                                : s);
  }
  std::string password;
  Status read = ReadPassword(&password);
  if (!read.ok()) {
    sodium_memzero(password.data(), password.size());
    return ReportError(read);
  }
  const bool empty = password.empty();
  Result<NtHash> hash = NtHashOfUtf8(password);
  sodium_memzero(password.data(), password.size());
  if (empty) {
    std::cout << "rejected: the password is empty\n";
    return kExitFound;
  }
  if (!hash.ok()) {
    // Not UTF-8: Samba always passes UTF-8, so this is misuse; reject rather than guess.
    std::cout << "rejected: the password is not valid UTF-8\n";
    return ReportError(Status::InvalidArgument("the password on stdin is not valid UTF-8"));
  }
  Result<LookupResult> found = (*store)->Lookup(*hash);
  sodium_memzero(hash->data(), hash->size());
  if (!found.ok()) {
    std::cout << "rejected: the leaked-password check failed\n";
    return ReportError(found.status().WithContext("looking up the password in " + opt.store));
  }
  if (found->found && found->count >= opt.min_count) {
    // The band, never the exact count (engine/model/prevalence.h).
    std::cout << "rejected: this password appears in known data breaches (seen "
              << PrevalenceBandLabel(PrevalenceBandOf(found->count))
              << " times); choose a different one\n";
    std::cerr << "credsweep: check-password: new password for " << AccountForMessages()
              << " rejected: found in the breach corpus\n";
    return kExitFound;
  }
  std::cout << "ok: not found in the breach corpus\n";
  return kExitOk;
}

}  // namespace

void SetupCheckPasswordCommand(CLI::App& app, CommandContext& ctx) {
  auto opt = std::make_shared<CheckPasswordOptions>();
  CLI::App* sub = app.add_subcommand(
      "check-password",
      "Check one candidate password (read from stdin) against the corpus store.\n"
      "For Samba's smb.conf: check password script = credsweep check-password --store DIR\n"
      "Exit codes: 0 acceptable, 1 rejected (leaked or empty), 2 usage error,\n"
      "3 store unavailable (fail closed: the change is refused).");
  sub->add_option("--store", opt->store, "Corpus store directory")->required();
  sub->add_option("--min-count", opt->min_count,
                  "Reject only passwords seen at least this many times (default 1)")
      ->check(CLI::Range(uint64_t{1}, UINT64_MAX));
  sub->callback([opt, &ctx] { ctx.exit_code = RunCheckPassword(*opt); });
}

}  // namespace credsweep
