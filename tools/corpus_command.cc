// `credsweep corpus import|info|check|generate` — the breach-corpus store from the shell.
//
//   corpus import --store DIR [--format auto|hibp|ntlm|plaintext] [--source NAME]
//                 [--version LABEL] [--skip-bad] PATH...        (PATH: file, prefix folder, -)
//   corpus info --store DIR [--json]
//   corpus check --store DIR [--plaintext] [--json]   stdin: one hash (or password) per line;
//                 stdout: "LEAKED <band>" (e.g. "LEAKED 1 k–10 k", never the exact count:
//                 engine/model/prevalence.h) or "OK" per line, in order. Exit 0 none leaked,
//                 1 some leaked, 2 usage / malformed input line, 3 runtime (bad store, I/O).
//   corpus verify --store DIR       the full check: every byte of filter and index (exit 3 if
//                 damaged); records the time in the manifest
//   corpus generate --out FILE --random N [--words LIST] [--seed S]
//
// Nothing here prints a hash or a password: check answers per line number, errors name
// FILE:LINE. Progress goes to stderr only when stderr is a terminal.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "connectors/corpus/corpus_reader.h"
#include "connectors/corpus/hibp_generator.h"
#include "engine/base/nt_hash.h"
#include "engine/model/prevalence.h"
#include "engine/store/corpus_import.h"
#include "engine/store/corpus_store.h"
#include "tools/command.h"

