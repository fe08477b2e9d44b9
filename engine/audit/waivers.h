// The exceptions register: [[exceptions]] entries in the config waive one rule for one
// account until a date, with a documented reason and approver (S6: "documented approval").
//
// A finding whose account (case-insensitive) and rule match an entry is KEPT, marked
// waived = true and given the waiver's reason, approver and expiry, while the waiver is valid:
// through the end of the `expires` day, UTC. After that the finding counts again (waived =
// false) and its detail says the waiver expired. Waived findings are excluded from run.counts.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/base/status.h"
#include "engine/config/config.h"
#include "engine/model/finding.h"

namespace credsweep {

// Every rule id the config names — [[exceptions]] rule, [rules] disabled and [remediation]
// force_rules — must be in the rule table (rules.h AllRules, so rules added there are known
// here without a second list). kInvalidArgument "FILE:LINE: [section] key: unknown rule id
// 'X' (known: ...)" otherwise: a typo in force_rules would silently force nothing.
[[nodiscard]] Status ValidateRuleIds(const Config& cfg);
// Marks waived findings (see above). Entries must have passed ValidateExceptions.
void ApplyExceptions(const std::vector<ExceptionEntry>& exceptions, int64_t now_unix,
                     std::vector<Finding>* findings);

}  // namespace credsweep
