// LDIF (RFC 2849) content records, as `ldapsearch` and `ldifde`/`slapcat` write them: the offline
// account source ("ldif:FILE") and the demo's directory.
//
// Handles: "version: 1", comments ("#" lines, also ldapsearch's "# search result" trailers),
// line folding (a continuation line starts with one space), base64 values ("attr:: "), CRLF,
// a UTF-8 BOM, multiple entries separated by blank lines, attribute options ("member;range=…"
// are kept as written). "attr:< URL" values are not fetched: the entry is reported as skipped.
// ldapsearch's trailer records ("search: 2" / "result: 0 Success") are ignored. Change records
// ("changetype: add") are read as their attributes; other changetypes are skipped.
//
// Failure policy: never fails as a whole on bad content — a malformed record (a line without
// a colon, bad base64, a record not starting with dn:) becomes a SkippedEntry naming
// "ORIGIN:LINE" and the DN when known, and parsing continues with the next record. The reason
// names the attribute, never its value.
//
// Thread-safety: pure function.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/directory/ldap_connection.h"
#include "engine/model/account.h"

namespace credsweep {

struct LdifParseResult {
  std::vector<LdapEntry> entries;  // attribute names lower-cased, values decoded
  std::vector<SkippedEntry> skipped;
};

// Where `text` sits in its file, for reading a file in pieces (LdifPieces): the line number
// of its first line, and whether it is the file's start (a BOM and "version: 1" are only
// looked for there).
struct LdifPosition {
  uint64_t first_line = 1;
  bool file_start = true;
};

// Streams: each entry goes to on_entry as soon as its record is parsed, so a 100 000-account
// export never exists as a second, parsed copy (issue 11); skipped records are appended to
// *skipped. Lines are read in place (views into `text`); only folded lines are copied.
void ForEachLdifEntry(std::string_view text, const std::string& origin,
                      const std::function<void(LdapEntry&&)>& on_entry,
                      std::vector<SkippedEntry>* skipped, LdifPosition at = {});

// Cuts `text` into at most `max_pieces` pieces of about equal size, each ending after a blank
// line (a record boundary), so each can be read by ForEachLdifEntry on its own thread with the
// positions returned; reading them in order gives exactly what reading `text` whole gives.
// Text under min_piece_bytes per piece stays one piece.
struct LdifPiece {
  std::string_view text;
  LdifPosition at;
};
std::vector<LdifPiece> LdifPieces(std::string_view text, size_t max_pieces,
                                  size_t min_piece_bytes);
// The same, collected (tests, fuzzing).
LdifParseResult ParseLdif(std::string_view text, const std::string& origin);

}  // namespace credsweep