namespace credsweep {
namespace {

struct ImportArgs {
  std::string store;
  std::string format = "auto";
  std::string source;
  std::string version;
  bool skip_bad = false;
  uint64_t expected_keys = 0;
  std::vector<std::string> paths;
};

struct InfoArgs {
  std::string store;
  bool json = false;
};

struct CheckArgs {
  std::string store;
  bool plaintext = false;
  bool json = false;
};

struct VerifyArgs {
  std::string store;
};

struct GenerateArgs {
  std::string out;
  uint64_t random = 0;
  std::string words;
  uint64_t seed = 1;
};

std::string Rate(double v) {
  char buf[32];
  if (v >= 1e6) std::snprintf(buf, sizeof buf, "%.2f M", v / 1e6);
  else if (v >= 1e3) std::snprintf(buf, sizeof buf, "%.1f k", v / 1e3);
  else std::snprintf(buf, sizeof buf, "%.0f ", v);
  return buf;
}

int RunImport(const ImportArgs& a) {
  auto format = corpus::ParseCorpusFormat(a.format);
  if (!format.ok()) return ReportError(format.status());
  store::ImportOptions o;
  o.store = a.store;
  o.paths = a.paths;
  o.format = *format;
  o.source = a.source;
  o.version = a.version;
  o.skip_bad = a.skip_bad;
  o.expected_keys = a.expected_keys;
  if (::isatty(STDERR_FILENO)) {
    auto last = std::chrono::steady_clock::now();
    o.progress = [last](const store::ImportProgress& p) mutable {
      auto now = std::chrono::steady_clock::now();
      if (now - last < std::chrono::milliseconds(500)) return;
      last = now;
      double secs = std::max(p.seconds, 1e-3);
      double mbps = static_cast<double>(p.bytes) / secs / 1e6;
      std::string eta = "?";
      if (p.total_bytes > p.bytes && p.bytes > 0) {
        double left = static_cast<double>(p.total_bytes - p.bytes) / (static_cast<double>(p.bytes) / secs);
        eta = std::to_string(static_cast<int>(left)) + " s";
      }
      std::fprintf(stderr, "\rimporting: %s records, %srecords/s, %.0f MB/s, ETA %s   ",
                   Rate(static_cast<double>(p.records)).c_str(),
                   Rate(static_cast<double>(p.records) / secs).c_str(), mbps, eta.c_str());
      std::fflush(stderr);
    };
  }
  Result<store::ImportReport> r = store::ImportCorpus(o);
  if (::isatty(STDERR_FILENO)) std::fprintf(stderr, "\r\033[K");
  if (!r.ok()) return ReportError(r.status().WithContext("import failed, store unchanged"));
  const store::ImportReport& rep = *r;
  double secs = std::max(rep.seconds, 1e-6);
  std::printf("imported %s (version %s, %s): %llu lines, %llu distinct hashes, %llu new\n",
              rep.source.c_str(), rep.version.c_str(), rep.format.c_str(),
              static_cast<unsigned long long>(rep.lines),
              static_cast<unsigned long long>(rep.records),
              static_cast<unsigned long long>(rep.new_keys));
  std::printf("store %s: %llu keys, generation %llu; %.2f s (%skeys/s, %.0f MB/s)%s%s\n",
              a.store.c_str(), static_cast<unsigned long long>(rep.keys),
              static_cast<unsigned long long>(rep.generation), rep.seconds,
              Rate(static_cast<double>(rep.records) / secs).c_str(),
              static_cast<double>(rep.bytes) / secs / 1e6,
              rep.sorted_input ? "" : ", input was not sorted: sorted externally",
              rep.filter_rebuilt ? ", filter rebuilt from the index" : "");
  if (rep.bad_lines > 0) {
    std::printf("skipped %llu malformed lines (--skip-bad); the first:\n",
                static_cast<unsigned long long>(rep.bad_lines));
    for (const std::string& b : rep.first_bad) std::printf("  %s\n", b.c_str());
  }
  return kExitOk;
}

int RunInfo(const InfoArgs& a) {
  auto st = CorpusStore::Open(a.store);
  if (!st.ok()) return ReportError(st.status());
  const StoreInfo& info = (*st)->info();
  if (a.json) {
    nlohmann::ordered_json j;
    j["store"] = a.store;
    j["key_type"] = info.key_type;
    j["keys"] = info.keys;
    j["generation"] = info.generation;
    j["bits_per_key"] = info.bits_per_key;
    j["probes"] = info.probes;
    j["expected_fpr"] = info.expected_fpr;
    nlohmann::ordered_json sources = nlohmann::ordered_json::array();
    for (const CorpusSource& s : info.sources) {
      sources.push_back({{"name", s.name},
                         {"version", s.version},
                         {"lines", s.lines},
                         {"imported_at", s.imported_at},
                         {"checksum", s.checksum},
                         {"checksum_algorithm", s.checksum_algorithm}});
    }
    j["sources"] = sources;
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  std::printf("store:          %s\n", a.store.c_str());
  std::printf("keys:           %llu (%s)\n", static_cast<unsigned long long>(info.keys),
              info.key_type.c_str());
  std::printf("generation:     %llu\n", static_cast<unsigned long long>(info.generation));
  std::printf("filter:         %.2f bits/key, %d probes, expected false-positive rate %.4f %%\n",
              info.bits_per_key, info.probes, info.expected_fpr * 100);
  std::printf("sources:\n");
  for (const CorpusSource& s : info.sources) {
    std::printf("  %-20s version %-12s %llu lines, imported %s\n", s.name.c_str(),
                s.version.c_str(), static_cast<unsigned long long>(s.lines),
                s.imported_at.c_str());
  }
  return kExitOk;
}

// Reads stdin in blocks and answers every complete line of each block before reading on, so
// an interactive caller that writes one line and waits gets its answer.
int RunCheck(const CheckArgs& a) {
  // Probed ranges: each batch verifies the filter ranges it reads (on both cores) before it is
  // answered, so a few queries do not pay for hashing the whole filter (corpus_store.h).
  auto opened = CorpusStore::Open(a.store, StoreOpenOptions{.filter_check = FilterCheck::kProbedRanges,
                                                            .lookups = LookupVolume::kMany});
  if (!opened.ok()) return ReportError(opened.status());
  const CorpusStore& st = **opened;
  std::vector<char> buf(1 << 20);
  size_t have = 0;
  uint64_t line_no = 0;
  bool leaked_any = false;
  bool eof = false;
  std::vector<NtHash> hashes;
  std::vector<LookupResult> results;
  std::string out;
  while (!eof) {
    ssize_t n = ::read(STDIN_FILENO, buf.data() + have, buf.size() - have);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ReportError(Status::FromErrno("cannot read stdin", errno));
    }
    if (n == 0) eof = true;
    have += static_cast<size_t>(n);
    // Complete lines (and, at EOF, a last line without '\n').
    hashes.clear();
    size_t begin = 0;
    for (;;) {
      void* nl = std::memchr(buf.data() + begin, '\n', have - begin);
      size_t end;
      if (nl != nullptr) {
        end = static_cast<size_t>(static_cast<char*>(nl) - buf.data());
      } else if (eof && have > begin) {
        end = have;
      } else {
        break;
      }
      std::string_view line(buf.data() + begin, end - begin);
      begin = std::min(end + 1, have);
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (a.plaintext) {
        Result<NtHash> h = NtHashOfUtf8(line);
        if (!h.ok()) {
          return ReportError(Status::InvalidArgument("stdin:" + std::to_string(line_no) + ": " +
                                                     h.status().message()));
        }
        hashes.push_back(*h);
      } else {
        std::optional<NtHash> h = ParseNtHashHex(line);
        if (!h) {
          return ReportError(Status::InvalidArgument(
              "stdin:" + std::to_string(line_no) + ": not an NT hash (expected 32 hex digits, got " +
              std::to_string(line.size()) + " characters); use --plaintext for passwords"));
        }
        hashes.push_back(*h);
      }
    }
    if (begin < have) std::memmove(buf.data(), buf.data() + begin, have - begin);
    have -= begin;
    if (have == buf.size()) {
      return ReportError(Status::InvalidArgument("stdin:" + std::to_string(line_no + 1) +
                                                 ": line longer than 1 MiB"));
    }
    if (hashes.empty()) continue;
    Status s = st.LookupBatch(hashes, &results);
    if (!s.ok()) return ReportError(s);
    out.clear();
    uint64_t first = line_no - hashes.size() + 1;
    for (size_t i = 0; i < results.size(); ++i) {
      const LookupResult& r = results[i];
      leaked_any |= r.found;
      if (a.json) {
        nlohmann::ordered_json j = {{"line", first + i}, {"leaked", r.found}};
        j["prevalence"] = r.found ? nlohmann::ordered_json(
                                        PrevalenceBandLabel(PrevalenceBandOf(r.count)))
                                  : nlohmann::ordered_json(nullptr);
        out += j.dump();
        out += "\n";
      } else if (r.found) {
        out += std::string("LEAKED ") + PrevalenceBandLabel(PrevalenceBandOf(r.count)) + "\n";
      } else {
        out += "OK\n";
      }
    }
    if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0) {
      return ReportError(Status::FromErrno("cannot write stdout", errno));
    }
  }
  return leaked_any ? kExitFound : kExitOk;
}

int RunVerify(const VerifyArgs& a) {
  Result<store::VerifyReport> r = store::VerifyStore(a.store);
  if (!r.ok()) {
    const Status& s = r.status();
    // A missing store is a runtime failure here like everywhere else a store is read.
    return ReportError(s.WithContext("verify failed"));
  }
  std::printf("store %s: generation %llu, %llu keys verified (filter %.1f MB, index %.1f MB) in "
              "%.2f s%s; recorded verified_at %s\n",
              a.store.c_str(), static_cast<unsigned long long>(r->generation),
              static_cast<unsigned long long>(r->keys), static_cast<double>(r->filter_bytes) / 1e6,
              static_cast<double>(r->index_bytes) / 1e6, r->seconds,
              r->ranges_written ? ", filter range digests written" : "", r->verified_at.c_str());
  return kExitOk;
}

int RunGenerate(const GenerateArgs& a) {
  corpus::GenerateOptions o{a.out, a.random, a.words, a.seed};
  auto r = corpus::GenerateHibpFile(o);
  if (!r.ok()) return ReportError(r.status());
  if (a.out == "-") return kExitOk;  // stdout carries the data; no summary line in it
  std::printf("wrote %s: %llu lines (%llu from the word list), %.1f MB\n", a.out.c_str(),
              static_cast<unsigned long long>(r->lines), static_cast<unsigned long long>(r->words),
              static_cast<double>(r->bytes) / 1e6);
  return kExitOk;
}

}  // namespace

