// Time in credsweep: Unix seconds, always UTC (requirement S16: one time zone in every log
// and report). Conversions from the directory's encodings live here so there is one of each.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "engine/base/status.h"

namespace credsweep {

// Seconds since the Unix epoch, now.
int64_t NowUnix();
// "2026-11-22T13:20:00Z".
std::string FormatUtcIso(int64_t unix_seconds);
// "2026-11-22".
std::string FormatUtcDate(int64_t unix_seconds);
// Accepts "YYYY-MM-DD" (midnight UTC) and "YYYY-MM-DDTHH:MM:SSZ".
Result<int64_t> ParseUtcIso(const std::string& s);

// Windows FILETIME (100 ns ticks since 1601-01-01 UTC) as AD stores accountExpires,
// pwdLastSet and lastLogonTimestamp. 0 and 0x7FFFFFFFFFFFFFFF mean "never" for accountExpires:
// FileTimeToUnix returns nullopt for both; callers for which 0 means something else (pwdLastSet
// 0 = "must change") test for 0 first.
inline constexpr int64_t kFileTimeNever = 0x7FFFFFFFFFFFFFFFLL;
std::optional<int64_t> FileTimeToUnix(int64_t filetime);
int64_t UnixToFileTime(int64_t unix_seconds);
// LDAP generalized time "20261122132000Z" or "20261122132000.0Z".
Result<int64_t> ParseGeneralizedTime(const std::string& s);

}  // namespace credsweep
