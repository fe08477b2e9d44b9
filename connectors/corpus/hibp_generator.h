// Synthetic HIBP NTLM files for tests, the demo and benchmarks (`credsweep corpus generate`).
//
// Output: "HASH:COUNT\r\n" lines, 32 uppercase hex, sorted by hash, distinct — the shape of the
// real download. N random hashes plus the NT hashes of a word list.
//
// Random hashes are produced already sorted, in one streaming pass with O(1) memory: the gaps
// between N sorted uniform points are (scaled) exponential variates, so each key is the last
// plus Exp(1) * 2^128 / (N + 10 sqrt(N) + 10) (the denominator leaves ten standard deviations
// of room so the sum never wraps past 2^128), plus random low bits and at least 1, so keys are
// strictly increasing. Word hashes are sorted in memory (word lists are small) and merged in.
//
// Counts are Zipf-like: a random hash gets floor(1 / u) for u uniform in (0, 1] (P(count >= k)
// = 1/k, capped at 10^7); word i of the list (0-based, most common first, like the usual
// lists) gets 10^6 / (i + 1) + 1. Everything is a function of the seed: the same arguments give
// the same bytes.
#pragma once

#include <cstdint>
#include <string>

#include "engine/base/status.h"

namespace credsweep::corpus {

struct GenerateOptions {
  std::string out;         // file path, written via a temp file and rename; "-" for stdout
  uint64_t random = 0;     // number of random hashes
  std::string words;       // optional word list (UTF-8, one per line); "" for none
  uint64_t seed = 1;
};

struct GenerateReport {
  uint64_t lines = 0;
  uint64_t bytes = 0;
  uint64_t words = 0;
};

// Errors: kNotFound (word list), kInvalidArgument (bad UTF-8 in the word list: FILE:LINE),
// kIOError (output).
[[nodiscard]] Result<GenerateReport> GenerateHibpFile(const GenerateOptions& options);

}  // namespace credsweep::corpus
