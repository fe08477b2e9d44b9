#include "engine/store/store_format.h"

#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

#include "engine/base/file_util.h"

namespace credsweep::store {
namespace {

inline void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
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
  j["index"] = {{"dir", gen + "/index"}, {"value_format", kValueFormat}};
  nlohmann::ordered_json sources = nlohmann::ordered_json::array();
  for (const SourceEntry& s : m.sources) {
    sources.push_back({{"id", s.id},
                       {"name", s.name},
                       {"version", s.version},
                       {"format", s.format},
                       {"lines", s.lines},
                       {"records", s.records},
                       {"imported_at", s.imported_at},
                       {"checksum", s.checksum}});
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
    const std::string gen = GenerationDirName(m.generation);
    if (f.at("file").get<std::string>() != gen + "/filter.csbf" ||
        j.at("index").at("dir").get<std::string>() != gen + "/index") {
      return bad("filter/index paths do not match generation " + std::to_string(m.generation));
    }
    if (j.at("index").at("value_format").get<int>() != kValueFormat) {
      return bad("unsupported index value_format");
    }
    if (m.generation == 0) return bad("generation 0 is not valid");
    if (m.key_type != "ntlm") return bad("unsupported key_type '" + m.key_type + "'");
    for (const auto& s : j.at("sources")) {
      SourceEntry e;
      e.id = s.at("id").get<uint32_t>();
      e.name = s.at("name").get<std::string>();
      e.version = s.at("version").get<std::string>();
      e.format = s.at("format").get<std::string>();
      e.lines = s.at("lines").get<uint64_t>();
      e.records = s.at("records").get<uint64_t>();
      e.imported_at = s.at("imported_at").get<std::string>();
      e.checksum = s.at("checksum").get<std::string>();
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

void EncodeIndexValue(const IndexValue& v, std::string* out) {
  out->clear();
  out->push_back(static_cast<char>(kValueFormat));
  PutVarint(v.first_month, out);
  PutVarint(v.sources.size(), out);
  for (const SourceCount& s : v.sources) {
    PutVarint(s.source_id, out);
    PutVarint(s.count, out);
  }
}

size_t EncodeSingleSourceValue(uint32_t first_month, uint32_t source_id, uint64_t count,
                               char* out) {
  char* p = out;
  auto put = [&p](uint64_t v) {
    while (v >= 0x80) {
      *p++ = static_cast<char>((v & 0x7F) | 0x80);
      v >>= 7;
    }
    *p++ = static_cast<char>(v);
  };
  *p++ = static_cast<char>(kValueFormat);
  put(first_month);
  *p++ = 1;
  put(source_id);
  put(count);
  return static_cast<size_t>(p - out);
}

bool DecodeIndexValue(std::string_view in, IndexValue* out) {
  if (in.empty() || static_cast<uint8_t>(in[0]) != kValueFormat) return false;
  in.remove_prefix(1);
  uint64_t month, n;
  if (!GetVarint(&in, &month) || !GetVarint(&in, &n) || n == 0 || n > in.size()) return false;
  out->first_month = static_cast<uint32_t>(month);
  out->sources.clear();
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t id, count;
    if (!GetVarint(&in, &id) || !GetVarint(&in, &count)) return false;
    out->sources.push_back({static_cast<uint32_t>(id), count});
  }
  return in.empty();
}

bool DecodeTotalCount(std::string_view in, uint64_t* total, uint32_t* first_month) {
  if (in.empty() || static_cast<uint8_t>(in[0]) != kValueFormat) return false;
  in.remove_prefix(1);
  uint64_t month, n;
  if (!GetVarint(&in, &month) || !GetVarint(&in, &n) || n == 0 || n > in.size()) return false;
  uint64_t sum = 0;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t id, count;
    if (!GetVarint(&in, &id) || !GetVarint(&in, &count)) return false;
    sum += count;
  }
  *total = sum;
  *first_month = static_cast<uint32_t>(month);
  return in.empty();
}

uint32_t MonthOf(int64_t unix_seconds) {
  time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm;
  gmtime_r(&t, &tm);
  return static_cast<uint32_t>((tm.tm_year + 1900) * 100 + tm.tm_mon + 1);
}

}  // namespace credsweep::store
