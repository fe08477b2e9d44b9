// Corpus readers: turn input files into batches of (NT hash, count) records.
//
// An input is a file, a HIBP prefix folder (files XXXXX.txt, read in prefix order, so the
// records come out sorted when each file is), or "-" for standard input. Each input is read in
// large blocks with read(2), split on '\n', and parsed by the line parsers in corpus_line.h;
// a UTF-8 byte-order mark at the start of a file is ignored. The bytes are also hashed: the
// source checksum recorded in manifest.json with its algorithm (SourceChecksum below).
//
// Format detection (--format auto): a folder is a HIBP prefix folder; a file is classified by
// its first non-empty line (ClassifyLine): NT hash with a count -> hibp, NT hash alone or with
// other fields -> ntlm, 27-hex suffix with a count in a file named XXXXX.txt -> a single HIBP
// prefix file, text -> plaintext. A SHA-1 file (40 hex) or any other hex length is refused with
// kInvalidArgument saying what was seen, as is an explicit --format that contradicts what the
// first line is (e.g. --format plaintext on an NT-hash file, which would silently hash hashes).
//
// Malformed lines: by default the first one stops the read with kInvalidArgument
// "FILE:LINE: what is wrong" (the caller leaves the store unchanged). With skip_bad they are
// counted in ReadStats::bad_lines and the first few locations kept for the report. No message
// ever contains line content.
//
// Thread-safety: ReadCorpus runs on the calling thread and calls the sink from it.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "engine/base/nt_hash.h"
#include "engine/base/status.h"

namespace credsweep::corpus {

enum class CorpusFormat { kAuto, kHibp, kNtlm, kPlaintext };

// "auto", "hibp", "ntlm", "plaintext" <-> CorpusFormat. kInvalidArgument for anything else.
Result<CorpusFormat> ParseCorpusFormat(const std::string& name);
const char* CorpusFormatName(CorpusFormat format);

// 24 bytes; the unit every stage of the import passes around.
struct CorpusRecord {
  NtHash hash;
  uint64_t count;
};

// Receives records in input order, in batches (at most kRecordBatch). An error stops the read.
using RecordSink = std::function<Status(std::span<const CorpusRecord>)>;
inline constexpr size_t kRecordBatch = 8192;

// The source checksum's algorithm. SHA-256 where the CPU has SHA instructions (nettle uses
// them: 1.2 GB/s on this machine, and `sha256sum FILE` prints the same digest), else
// BLAKE2b-256 (libsodium, 0.5 GB/s here; `b2sum -l 256 FILE`) — SHA-256 in software runs at
// 0.2 GB/s, and the reading thread already spent 40 % of its time hashing with BLAKE2b
// (Intel server CPUs before Ice Lake have no SHA instructions; AMD Zen and later Intel do).
enum class SourceChecksum { kSha256, kBlake2b256 };
SourceChecksum FastestSourceChecksum();
// "sha256" / "blake2b-256", as manifest.json names it.
const char* SourceChecksumName(SourceChecksum algorithm);

struct ReadOptions {
  CorpusFormat format = CorpusFormat::kAuto;
  bool skip_bad = false;
  SourceChecksum checksum = FastestSourceChecksum();
  // Called every few MB with the bytes read so far (for progress); may be empty.
  std::function<void(uint64_t bytes)> progress;
};

// When fd is a pipe, asks for a 1 MiB pipe buffer instead of Linux's 64 KiB (best effort; the
// unprivileged limit, /proc/sys/fs/pipe-max-size, is 1 MiB by default). Both ends of
// `corpus generate --out - | corpus import -` call it: with 64 KiB the two processes handed over
// every 64 KiB and, on two busy cores, kept waiting for each other (measured at 1e9 lines: the
// cores were 137 % busy).
void WidenPipe(int fd);

struct ReadStats {
  uint64_t lines = 0;        // every line read, including skipped ones
  uint64_t records = 0;      // records passed to the sink
  uint64_t skipped = 0;      // empty and count-0 lines
  uint64_t bad_lines = 0;    // malformed lines skipped under skip_bad
  std::vector<std::string> first_bad;  // up to 5 "FILE:LINE: what is wrong"
  uint64_t bytes = 0;
  std::string checksum;      // hex digest of every input byte, inputs in order
  std::string checksum_algorithm;  // SourceChecksumName(options.checksum)
  std::string format;        // "hibp", "ntlm" or "plaintext": what the first input was read as
};

// The format an input is in (never kAuto). For "-" the caller passes the first line it read.
// Errors: kNotFound (missing path), kInvalidArgument (refused format, with what was seen).
Result<CorpusFormat> DetectFormat(const std::string& path, CorpusFormat requested);

// Total size in bytes of the inputs when known (regular files, folders), else 0. For ETA.
uint64_t InputSizeHint(const std::vector<std::string>& paths);

// Reads every input in order. Errors: kNotFound/kIOError naming the path, kInvalidArgument
// "FILE:LINE: ..." for a malformed line (unless skip_bad) or a refused format.
Status ReadCorpus(const std::vector<std::string>& paths, const ReadOptions& options,
                  const RecordSink& sink, ReadStats* stats);

}  // namespace credsweep::corpus
