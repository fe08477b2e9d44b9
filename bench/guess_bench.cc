// Google Benchmark of targeted guessing (engine/guess): the MD4 kernels and the whole default
// candidate space against 100 000 accounts.
//
//   build/guess_bench                        all benchmarks
//   build/guess_bench --benchmark_filter=Guess100k
//
// Counters:
//   candidates/s        NT hashes computed per second of wall time (all threads)
//   candidates/s/core   the same divided by the threads used
//   accounts            targets audited; guessable = how many the run found (sanity check)
// The DESIGN.md budget: the default space for 100 000 accounts in <= 10 s on this 2-core VM,
// i.e. BM_Guess100k/threads:2 real time <= 10 s.
#include <benchmark/benchmark.h>

#include <deque>
#include <random>
#include <string>
#include <vector>

#include "engine/config/config.h"
#include "engine/guess/guesser.h"
#include "engine/guess/nt_hash_lanes.h"

namespace {

using namespace credsweep;

void RunKernel(benchmark::State& state, Md4LanesFn kernel) {
  Md4LaneInput in;
  const std::u16string w = u"Efteraar";
  for (size_t l = 0; l < kMd4Lanes; ++l) PackLaneUnits(in.lane[l], w.data(), w.size(), u"2026!", 5);
  Md4LaneDigest out;
  for (auto _ : state) {
    kernel(in, &out);
    benchmark::DoNotOptimize(out);
    in.lane[0][2] ^= out.h[0][0] & 0xFF;  // a dependency, so calls are not hoisted
  }
  state.counters["candidates/s/core"] =
      benchmark::Counter(static_cast<double>(state.iterations() * kMd4Lanes),
                         benchmark::Counter::kIsRate);
}

void BM_Md4LanesScalar(benchmark::State& state) { RunKernel(state, &Md4LanesScalar); }
BENCHMARK(BM_Md4LanesScalar);

void BM_Md4LanesAvx2(benchmark::State& state) {
  if (!Md4LanesAvx2Supported()) {
    state.SkipWithError("no AVX2 on this CPU");
    return;
  }
  RunKernel(state, &Md4LanesAvx2);
}
BENCHMARK(BM_Md4LanesAvx2);

// 100 000 accounts with unique strong passwords, 1 % of them guessable, 10 % computers.
struct World {
  std::deque<NtHash> hashes;
  std::vector<GuessTarget> targets;
  std::vector<std::string> dns;
  World() {
    std::mt19937 rng(42);
    const char* weak[] = {"Efteraar2026!", "Solbjerg123", "Velkommen1", "Sommer2024"};
    for (int i = 0; i < 100000; ++i) {
      GuessTarget t;
      const bool computer = i % 10 == 9;
      t.name = (computer ? "WS" : "user") + std::to_string(i) + (computer ? "$" : "");
      t.is_computer = computer;
      std::string pw = i % 100 == 0 ? weak[(i / 100) % 4]
                                    : "Strong-" + std::to_string(rng()) + "-" + std::to_string(i);
      hashes.push_back(NtHashOfUtf8(pw).value());
      t.current = &hashes.back();
      targets.push_back(std::move(t));
      dns.push_back("CN=" + targets.back().name + ",OU=Brugere,DC=solbjerg,DC=dk");
    }
  }
};

void BM_Guess100k(benchmark::State& state) {
  static World world;
  Config cfg;
  GuessPlan plan = PlanFromConfig(cfg, world.dns, 2026, true, true, true).value();
  plan.threads = static_cast<unsigned>(state.range(0));
  GuessStats stats;
  size_t guessable = 0;
  for (auto _ : state) {
    std::vector<GuessResult> r = GuessPasswords(world.targets, plan, &stats).value();
    guessable = 0;
    for (const GuessResult& x : r) guessable += x.family >= 0;
  }
  const double n = static_cast<double>(stats.candidates) * static_cast<double>(state.iterations());
  state.counters["candidates/s"] = benchmark::Counter(n, benchmark::Counter::kIsRate);
  state.counters["candidates/s/core"] =
      benchmark::Counter(n / stats.threads, benchmark::Counter::kIsRate);
  state.counters["candidates"] = static_cast<double>(stats.candidates);
  state.counters["accounts"] = static_cast<double>(world.targets.size());
  state.counters["guessable"] = static_cast<double>(guessable);
  state.SetLabel(stats.kernel);
}
BENCHMARK(BM_Guess100k)->Arg(1)->Arg(2)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
