// Prevalence bands: how often a leaked password was seen in breach corpora, as every output
// shows it.
//
// Why bands (issue 8): in a real corpus most counts above a few thousand are unique, so an
// exact count ("seen 1,234,567 times") in a report identifies the hash in the public corpus,
// and the hash gives the password. Exact counts therefore never leave the process that looked
// them up: findings.json, findings.csv, report.html, report.json, the run history, `corpus
// check` and `check-password` print the band; the exact count is used only to rank findings
// inside the audit (Finding::rank_count) and to apply [rules] leaked_min_count.
//
// The bands are decades, lower bound inclusive:
//   "1–9"  "10–99"  "100–999"  "1 k–10 k"  "10 k–100 k"  "100 k–1 M"  "≥ 1 M"
// (en dash U+2013, "≥" U+2265, UTF-8; "1 k–10 k" is 1,000 to 9,999). A decade is coarse
// enough that many hashes share each band even at the top (HIBP holds thousands of hashes
// seen over a million times) and fine enough to rank risk by order of magnitude.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace credsweep {

enum class PrevalenceBand : uint8_t {
  k1To9 = 0,
  k10To99,
  k100To999,
  k1kTo10k,
  k10kTo100k,
  k100kTo1M,
  kAtLeast1M,
};

// The band of an exact count (0 counts as the lowest band: a hash the corpus holds was seen).
PrevalenceBand PrevalenceBandOf(uint64_t count);
// "1–9", …, "≥ 1 M".
const char* PrevalenceBandLabel(PrevalenceBand band);
// The band a label names; nullopt for anything else (e.g. a bare number from an old file).
std::optional<PrevalenceBand> ParsePrevalenceBand(std::string_view label);
// Order of magnitude of the band's lower bound: 0 for "1–9" … 6 for "≥ 1 M". For ranking.
inline int PrevalenceDecade(PrevalenceBand band) { return static_cast<int>(band); }

}  // namespace credsweep
