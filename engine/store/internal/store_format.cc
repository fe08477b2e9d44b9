#include "engine/store/internal/store_format.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>

#include <nlohmann/json.hpp>

#include "engine/base/file_util.h"

namespace credsweep::store {
namespace {

// LEB128 into a buffer with room for 10 bytes; returns the end.
inline char* PutVarintRaw(uint64_t v, char* p) {
  while (v >= 0x80) {
    *p++ = static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

inline void PutVarint(uint64_t v, std::string* out) {
  char b[10];
  out->append(b, static_cast<size_t>(PutVarintRaw(v, b) - b));
}

inline bool GetVarint(std::string_view* in, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64 && !in->empty(); shift += 7) {
    auto b = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    result |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

}  // namespace

std::string GenerationDirName(uint64_t generation) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "gen-%06llu", static_cast<unsigned long long>(generation));
  return buf;
}

std::string FilterPath(const std::string& store, uint64_t generation) {
  return store + "/" + GenerationDirName(generation) + "/filter.csbf";
}

std::string FilterRangesPath(const std::string& store, uint64_t generation) {
  return store + "/" + GenerationDirName(generation) + "/" + kFilterRangesName;
}

std::string IndexPath(const std::string& store, uint64_t generation) {
  return store + "/" + GenerationDirName(generation) + "/index";
}

std::string ManifestToJson(const Manifest& m) {
  nlohmann::ordered_json j;
  j["format"] = "credsweep-corpus-store";
  j["format_version"] = kManifestFormatVersion;
  j["generation"] = m.generation;
  j["key_type"] = m.key_type;
  j["keys"] = m.keys;
  j["updated_at"] = m.updated_at;
  const std::string gen = GenerationDirName(m.generation);
  j["filter"] = {{"file", gen + "/filter.csbf"}, {"bits_per_key", m.bits_per_key},
                 {"probes", m.probes},           {"seed", m.seed},
                 {"blocks", m.filter_blocks},    {"expected_fpr", m.expected_fpr}};
  if (!m.filter_checksum.empty()) {
    j["filter"]["checksum"] = m.filter_checksum;
    j["filter"]["ranges"] = gen + "/" + kFilterRangesName;
    j["filter"]["verified_at"] = m.filter_verified_at;
  }
  j["index"] = {{"dir", gen + "/index"}, {"value_format", kValueFormat}};
  nlohmann::ordered_json sources = nlohmann::ordered_json::array();
  for (const CorpusSource& s : m.sources) {
    sources.push_back({{"id", s.id},
                       {"name", s.name},
                       {"version", s.version},
                       {"format", s.format},
                       {"lines", s.lines},
                       {"records", s.records},
                       {"imported_at", s.imported_at},
                       {"checksum", s.checksum},
                       {"checksum_algorithm", s.checksum_algorithm}});
  }
  j["sources"] = sources;
  return j.dump(2) + "\n";
}

Result<Manifest> ManifestFromJson(const std::string& text, const std::string& origin) {
  auto bad = [&](const std::string& what) {
    return Status::Corruption(origin + ": " + what +
                              "; the store cannot be trusted: re-import the corpus into a new "
                              "store (credsweep corpus import --store DIR ...)");
  };
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return bad("not valid JSON");
  try {
    if (j.value("format", "") != "credsweep-corpus-store") return bad("not a credsweep manifest");
    if (j.at("format_version").get<int>() != kManifestFormatVersion) {
      return bad("unsupported format_version " + j.at("format_version").dump());
    }
    Manifest m;
    m.generation = j.at("generation").get<uint64_t>();
    m.key_type = j.at("key_type").get<std::string>();
    m.keys = j.at("keys").get<uint64_t>();
    m.updated_at = j.at("updated_at").get<std::string>();
    const auto& f = j.at("filter");
    m.bits_per_key = f.at("bits_per_key").get<double>();
    m.probes = f.at("probes").get<int>();
    m.seed = f.at("seed").get<uint64_t>();
    m.filter_blocks = f.at("blocks").get<uint64_t>();
    m.expected_fpr = f.at("expected_fpr").get<double>();
    // Stores written before the range digests existed have neither; readers then verify the
    // whole filter on every open (corpus_store.h).
    m.filter_checksum = f.value("checksum", "");
    m.filter_verified_at = f.value("verified_at", "");
    if (!m.filter_checksum.empty() && m.filter_checksum.size() != 64) {
      return bad("filter checksum is not 64 hex digits");
    }
    const std::string gen = GenerationDirName(m.generation);
    if (f.at("file").get<std::string>() != gen + "/filter.csbf" ||
        j.at("index").at("dir").get<std::string>() != gen + "/index") {
      return bad("filter/index paths do not match generation " + std::to_string(m.generation));
    }
    if (j.at("index").at("value_format").get<int>() != kValueFormat) {
      return bad("the index has value_format " + j.at("index").at("value_format").dump() +
                 ", this credsweep reads " + std::to_string(kValueFormat) +
                 " (the bucketed layout; older stores must be re-imported)");
    }
    if (m.generation == 0) return bad("generation 0 is not valid");
    if (m.key_type != "ntlm") return bad("unsupported key_type '" + m.key_type + "'");
    for (const auto& s : j.at("sources")) {
      CorpusSource e;
      e.id = s.at("id").get<uint32_t>();
      e.name = s.at("name").get<std::string>();
      e.version = s.at("version").get<std::string>();
      e.format = s.at("format").get<std::string>();
      e.lines = s.at("lines").get<uint64_t>();
      e.records = s.at("records").get<uint64_t>();
      e.imported_at = s.at("imported_at").get<std::string>();
      e.checksum = s.at("checksum").get<std::string>();
      // Sources imported before the field existed were hashed with BLAKE2b-256.
      e.checksum_algorithm = s.value(
          "checksum_algorithm",
          std::string(corpus::SourceChecksumName(corpus::SourceChecksum::kBlake2b256)));
      m.sources.push_back(std::move(e));
    }
    return m;
  } catch (const nlohmann::json::exception& e) {
    return bad(std::string("missing or mistyped field (") + e.what() + ")");
  }
}

Result<Manifest> LoadManifest(const std::string& store) {
  const std::string path = store + "/" + kManifestName;
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    if (errno == ENOENT) {
      return Status::NotFound("no corpus store at " + store + " (" + path +
                              " does not exist): run `credsweep corpus import --store " + store +
                              " FILE` first");
    }
    return Status::FromErrno("cannot open " + path, errno);
  }
  std::fclose(f);
  CS_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ManifestFromJson(text, path);
}

Status SaveManifest(const std::string& store, const Manifest& m) {
  // 0644: the manifest names no account; check-password may run as another user.
  return WriteFileAtomic(store + "/" + kManifestName, ManifestToJson(m), 0644);
}

uint64_t IndexValue::TotalCount() const {
  uint64_t total = 0;
  for (const SourceCount& s : sources) total += s.count;
  return total;
}

namespace {

// Months since 2000-01 <-> YYYYMM.
uint32_t MonthIndex(uint32_t yyyymm) {
  const uint32_t y = yyyymm / 100, m = yyyymm % 100;
  return y < 2000 || m < 1 || m > 12 ? 0 : (y - 2000) * 12 + (m - 1);
}
uint32_t Yyyymm(uint64_t index) {
  return static_cast<uint32_t>((2000 + index / 12) * 100 + index % 12 + 1);
}

void PutSources(std::span<const SourceCount> sources, std::string* out) {
  if (sources.size() != 1) PutVarint(sources.size(), out);
  for (const SourceCount& s : sources) {
    PutVarint(s.source_id, out);
    PutVarint(s.count, out);
  }
}

// Reads one hash's value; with `sources` null only sums the counts.
bool GetValue(std::string_view* in, uint32_t base_month, uint32_t* month, uint64_t* total,
              std::vector<SourceCount>* sources) {
  uint64_t h, k = 1;
  if (!GetVarint(in, &h)) return false;
  if ((h & 1) != 0 && (!GetVarint(in, &k) || k < 2 || k > in->size())) return false;
  if ((h >> 1) > (uint64_t{1} << 20)) return false;
  *month = Yyyymm(base_month + (h >> 1));
  uint64_t sum = 0;
  for (uint64_t j = 0; j < k; ++j) {
    uint64_t id, count;
    if (!GetVarint(in, &id) || !GetVarint(in, &count) || id > UINT32_MAX) return false;
    sum = sum + count < sum ? UINT64_MAX : sum + count;
    if (sources != nullptr) sources->push_back({static_cast<uint32_t>(id), count});
  }
  *total = sum;
  return true;
}

}  // namespace

void BucketEncoder::Clear() {
  suffixes_.clear();
  months_.clear();
  values_.clear();
  value_ends_.clear();
}

void BucketEncoder::Add(const uint8_t* suffix, uint32_t first_month,
                        std::span<const SourceCount> sources) {
  suffixes_.append(reinterpret_cast<const char*>(suffix), kSuffixBytes);
  months_.push_back(MonthIndex(first_month));
  values_.push_back(sources.size() == 1 ? '\0' : '\1');  // the multi flag, folded in Finish
  PutSources(sources, &values_);
  value_ends_.push_back(static_cast<uint32_t>(values_.size()));
}

void BucketEncoder::Finish(std::string* out) const {
  out->clear();
  out->push_back(static_cast<char>(kValueFormat));
  PutVarint(months_.size(), out);
  const uint32_t base = months_.empty() ? 0 : *std::min_element(months_.begin(), months_.end());
  PutVarint(base, out);
  out->append(suffixes_);
  uint32_t begin = 0;
  for (size_t i = 0; i < months_.size(); ++i) {
    const uint64_t multi = static_cast<uint8_t>(values_[begin]);
    PutVarint((uint64_t{months_[i] - base} << 1) | multi, out);
    out->append(values_, begin + 1, value_ends_[i] - begin - 1);
    begin = value_ends_[i];
  }
}

void EncodeNewBucket(std::span<const corpus::CorpusRecord> records, uint32_t first_month,
                     uint32_t source_id, std::string* out) {
  const size_t n = records.size();
  // Header, then per hash its suffix and at most 1 + 5 + 10 value bytes.
  out->resize(1 + 10 + 10 + n * (kSuffixBytes + 16));
  char* p = out->data();
  *p++ = static_cast<char>(kValueFormat);
  p = PutVarintRaw(n, p);
  p = PutVarintRaw(MonthIndex(first_month), p);  // the base month; every delta is 0
  for (const corpus::CorpusRecord& r : records) {
    std::memcpy(p, r.hash.data() + kBucketPrefixBytes, kSuffixBytes);
    p += kSuffixBytes;
  }
  char id[10];
  const size_t id_len = static_cast<size_t>(PutVarintRaw(source_id, id) - id);
  for (const corpus::CorpusRecord& r : records) {
    *p++ = 0;  // h = month delta 0, one source
    std::memcpy(p, id, id_len);
    p = PutVarintRaw(r.count, p + id_len);
  }
  out->resize(static_cast<size_t>(p - out->data()));
}

bool BucketView::Parse(std::string_view in) {
  if (in.empty() || static_cast<uint8_t>(in[0]) != kValueFormat) return false;
  in.remove_prefix(1);
  uint64_t n, base;
  if (!GetVarint(&in, &n) || n == 0 || !GetVarint(&in, &base) || base > (uint64_t{1} << 20)) {
    return false;
  }
  // Each hash needs its suffix and at least 3 value bytes.
  if (n > in.size() / (kSuffixBytes + 3)) return false;
  n_ = static_cast<size_t>(n);
  base_month_ = static_cast<uint32_t>(base);
  suffixes_ = reinterpret_cast<const uint8_t*>(in.data());
  for (size_t i = 1; i < n_; ++i) {
    if (std::memcmp(suffix(i - 1), suffix(i), kSuffixBytes) >= 0) return false;
  }
  values_ = in.substr(n_ * kSuffixBytes);
  return true;
}

size_t BucketView::Find(const uint8_t* key_suffix) const {
  size_t lo = 0, hi = n_;
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    const int c = std::memcmp(suffix(mid), key_suffix, kSuffixBytes);
    if (c == 0) return mid;
    if (c < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return n_;
}

bool BucketView::Total(size_t i, uint64_t* total, uint32_t* first_month) const {
  std::string_view in = values_;
  for (size_t j = 0; j <= i; ++j) {
    if (!GetValue(&in, base_month_, first_month, total, nullptr)) return false;
  }
  return true;
}

bool BucketView::DecodeAll(std::vector<IndexValue>* out) const {
  out->resize(n_);
  std::string_view in = values_;
  uint64_t total;
  for (size_t i = 0; i < n_; ++i) {
    (*out)[i].sources.clear();
    if (!GetValue(&in, base_month_, &(*out)[i].first_month, &total, &(*out)[i].sources)) {
      return false;
    }
  }
  return in.empty();
}

uint32_t MonthOf(int64_t unix_seconds) {
  time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm;
  gmtime_r(&t, &tm);
  return static_cast<uint32_t>((tm.tm_year + 1900) * 100 + tm.tm_mon + 1);
}

}  // namespace credsweep::store
