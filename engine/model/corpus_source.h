// One breach-corpus source (a HIBP download, an NT-hash list, a word list), one version of it:
// what the store's manifest records per source, what `corpus info` prints, and — its name,
// version, lines and import time — what a run's evidence repeats (findings.json `run`, the run
// history). The only struct for a corpus source (issue 11 "Structure").
#pragma once

#include <cstdint>
#include <string>

namespace credsweep {

struct CorpusSource {
  uint32_t id = 0;          // the store's id for the source (a new version keeps it)
  std::string name;
  std::string version;
  std::string format;       // hibp / ntlm / plaintext (as detected)
  uint64_t lines = 0;       // input lines read
  uint64_t records = 0;     // distinct hashes this version listed
  std::string imported_at;  // UTC ISO-8601
  std::string checksum;     // hex digest of the input bytes, in checksum_algorithm
  // "sha256" or "blake2b-256", whichever the importing CPU hashes faster (corpus_reader.h);
  // a manifest without the field is from before it existed: "blake2b-256".
  std::string checksum_algorithm;
};

}  // namespace credsweep
