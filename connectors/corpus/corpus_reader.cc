#include "connectors/corpus/corpus_reader.h"

#include <dirent.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#if defined(__x86_64__)
#include <cpuid.h>
#endif
#include <memory>

#include "connectors/corpus/corpus_line.h"
#include "engine/base/hex.h"
#include "engine/base/secure_memory.h"

namespace credsweep::corpus {
namespace {

// 4 MiB blocks: large enough that read(2) and the line split run near memory speed, small
// enough to stay in L2/L3 while the parser walks it. Also the longest accepted line.
constexpr size_t kBlockSize = 4 << 20;
constexpr size_t kMaxBadKept = 5;

enum class Kind { kHibp, kHibpPrefixFile, kNtlm, kPlaintext };

// Parses "XXXXX.txt" (5 hex, either case) into the prefix value.
bool PrefixFromName(const std::string& name, uint32_t* prefix) {
  if (name.size() != 9 || name.compare(5, 4, ".txt") != 0) return false;
  uint32_t v = 0;
  for (int i = 0; i < 5; ++i) {
    const int d = HexDigitValue(name[i]);
    if (d < 0) return false;
    v = v * 16 + static_cast<uint32_t>(d);
  }
  *prefix = v;
  return true;
}

std::string BaseName(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Decides how to read an input from its first non-empty line. label is "FILE" for messages.
Result<Kind> ResolveKind(const std::string& label, std::string_view first, CorpusFormat requested,
                         bool prefix_named) {
  LineShape shape = ClassifyLine(first);
  auto refuse = [&](const std::string& why) {
    return Status::InvalidArgument(label + ": refusing to import: the first line is " +
                                   DescribeShape(shape) + "; " + why);
  };
  switch (shape) {
    case LineShape::kHex40:
      return refuse("credsweep imports NT hashes (32 hex): use the HIBP NTLM download");
    case LineShape::kHexOther:
      return refuse("credsweep imports NT hashes (32 hex digits)");
    case LineShape::kHex32Count:
      if (requested == CorpusFormat::kPlaintext) {
        return refuse("--format plaintext would hash the hashes; use --format hibp");
      }
      return requested == CorpusFormat::kNtlm ? Kind::kNtlm : Kind::kHibp;
    case LineShape::kHex32:
    case LineShape::kHex32Other:
      if (requested == CorpusFormat::kPlaintext) {
        return refuse("--format plaintext would hash the hashes; use --format ntlm");
      }
      if (requested == CorpusFormat::kHibp) {
        return refuse("--format hibp needs HASH:COUNT lines; use --format ntlm for a hash list");
      }
      return Kind::kNtlm;
    case LineShape::kHex27Count:
      if (prefix_named && (requested == CorpusFormat::kAuto || requested == CorpusFormat::kHibp)) {
        return Kind::kHibpPrefixFile;
      }
      if (requested == CorpusFormat::kPlaintext) return Kind::kPlaintext;
      return refuse(prefix_named ? "a HIBP prefix file needs --format auto or hibp"
                                 : "a HIBP prefix file must be named XXXXX.txt (its hash prefix)");
    case LineShape::kEmpty:
    case LineShape::kText:
      break;
  }
  // Text: a word list under auto. Under an explicit hash format, let the line parser say what
  // is wrong with the line ("FILE:1: non-hex character at column 3").
  switch (requested) {
    case CorpusFormat::kAuto:
    case CorpusFormat::kPlaintext: return Kind::kPlaintext;
    case CorpusFormat::kHibp: return prefix_named ? Kind::kHibpPrefixFile : Kind::kHibp;
    case CorpusFormat::kNtlm: return Kind::kNtlm;
  }
  return Kind::kPlaintext;
}

// The source checksum over every input byte, in the chosen algorithm.
class SourceHasher {
 public:
  explicit SourceHasher(SourceChecksum algorithm) : algorithm_(algorithm) {
    if (algorithm_ == SourceChecksum::kSha256) {
      sha256_init(&sha_);
    } else {
      crypto_generichash_init(&blake_, nullptr, 0, 32);
    }
  }
  void Update(const char* data, size_t n) {
    if (algorithm_ == SourceChecksum::kSha256) {
      sha256_update(&sha_, n, reinterpret_cast<const uint8_t*>(data));
    } else {
      crypto_generichash_update(&blake_, reinterpret_cast<const unsigned char*>(data), n);
    }
  }
  std::string HexDigest() {
    uint8_t digest[32];
    if (algorithm_ == SourceChecksum::kSha256) {
      sha256_digest(&sha_, sizeof digest, digest);
    } else {
      crypto_generichash_final(&blake_, digest, sizeof digest);
    }
    return HexEncode(digest, sizeof digest);
  }

 private:
  SourceChecksum algorithm_;
  sha256_ctx sha_;
  crypto_generichash_state blake_;
};

// Reads one descriptor and parses its lines.
class InputReader {
 public:
  InputReader(const ReadOptions& options, const RecordSink& sink, ReadStats* stats,
              SourceHasher* hash, std::vector<char>* buf)
      : options_(options), sink_(sink), stats_(stats), hash_(hash), buf_(*buf) {}

  // label names the input in messages; prefix_named: the file is called XXXXX.txt.
  Status Run(int fd, const std::string& label, bool prefix_named, uint32_t prefix,
             std::optional<Kind> forced) {
    label_ = label;
    prefix_named_ = prefix_named;
    prefix_ = prefix;
    kind_ = forced;
    if (forced) NoteFormat(*forced);
    line_no_ = 0;
    size_t begin = 0, end = 0;
    bool bom_checked = false;
    bool dropping_long_line = false;
    for (;;) {
      if (end == buf_.size()) {
        if (begin == 0) {
          // One line fills the whole block: malformed in every format. It is ONE bad line,
          // however many blocks it spans: counted when first seen, then discarded block by
          // block up to its '\n', so later line numbers stay right.
          if (!dropping_long_line) {
            ++line_no_;
            ++stats_->lines;
            CS_RETURN_IF_ERROR(
                Bad("line longer than " + std::to_string(kBlockSize >> 20) + " MiB"));
            dropping_long_line = true;
          }
          end = 0;
        } else {
          std::memmove(buf_.data(), buf_.data() + begin, end - begin);
          end -= begin;
          begin = 0;
        }
      }
      ssize_t n = ::read(fd, buf_.data() + end, buf_.size() - end);
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status::FromErrno("cannot read " + label_, errno);
      }
      if (n == 0) break;
      hash_->Update(buf_.data() + end, static_cast<size_t>(n));
      stats_->bytes += static_cast<uint64_t>(n);
      if (options_.progress) options_.progress(stats_->bytes);
      end += static_cast<size_t>(n);
      if (!bom_checked) {
        // Nothing has been consumed yet, so the buffer starts at the file's first byte.
        if (end < 3) continue;
        bom_checked = true;
        if (std::memcmp(buf_.data(), "\xEF\xBB\xBF", 3) == 0) begin += 3;  // UTF-8 BOM
      }
      CS_RETURN_IF_ERROR(SplitLines(&begin, end, &dropping_long_line));
      if (begin == end) begin = end = 0;
    }
    // End of input: lines still buffered (a file shorter than 3 bytes), then a last line
    // without '\n'.
    CS_RETURN_IF_ERROR(SplitLines(&begin, end, &dropping_long_line));
    if (end > begin && !dropping_long_line) {
      CS_RETURN_IF_ERROR(Line(std::string_view(buf_.data() + begin, end - begin)));
    }
    return Flush();
  }

 private:
  void NoteFormat(Kind k) {
    if (!stats_->format.empty()) return;
    stats_->format = k == Kind::kNtlm ? "ntlm" : k == Kind::kPlaintext ? "plaintext" : "hibp";
  }

  Status SplitLines(size_t* begin, size_t end, bool* dropping_long_line) {
    for (;;) {
      const char* start = buf_.data() + *begin;
      const char* nl = static_cast<const char*>(std::memchr(start, '\n', end - *begin));
      if (nl == nullptr) return Status::Ok();
      std::string_view line(start, static_cast<size_t>(nl - start));
      *begin = static_cast<size_t>(nl - buf_.data()) + 1;
      if (*dropping_long_line) {
        *dropping_long_line = false;
        continue;
      }
      CS_RETURN_IF_ERROR(Line(line));
    }
  }

  Status Line(std::string_view line) {
    ++line_no_;
    ++stats_->lines;
    if (!kind_) {
      std::string_view t = line;
      if (!t.empty() && t.back() == '\r') t.remove_suffix(1);
      if (t.empty()) {
        ++stats_->skipped;
        return Status::Ok();
      }
      CS_ASSIGN_OR_RETURN(Kind k, ResolveKind(label_, t, options_.format, prefix_named_));
      kind_ = k;
      NoteFormat(k);
    }
    switch (*kind_) {
      case Kind::kHibp: ParseHibpLine(line, &parsed_); break;
      case Kind::kHibpPrefixFile: ParseHibpSuffixLine(line, prefix_, &parsed_); break;
      case Kind::kNtlm: ParseNtlmListLine(line, &parsed_); break;
      case Kind::kPlaintext: ParsePlaintextLine(line, &parsed_); break;
    }
    switch (parsed_.kind) {
      case LineKind::kRecord:
        batch_.push_back(CorpusRecord{parsed_.hash, parsed_.count});
        if (batch_.size() == kRecordBatch) return Flush();
        return Status::Ok();
      case LineKind::kSkip:
        ++stats_->skipped;
        return Status::Ok();
      case LineKind::kBad:
        return Bad(parsed_.error);
    }
    return Status::Ok();
  }

  Status Bad(const std::string& what) {
    std::string msg = label_ + ":" + std::to_string(line_no_) + ": " + what;
    if (!options_.skip_bad) {
      return Status::InvalidArgument(msg + " (fix the line, or pass --skip-bad to skip such lines)");
    }
    ++stats_->bad_lines;
    if (stats_->first_bad.size() < kMaxBadKept) stats_->first_bad.push_back(std::move(msg));
    return Status::Ok();
  }

  Status Flush() {
    if (batch_.empty()) return Status::Ok();
    stats_->records += batch_.size();
    Status s = sink_(std::span<const CorpusRecord>(batch_.data(), batch_.size()));
    batch_.clear();
    return s;
  }

  const ReadOptions& options_;
  const RecordSink& sink_;
  ReadStats* stats_;
  SourceHasher* hash_;
  std::vector<char>& buf_;
  std::string label_;
  bool prefix_named_ = false;
  uint32_t prefix_ = 0;
  std::optional<Kind> kind_;
  uint64_t line_no_ = 0;
  ParsedLine parsed_;
  std::vector<CorpusRecord> batch_;
};

struct PrefixFile {
  uint32_t prefix;
  std::string path;
};

Result<std::vector<PrefixFile>> ListPrefixFolder(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return Status::FromErrno("cannot open folder " + dir, errno);
  std::vector<PrefixFile> files;
  while (dirent* e = ::readdir(d)) {
    uint32_t prefix;
    if (PrefixFromName(e->d_name, &prefix)) files.push_back({prefix, dir + "/" + e->d_name});
  }
  ::closedir(d);
  if (files.empty()) {
    return Status::InvalidArgument(dir + ": a folder given as input must hold HIBP prefix files "
                                   "named XXXXX.txt (5 hex digits); none found");
  }
  std::sort(files.begin(), files.end(),
            [](const PrefixFile& a, const PrefixFile& b) { return a.prefix < b.prefix; });
  for (size_t i = 1; i < files.size(); ++i) {
    if (files[i].prefix == files[i - 1].prefix) {
      return Status::InvalidArgument(dir + ": two prefix files for the same prefix (" +
                                     BaseName(files[i - 1].path) + ", " +
                                     BaseName(files[i].path) + ")");
    }
  }
  return files;
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Result<int> OpenInput(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound(path + ": no such file or folder");
    return Status::FromErrno("cannot open " + path, errno);
  }
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return fd;
}

}  // namespace

Result<CorpusFormat> ParseCorpusFormat(const std::string& name) {
  if (name == "auto") return CorpusFormat::kAuto;
  if (name == "hibp") return CorpusFormat::kHibp;
  if (name == "ntlm") return CorpusFormat::kNtlm;
  if (name == "plaintext") return CorpusFormat::kPlaintext;
  return Status::InvalidArgument("unknown corpus format '" + name +
                                 "' (expected auto, hibp, ntlm or plaintext)");
}

const char* CorpusFormatName(CorpusFormat format) {
  switch (format) {
    case CorpusFormat::kAuto: return "auto";
    case CorpusFormat::kHibp: return "hibp";
    case CorpusFormat::kNtlm: return "ntlm";
    case CorpusFormat::kPlaintext: return "plaintext";
  }
  return "unknown";
}

Result<CorpusFormat> DetectFormat(const std::string& path, CorpusFormat requested) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::NotFound(path + ": no such file or folder");
    return Status::FromErrno("cannot stat " + path, errno);
  }
  if (S_ISDIR(st.st_mode)) {
    CS_RETURN_IF_ERROR(ListPrefixFolder(path).status());
    if (requested != CorpusFormat::kAuto && requested != CorpusFormat::kHibp) {
      return Status::InvalidArgument(path + ": a folder is read as HIBP prefix files; --format " +
                                     CorpusFormatName(requested) + " does not apply");
    }
    return CorpusFormat::kHibp;
  }
  CS_ASSIGN_OR_RETURN(int raw, OpenInput(path));
  Fd fd(raw);
  std::string head(64 << 10, '\0');
  ssize_t n = ::read(fd.get(), head.data(), head.size());
  if (n < 0) return Status::FromErrno("cannot read " + path, errno);
  head.resize(static_cast<size_t>(n));
  if (head.rfind("\xEF\xBB\xBF", 0) == 0) head.erase(0, 3);
  uint32_t prefix;
  bool prefix_named = PrefixFromName(BaseName(path), &prefix);
  size_t pos = 0;
  while (pos < head.size()) {
    size_t nl = head.find('\n', pos);
    std::string_view line(head.data() + pos, (nl == std::string::npos ? head.size() : nl) - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) {
      CS_ASSIGN_OR_RETURN(Kind k, ResolveKind(path, line, requested, prefix_named));
      switch (k) {
        case Kind::kHibp:
        case Kind::kHibpPrefixFile: return CorpusFormat::kHibp;
        case Kind::kNtlm: return CorpusFormat::kNtlm;
        case Kind::kPlaintext: return CorpusFormat::kPlaintext;
      }
    }
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  return requested == CorpusFormat::kAuto ? CorpusFormat::kPlaintext : requested;
}

