#include "engine/base/time_util.h"

#include <cstdio>
#include <ctime>

namespace credsweep {
namespace {

// Seconds between 1601-01-01 and 1970-01-01 (MS-DTYP 2.3.3 FILETIME; 369 years incl. 89 leap days).
constexpr int64_t kFileTimeEpochDelta = 11644473600LL;

Result<int64_t> FromFields(int y, int mo, int d, int h, int mi, int s, const std::string& src) {
  if (y < 1601 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 || h < 0 ||
      mi < 0 || s < 0) {
    return Status::InvalidArgument("'" + src + "' is not a valid UTC time");
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<int64_t>(timegm(&tm));
}

}  // namespace

int64_t NowUnix() { return static_cast<int64_t>(std::time(nullptr)); }

std::string FormatUtcIso(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string FormatUtcDate(int64_t unix_seconds) { return FormatUtcIso(unix_seconds).substr(0, 10); }

Result<int64_t> ParseUtcIso(const std::string& s) {
  int y, mo, d, h = 0, mi = 0, sec = 0;
  char tail = 0;
  if (s.size() == 10 && std::sscanf(s.c_str(), "%4d-%2d-%2d", &y, &mo, &d) == 3) {
    return FromFields(y, mo, d, 0, 0, 0, s);
  }
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &sec, &tail) == 7 &&
      tail == 'Z') {
    return FromFields(y, mo, d, h, mi, sec, s);
  }
  return Status::InvalidArgument("'" + s + "' is not a UTC date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)");
}

std::optional<int64_t> FileTimeToUnix(int64_t filetime) {
  if (filetime == 0 || filetime == kFileTimeNever) return std::nullopt;
  return filetime / 10000000LL - kFileTimeEpochDelta;
}

int64_t UnixToFileTime(int64_t unix_seconds) { return (unix_seconds + kFileTimeEpochDelta) * 10000000LL; }

Result<int64_t> ParseGeneralizedTime(const std::string& s) {
  int y, mo, d, h, mi, sec;
  if (s.size() >= 15 && std::sscanf(s.c_str(), "%4d%2d%2d%2d%2d%2d", &y, &mo, &d, &h, &mi, &sec) == 6 &&
      s.back() == 'Z') {
    return FromFields(y, mo, d, h, mi, sec, s);
  }
  return Status::InvalidArgument("'" + s + "' is not an LDAP generalized time (YYYYMMDDHHMMSSZ)");
}

}  // namespace credsweep
