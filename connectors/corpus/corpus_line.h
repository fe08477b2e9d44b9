// Line parsers for breach-corpus inputs: the import's inner loop, and what the fuzzers drive.
//
// Each parser takes ONE line without its '\n' (a trailing '\r' is accepted and ignored, so
// CRLF and LF files read the same) and says: a record, a line to skip, or a bad line with a
// message saying what is wrong. Messages describe the shape of the line (lengths, columns,
// character classes) and never contain the line itself: a word list line is a password, and
// even hash lines are not echoed (STYLE.md rule 3).
//
// Formats (DESIGN.md "Corpus import", issue 2 "Corpus readers"):
//   HIBP NTLM single file   HASH:COUNT      32 hex (either case), decimal count
//   HIBP NTLM prefix file   SUFFIX:COUNT    27 hex; the 5-hex prefix is the file name
//   plain NT-hash list      HASH or HASH:anything   count 1
//   plaintext word list     the password (UTF-8), hashed to NT = MD4(UTF-16LE)
// Empty lines are skipped in every format. Count-0 lines (the HIBP range API's padding) are
// skipped. A UTF-8 byte-order mark is stripped by the reader (corpus_reader.h), not here.
//
// Hex decoding is branch-free: a 32-digit hash is decoded with SSE2 (DecodeHashHex, 16 digits
// per instruction; x86-64 always has SSE2), anything else through a 256-entry table that maps
// each character to its value or to a value with the high bits set, the OR of all entries
// tested once per line.
//
// Thread-safety: pure functions. No allocation on the success path.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/base/nt_hash.h"

namespace credsweep::corpus {

enum class LineKind {
  kRecord,  // hash/count filled in
  kSkip,    // empty line or count 0: not an error, nothing to import
  kBad,     // malformed: error says what is wrong (never the line's content)
};

struct ParsedLine {
  LineKind kind = LineKind::kSkip;
  NtHash hash{};
  uint64_t count = 0;
  std::string error;  // set only when kind == kBad
};

// 32 hex digits (either case) -> 16 bytes. false when any of the 32 is not a hex digit (out
// is then unspecified). The same answers as HexDecode(hex, 16, out), tested byte by byte.
bool DecodeHashHex(const char* hex, uint8_t* out);

// "HASH:COUNT" (HIBP NTLM single file).
void ParseHibpLine(std::string_view line, ParsedLine* out);
// "SUFFIX:COUNT" from prefix file XXXXX.txt; prefix holds the 2.5 decoded prefix bytes as
// prefix5 (the 5 hex digits' value, 0..0xFFFFF).
void ParseHibpSuffixLine(std::string_view line, uint32_t prefix5, ParsedLine* out);
// "HASH" or "HASH:anything" (plain NT-hash list); count 1.
void ParseNtlmListLine(std::string_view line, ParsedLine* out);
// A password (UTF-8); count 1. An empty line is skipped (word lists end with one).
void ParsePlaintextLine(std::string_view line, ParsedLine* out);

// What a hash-looking line is, for format detection and for error messages.
enum class LineShape {
  kEmpty,
  kHex32,         // NT hash alone
  kHex32Count,    // NT hash ':' digits   (HIBP NTLM)
  kHex32Other,    // NT hash ':' something else (hash list with extra fields)
  kHex27Count,    // 27-hex suffix ':' digits (HIBP prefix file)
  kHex40,         // SHA-1 (HIBP SHA-1 download), with or without ':COUNT'
  kHexOther,      // a run of hex of another length, e.g. 64 (SHA-256)
  kText,          // anything else: a word list line
};
LineShape ClassifyLine(std::string_view line);
// "a 40-hex SHA-1 hash", "an NT hash with a count", ... for messages.
const char* DescribeShape(LineShape shape);

}  // namespace credsweep::corpus