uint64_t InputSizeHint(const std::vector<std::string>& paths) {
  uint64_t total = 0;
  for (const std::string& p : paths) {
    struct stat st;
    if (p == "-" || ::stat(p.c_str(), &st) != 0) return 0;
    if (S_ISREG(st.st_mode)) {
      total += static_cast<uint64_t>(st.st_size);
    } else if (S_ISDIR(st.st_mode)) {
      auto files = ListPrefixFolder(p);
      if (!files.ok()) return 0;
      for (const PrefixFile& f : *files) {
        if (::stat(f.path.c_str(), &st) == 0) total += static_cast<uint64_t>(st.st_size);
      }
    } else {
      return 0;
    }
  }
  return total;
}

SourceChecksum FastestSourceChecksum() {
#if defined(__x86_64__)
  unsigned a, b, c, d;
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 29)) != 0) {  // CPUID.7.0:EBX.SHA
    return SourceChecksum::kSha256;
  }
#endif
  return SourceChecksum::kBlake2b256;
}

const char* SourceChecksumName(SourceChecksum algorithm) {
  return algorithm == SourceChecksum::kSha256 ? "sha256" : "blake2b-256";
}

void WidenPipe(int fd) {
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode)) (void)::fcntl(fd, F_SETPIPE_SZ, 1 << 20);
}

