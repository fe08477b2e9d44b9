// Just enough MIME to write correct plain-text mail: RFC 5322 dates, RFC 2047 encoded words for
// non-ASCII subjects (Danish æ, ø, å), and quoted-printable bodies (RFC 2045 6.7) so a message
// survives any relay, 8BITMIME or not. All output uses CRLF line endings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace credsweep {

// "Sun, 22 Nov 2026 13:20:00 +0000" (always UTC; independent of the C locale).
std::string Rfc5322Date(int64_t unix_seconds);

// ASCII text is returned as is; otherwise one or more "=?UTF-8?B?...?=" words, each at most 75
// characters and never splitting a UTF-8 sequence, joined by CRLF SP (header folding).
// `prefix_len` is how much of the first line the header name takes ("Subject: " = 9), so every
// line stays within 76 characters.
std::string EncodeHeaderText(const std::string& utf8, size_t prefix_len = 0);

// Quoted-printable of UTF-8 text with LF or CRLF line breaks: lines of at most 76 characters
// (soft breaks "=" CRLF), "=", non-ASCII and control bytes as =XX, trailing space/tab encoded,
// hard line breaks as CRLF.
std::string EncodeQuotedPrintable(const std::string& text);

// Inverse of EncodeQuotedPrintable (for tests and for reading the outbox).
std::string DecodeQuotedPrintable(const std::string& qp);

// A directory value (account name, DN, display name) made safe to put into a mail: every
// control character — C0 (CR, LF, TAB, ESC, ...), DEL, C1 (U+0080..U+009F, e.g. NEL) and the
// Unicode line/paragraph separators U+2028/U+2029 — becomes U+FFFD, so a crafted value can
// neither add lines (a fake "What to do:") nor hide text with terminal escapes. Invalid UTF-8
// bytes become U+FFFD too. Everything else is kept as is.
std::string SanitizeMailValue(std::string_view value);

}  // namespace credsweep
