// The audit's guessing stage: targeted guessing (engine/guess/guesser.h) over the joined hashes,
// reduced to facts the rules read (AccountFacts::guess_family, guess_history_families,
// password_is_username, default_computer_password). Rules never see a candidate or a hash.
//
// Runs only the parts whose rules are on: guessable-password (global words + account-name
// families), password-is-username (account name with "", 1, 123, !), default-computer-password.
// With none of them on it does nothing. The year of the endings is the UTC year of `now`.
// When password-is-username or default-computer-password reports an account, guessable-password
// does not report the same current password again.
//
// Errors: PlanFromConfig's (a bad [guess] words_file / rules_file: kInvalidArgument with
// FILE:LINE) and kInternal when secure memory runs out.
#pragma once

#include <cstdint>
#include <span>

#include "engine/audit/rules.h"
#include "engine/base/status.h"
#include "engine/config/config.h"
#include "engine/guess/guesser.h"
#include "engine/model/account.h"

namespace credsweep {

// targets[i] belongs to facts->accounts[i].
[[nodiscard]] Status RunGuessStage(const Config& cfg, const DirectorySnapshot& snapshot,
                                   std::span<const GuessTarget> targets, int64_t now_unix,
                                   AuditFacts* facts);

}  // namespace credsweep
