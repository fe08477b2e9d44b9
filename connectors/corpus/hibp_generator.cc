#include "connectors/corpus/hibp_generator.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <vector>

#include "connectors/corpus/corpus_reader.h"
#include "engine/base/file_util.h"
#include "engine/base/nt_hash.h"

namespace credsweep::corpus {
namespace {

using u128 = unsigned __int128;

// splitmix64 (Steele, Lea, Flood 2014): tiny, fast, good enough for synthetic data.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in (0, 1].
  double Unit() { return (static_cast<double>(Next() >> 11) + 1.0) * (1.0 / 9007199254740992.0); }

 private:
  uint64_t s_;
};

NtHash FromU128(u128 v) {
  NtHash h;
  for (int i = 15; i >= 0; --i) {
    h[static_cast<size_t>(i)] = static_cast<uint8_t>(v);
    v >>= 8;
  }
  return h;
}

class Output {
 public:
  // path "-" writes to stdout (no temp file, no rename): `corpus generate --out - | corpus
  // import -` runs 1e9-line benchmarks without a 45 GB file on disk. A file is written through
  // an AtomicFile (engine/base/file_util.h).
  explicit Output(std::string path) : path_(std::move(path)) {}
  Status Open() {
    if (path_ != "-") {
      CS_ASSIGN_OR_RETURN(file_, AtomicFile::Create(path_, 0644));
    } else {
      WidenPipe(STDOUT_FILENO);
    }
    buf_.reserve(kBuf + 64);
    return Status::Ok();
  }
  Status Line(const NtHash& h, uint64_t count) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    char line[64];
    for (size_t i = 0; i < 16; ++i) {
      line[2 * i] = kHex[h[i] >> 4];
      line[2 * i + 1] = kHex[h[i] & 15];
    }
    line[32] = ':';
    char digits[24];
    int n = 0;
    do {
      digits[n++] = static_cast<char>('0' + count % 10);
      count /= 10;
    } while (count > 0);
    size_t len = 33;
    while (n > 0) line[len++] = digits[--n];
    line[len++] = '\r';
    line[len++] = '\n';
    buf_.append(line, len);
    bytes_ += len;
    return buf_.size() >= kBuf ? Flush() : Status::Ok();
  }
  Status Commit() {
    CS_RETURN_IF_ERROR(Flush());
    return path_ == "-" ? Status::Ok() : file_.Commit();
  }
  uint64_t bytes() const { return bytes_; }

 private:
  static constexpr size_t kBuf = 1 << 20;
  Status Flush() {
    CS_RETURN_IF_ERROR(path_ == "-" ? WriteAll(STDOUT_FILENO, buf_.data(), buf_.size(), "stdout")
                                    : file_.Write(buf_));
    buf_.clear();
    return Status::Ok();
  }
  std::string path_;
  AtomicFile file_;
  std::string buf_;
  uint64_t bytes_ = 0;
};

}  // namespace

Result<GenerateReport> GenerateHibpFile(const GenerateOptions& o) {
  // Word hashes with their counts, sorted and de-duplicated (the first, most common, wins).
  std::vector<CorpusRecord> words;
  if (!o.words.empty()) {
    ReadOptions ro;
    ro.format = CorpusFormat::kPlaintext;
    ReadStats stats;
    uint64_t rank = 0;
    CS_RETURN_IF_ERROR(ReadCorpus({o.words}, ro,
                                  [&](std::span<const CorpusRecord> batch) {
                                    for (const CorpusRecord& r : batch) {
                                      words.push_back({r.hash, 1000000 / (rank + 1) + 1});
                                      ++rank;
                                    }
                                    return Status::Ok();
                                  },
                                  &stats));
    std::stable_sort(words.begin(), words.end(), [](const CorpusRecord& a, const CorpusRecord& b) {
      return std::memcmp(a.hash.data(), b.hash.data(), 16) < 0;
    });
    words.erase(std::unique(words.begin(), words.end(),
                            [](const CorpusRecord& a, const CorpusRecord& b) { return a.hash == b.hash; }),
                words.end());
  }

  Output out(o.out);
  CS_RETURN_IF_ERROR(out.Open());
  Rng rng(o.seed);
  const double n = static_cast<double>(o.random);
  const double mean_gap = std::ldexp(1.0, 128) / (n + 10.0 * std::sqrt(n) + 10.0);
  u128 key = 0;
  size_t w = 0;
  GenerateReport report;
  report.words = words.size();
  auto emit_words_below = [&](const NtHash& limit, bool all) -> Status {
    while (w < words.size() &&
           (all || std::memcmp(words[w].hash.data(), limit.data(), 16) < 0)) {
      CS_RETURN_IF_ERROR(out.Line(words[w].hash, words[w].count));
      ++report.lines;
      ++w;
    }
    return Status::Ok();
  };
  for (uint64_t i = 0; i < o.random; ++i) {
    double gap = -std::log(rng.Unit()) * mean_gap;
    // The high part from the double, the low 64 bits random, at least 1: strictly increasing.
    u128 g = static_cast<u128>(gap);
    g = (g & ~static_cast<u128>(UINT64_MAX)) + rng.Next() + 1;
    key += g;
    NtHash h = FromU128(key);
    CS_RETURN_IF_ERROR(emit_words_below(h, false));
    if (w < words.size() && words[w].hash == h) continue;  // the word's line stands for it
    uint64_t count = static_cast<uint64_t>(std::min(1.0 / rng.Unit(), 1e7));
    CS_RETURN_IF_ERROR(out.Line(h, count));
    ++report.lines;
  }
  CS_RETURN_IF_ERROR(emit_words_below(NtHash{}, true));
  CS_RETURN_IF_ERROR(out.Commit());
  report.bytes = out.bytes();
  return report;
}

}  // namespace credsweep::corpus
