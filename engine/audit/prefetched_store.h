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
// Start() returns as soon as the hashes are copied and sorted and looks them up on a thread of
// its own, so the audit job can go on (build the directory index, classify accounts) while
// the index is read; the first lookup waits for that thread.
//
// Failure policy: the underlying store's lookup error is returned as is — by Create(), or by
// every Lookup/LookupBatch after Start() (fail closed: a damaged index is an error, never "not
// leaked").
//
// Thread-safety: as CorpusStore (const lookups from many threads; they all wait for the
// prefetch). The underlying store must outlive this object; destroying it waits for the
// prefetch thread.
#pragma once

#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "engine/base/secure_array.h"
#include "engine/base/status.h"
#include "engine/store/corpus_store.h"

namespace credsweep {

class PrefetchedStore final : public CorpusStore {
 public:
  // Starts looking up every hash of `hashes` (duplicates allowed) in `store`, in one batch on
  // a thread of its own, and returns at once. kInternal only when secure memory runs out.
  [[nodiscard]] static Result<std::unique_ptr<PrefetchedStore>> Start(
      const CorpusStore* store, std::span<const NtHash> hashes);
  // Start, then wait: the lookup's error, if any, is returned here.
  [[nodiscard]] static Result<std::unique_ptr<PrefetchedStore>> Create(
      const CorpusStore* store, std::span<const NtHash> hashes);
  ~PrefetchedStore() override;
  PrefetchedStore(const PrefetchedStore&) = delete;
  PrefetchedStore& operator=(const PrefetchedStore&) = delete;

  const StoreInfo& info() const override { return store_->info(); }
  [[nodiscard]] Result<LookupResult> Lookup(const NtHash& hash) const override;
  [[nodiscard]] Status LookupBatch(std::span<const NtHash> hashes,
                                   std::vector<LookupResult>* out) const override;

 private:
  explicit PrefetchedStore(const CorpusStore* store) : store_(store) {}
  // The prefetch thread's body: fills results_ and prefetched_.
  void Prefetch();
  // Waits for the prefetch thread (once); its status.
  Status Wait() const;
  // Index of `hash` among the distinct keys, or distinct_ when it was not prefetched.
  size_t Find(const NtHash& hash) const;

  const CorpusStore* store_;
  SecureArray<NtHash> keys_;  // sorted; the first distinct_ are distinct, the rest unused
  size_t distinct_ = 0;
  std::vector<LookupResult> results_;  // results_[i] answers keys_[i], i < distinct_
  Status prefetched_;                  // the prefetch's outcome, read after Wait
  mutable std::thread worker_;
  mutable std::once_flag joined_;
};

}  // namespace credsweep