Status ReadCorpus(const std::vector<std::string>& paths, const ReadOptions& options,
                  const RecordSink& sink, ReadStats* stats) {
  CS_RETURN_IF_ERROR(InitSodium());
  SourceHasher hash(options.checksum);
  std::vector<char> buf(kBlockSize);
  InputReader reader(options, sink, stats, &hash, &buf);
  for (const std::string& path : paths) {
    if (path == "-") {
      WidenPipe(STDIN_FILENO);
      CS_RETURN_IF_ERROR(reader.Run(STDIN_FILENO, "stdin", false, 0, std::nullopt));
      continue;
    }
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      if (errno == ENOENT) return Status::NotFound(path + ": no such file or folder");
      return Status::FromErrno("cannot stat " + path, errno);
    }
    if (S_ISDIR(st.st_mode)) {
      if (options.format != CorpusFormat::kAuto && options.format != CorpusFormat::kHibp) {
        return Status::InvalidArgument(path + ": a folder is read as HIBP prefix files; --format " +
                                       std::string(CorpusFormatName(options.format)) +
                                       " does not apply");
      }
      CS_ASSIGN_OR_RETURN(std::vector<PrefixFile> files, ListPrefixFolder(path));
      for (const PrefixFile& f : files) {
        CS_ASSIGN_OR_RETURN(int raw, OpenInput(f.path));
        Fd fd(raw);
        CS_RETURN_IF_ERROR(reader.Run(fd.get(), f.path, true, f.prefix, Kind::kHibpPrefixFile));
      }
      continue;
    }
    uint32_t prefix = 0;
    bool prefix_named = PrefixFromName(BaseName(path), &prefix);
    CS_ASSIGN_OR_RETURN(int raw, OpenInput(path));
    Fd fd(raw);
    CS_RETURN_IF_ERROR(reader.Run(fd.get(), path, prefix_named, prefix, std::nullopt));
  }
  stats->checksum = hash.HexDigest();
  stats->checksum_algorithm = SourceChecksumName(options.checksum);
  return Status::Ok();
}

}  // namespace credsweep::corpus