void SetupCorpusCommand(CLI::App& app, CommandContext& ctx) {
  CLI::App* corpus = app.add_subcommand("corpus", "Import, inspect and query the breach-corpus store");
  corpus->require_subcommand(1);

  auto imp = std::make_shared<ImportArgs>();
  CLI::App* i = corpus->add_subcommand(
      "import", "Import HIBP NTLM files or prefix folders, NT-hash lists or word lists");
  i->add_option("--store", imp->store, "Store directory (created on first import)")->required();
  i->add_option("--format", imp->format, "auto (default), hibp, ntlm or plaintext")
      ->check(CLI::IsMember({"auto", "hibp", "ntlm", "plaintext"}));
  i->add_option("--source", imp->source,
                "Source name (default: the first PATH's name); an existing name is a new version");
  i->add_option("--version", imp->version, "Version label (default: today's UTC date)");
  i->add_flag("--skip-bad", imp->skip_bad, "Skip and count malformed lines instead of stopping");
  i->add_option("--expected-keys", imp->expected_keys,
                "For stdin: about how many distinct hashes it holds (sizes the filter while "
                "importing instead of rebuilding it afterwards)");
  i->add_option("PATH", imp->paths, "File, HIBP prefix folder, or - for stdin")->required();
  i->callback([imp, &ctx] { ctx.exit_code = RunImport(*imp); });

  auto info = std::make_shared<InfoArgs>();
  CLI::App* f = corpus->add_subcommand("info", "Show keys, sources and filter figures of a store");
  f->add_option("--store", info->store, "Store directory")->required();
  f->add_flag("--json", info->json, "Machine-readable output");
  f->callback([info, &ctx] { ctx.exit_code = RunInfo(*info); });

  auto check = std::make_shared<CheckArgs>();
  CLI::App* c = corpus->add_subcommand(
      "check", "Check NT hashes (or passwords with --plaintext) read from stdin, one per line");
  c->add_option("--store", check->store, "Store directory")->required();
  c->add_flag("--plaintext", check->plaintext, "Lines are passwords (UTF-8), not NT hashes");
  c->add_flag("--json", check->json, "One JSON object per line: {line, leaked, count}");
  c->callback([check, &ctx] { ctx.exit_code = RunCheck(*check); });

  auto verify = std::make_shared<VerifyArgs>();
  CLI::App* v = corpus->add_subcommand(
      "verify", "Verify every byte of the store's filter and index (the full check that "
                "check-password leaves out); exit 3 when damaged");
  v->add_option("--store", verify->store, "Store directory")->required();
  v->callback([verify, &ctx] { ctx.exit_code = RunVerify(*verify); });

  auto gen = std::make_shared<GenerateArgs>();
  CLI::App* g = corpus->add_subcommand(
      "generate", "Write a synthetic sorted HIBP NTLM file (tests, demo, benchmarks)");
  g->add_option("--out", gen->out, "Output file, or - for stdout")->required();
  g->add_option("--random", gen->random, "Number of random hashes")->required();
  g->add_option("--words", gen->words, "Word list whose NT hashes are included (UTF-8)");
  g->add_option("--seed", gen->seed, "Random seed (default 1): same seed, same file");
  g->callback([gen, &ctx] { ctx.exit_code = RunGenerate(*gen); });
}

}  // namespace credsweep
