// HashDump: NT (and LM) hash material from the dumps admins already produce, held in
// sodium_malloc'd memory and wiped when the HashDump goes away.
//
// Accepted formats (one record per line; blank lines and lines starting with '#' are ignored,
// CRLF is accepted, a UTF-8 BOM at the start of the file is skipped):
//   secretsdump  impacket secretsdump.py NTDS output:
//                  [DOMAIN\]user:RID:LMHASH:NTHASH:::[ (pwdLastSet=...)][ (status=Enabled|Disabled)]
//                  [DOMAIN\]user_historyN:RID:LMHASH:NTHASH:::        (N >= 0; history_index = N+1)
//                Lines secretsdump prints around the hashes ("[*] Dumping ...", Kerberos keys
//                "user:aes256-cts-hmac-sha1-96:...", cleartext "user:CLEARTEXT:...") are skipped.
//   pwdump       user:RID:LM:NT:::            (also DSInternals "pwdump" view)
//   smbpasswd    as `pdbedit -L -w` prints it:
//                  name:uid:LM-or-32-X:NT-or-32-X:[UX         ]:LCT-XXXXXXXX:
//                the [..] flags give `enabled` (D = disabled); 32 'X' = no hash stored.
//   hashcat      DSInternals HashcatNT view: user:NTHASH
// "auto" looks at the first record-bearing lines: a "[flags]" 5th field means smbpasswd, a
// "(status=" / "_history" / "DOMAIN\" marker means secretsdump, 7 colon fields means pwdump,
// two fields with 32 hex means hashcat. Ambiguous or unknown input is kInvalidArgument.
//
// History semantics: history_index 0 is the current password. secretsdump numbers the first
// previous password "user_history0"; that record gets history_index 1 (N+1), so 0 always means
// "current" and any positive value means "a previous password".
//
// Ownership: every NT/LM hash lives in secure memory (sodium_malloc: guard pages, mlock'd,
// excluded from core dumps where the OS allows) owned by the HashDump. HashRecord::nt/lm point
// into it and stay valid for the HashDump's lifetime, including across moves of the HashDump
// (memory is allocated in fixed chunks that never move). The file's bytes are read into secure
// memory too and wiped after parsing. Destruction sodium_free()s everything (which zeroes it).
//
// Failure policy: a malformed record line is kInvalidArgument "FILE:LINE: what is wrong" — it
// names the field, never the hash or the line's text. Two records for one account (same name,
// case-insensitive, and history index) or two current records with one RID are
// kInvalidArgument naming both lines. Load reads to end of file whatever fstat says, so a
// pipe or /dev/stdin is read in full. An unreadable file is kIOError. Failing to
// get secure memory is kInternal. A record naming no account in the directory is not this
// class's concern (the join counts it).
//
// Thread-safety: Load/Add are not thread-safe; after loading, const access (records()) may be
// shared between threads.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/nt_hash.h"
#include "engine/base/status.h"

namespace credsweep {

struct HashRecord {
  std::string account;          // sAMAccountName/uid, domain prefix ("CORP\\") stripped
  std::optional<uint32_t> rid;
  int history_index = 0;        // 0 = current password; N = secretsdump "user_history(N-1)"
  std::optional<bool> enabled;  // secretsdump "(status=Enabled|Disabled)" or smbpasswd [D] flag
  const NtHash* nt = nullptr;   // points into sodium_malloc'd memory owned by the HashDump
  const std::array<uint8_t, 16>* lm = nullptr;  // nullptr when absent or the empty-LM constant
  uint64_t line = 0;            // source line number, for messages (0 for Add())
};

class HashDump {
 public:
  // format: "auto" | "secretsdump" | "pwdump" | "smbpasswd" | "hashcat". A malformed line is
  // kInvalidArgument "FILE:LINE: what is wrong" (never the hash itself).
  [[nodiscard]] static Result<HashDump> Load(const std::string& path,
                                             const std::string& format = "auto");
  // The same parse over bytes already in memory (tests, fuzzing). `origin` names the input in
  // messages. The caller owns (and should wipe) `text`.
  [[nodiscard]] static Result<HashDump> Parse(std::string_view text, const std::string& origin,
                                              const std::string& format = "auto");
  static HashDump Empty();

  HashDump(HashDump&&) noexcept;
  HashDump& operator=(HashDump&&) noexcept;
  HashDump(const HashDump&) = delete;
  HashDump& operator=(const HashDump&) = delete;
  ~HashDump();

  // Adds one record (used by the OpenLDAP connector for sambaNTPassword). `lm` may be null; the
  // hashes are copied into secure memory. An empty-LM constant is stored as "absent".
  void Add(std::string account, std::optional<uint32_t> rid, int history_index,
           const NtHash& nt, const std::array<uint8_t, 16>* lm, std::optional<bool> enabled);

  const std::vector<HashRecord>& records() const { return records_; }
  // The format actually parsed ("secretsdump", "pwdump", "smbpasswd", "hashcat"; "empty" for an
  // input of only blank/comment lines; "" for Empty()/Add-only dumps).
  const std::string& detected_format() const { return format_; }
  // Physical lines read from the input (including skipped ones).
  uint64_t lines_read() const { return lines_read_; }
  // Lines that were not records and were deliberately skipped (secretsdump banners, Kerberos
  // key lines, comments, blank lines).
  uint64_t lines_skipped() const { return lines_skipped_; }

 private:
  HashDump();
  class SecureArena;  // chunked sodium_malloc storage; defined in hash_dump.cc
  std::unique_ptr<SecureArena> arena_;
  std::vector<HashRecord> records_;
  std::string format_;
  uint64_t lines_read_ = 0;
  uint64_t lines_skipped_ = 0;
};

}  // namespace credsweep
