// PrefetchedStore: a CorpusStore whose answers for a known set of hashes were looked up ahead.
//
// Why: the audit job reads the directory (seconds at 100 000 accounts) while a second thread
// opens the store, loads the hash dump and looks up every hash in it; RunAudit then asks this
// store and gets those answers without waiting on the index (issue 11, the audit in a
// second). Hashes outside the prefetched set go to the underlying store, so the answers are
// the store's answers whatever is asked.
//
// Secrets: the prefetched hashes are held sorted in libsodium secure memory (SecureArray),
// wiped when this object goes. Results hold counts, never hashes.
//
// Failure policy: Create() returns the underlying store's lookup error as is (fail closed: a
// damaged index is an error, never "not leaked").
//
// Thread-safety: as CorpusStore (const lookups from many threads). The underlying store must
// outlive this object.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "engine/base/secure_array.h"
#include "engine/base/status.h"
#include "engine/store/corpus_store.h"

namespace credsweep {

class PrefetchedStore final : public CorpusStore {
 public:
  // Looks up every hash of `hashes` (duplicates allowed) in `store` in one batch.
  [[nodiscard]] static Result<std::unique_ptr<PrefetchedStore>> Create(
      const CorpusStore* store, std::span<const NtHash> hashes);

  const StoreInfo& info() const override { return store_->info(); }
  [[nodiscard]] Result<LookupResult> Lookup(const NtHash& hash) const override;
  [[nodiscard]] Status LookupBatch(std::span<const NtHash> hashes,
                                   std::vector<LookupResult>* out) const override;

 private:
  explicit PrefetchedStore(const CorpusStore* store) : store_(store) {}
  // Index of `hash` among the distinct keys, or distinct_ when it was not prefetched.
  size_t Find(const NtHash& hash) const;

  const CorpusStore* store_;
  SecureArray<NtHash> keys_;  // sorted; the first distinct_ are distinct, the rest unused
  size_t distinct_ = 0;
  std::vector<LookupResult> results_;  // results_[i] answers keys_[i], i < distinct_
};

}  // namespace credsweep
