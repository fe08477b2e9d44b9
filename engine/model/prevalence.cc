#include "engine/model/prevalence.h"

namespace credsweep {
namespace {

constexpr const char* kLabels[] = {
    "1\u20139",      "10\u201399",        "100\u2013999",      "1 k\u201310 k",
    "10 k\u2013100 k", "100 k\u20131 M", "\u2265 1 M",
};
constexpr int kBands = sizeof kLabels / sizeof kLabels[0];

}  // namespace

PrevalenceBand PrevalenceBandOf(uint64_t count) {
  int decade = 0;
  for (uint64_t bound = 10; decade < kBands - 1 && count >= bound; bound *= 10) ++decade;
  return static_cast<PrevalenceBand>(decade);
}

const char* PrevalenceBandLabel(PrevalenceBand band) {
  const int i = static_cast<int>(band);
  return i >= 0 && i < kBands ? kLabels[i] : kLabels[0];
}

std::optional<PrevalenceBand> ParsePrevalenceBand(std::string_view label) {
  for (int i = 0; i < kBands; ++i) {
    if (label == kLabels[i]) return static_cast<PrevalenceBand>(i);
  }
  return std::nullopt;
}

}  // namespace credsweep
