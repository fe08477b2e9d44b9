#include "engine/audit/prefetched_store.h"

#include <algorithm>
#include <utility>

#include "engine/base/nt_hash.h"

namespace credsweep {

Result<std::unique_ptr<PrefetchedStore>> PrefetchedStore::Start(const CorpusStore* store,
                                                                 std::span<const NtHash> hashes) {
  std::unique_ptr<PrefetchedStore> p(new PrefetchedStore(store));
  p->keys_ = SecureArray<NtHash>(hashes.size());
  if (!p->keys_.ok()) return Status::Internal("cannot allocate secure memory for the lookup batch");
  NtHash* begin = p->keys_.data();
  std::copy(hashes.begin(), hashes.end(), begin);
  std::sort(begin, begin + hashes.size(), NtHashLess);
  p->distinct_ = static_cast<size_t>(std::unique(begin, begin + hashes.size()) - begin);
  p->worker_ = std::thread([raw = p.get()] { raw->Prefetch(); });
  return p;
}

Result<std::unique_ptr<PrefetchedStore>> PrefetchedStore::Create(const CorpusStore* store,
                                                                  std::span<const NtHash> hashes) {
  CS_ASSIGN_OR_RETURN(std::unique_ptr<PrefetchedStore> p, Start(store, hashes));
  CS_RETURN_IF_ERROR(p->Wait());
  return p;
}

PrefetchedStore::~PrefetchedStore() { (void)Wait(); }

void PrefetchedStore::Prefetch() {
  const std::span<const NtHash> distinct(keys_.data(), distinct_);
  Status s = store_->LookupBatch(distinct, &results_);
  if (s.ok() && results_.size() != distinct.size()) {
    s = Status::Internal("corpus store returned " + std::to_string(results_.size()) +
                         " results for " + std::to_string(distinct.size()) + " hashes");
  }
  prefetched_ = std::move(s);
}

Status PrefetchedStore::Wait() const {
  std::call_once(joined_, [this] {
    if (worker_.joinable()) worker_.join();
  });
  return prefetched_;
}

size_t PrefetchedStore::Find(const NtHash& hash) const {
  const NtHash* begin = keys_.data();
  const NtHash* end = begin + distinct_;
  const NtHash* it = std::lower_bound(begin, end, hash, NtHashLess);
  return it != end && *it == hash ? static_cast<size_t>(it - begin) : distinct_;
}

Result<LookupResult> PrefetchedStore::Lookup(const NtHash& hash) const {
  CS_RETURN_IF_ERROR(Wait());
  const size_t i = Find(hash);
  if (i < distinct_) return results_[i];
  return store_->Lookup(hash);
}

Status PrefetchedStore::LookupBatch(std::span<const NtHash> hashes,
                                    std::vector<LookupResult>* out) const {
  CS_RETURN_IF_ERROR(Wait());
  out->assign(hashes.size(), LookupResult{});
  std::vector<size_t> missed;
  for (size_t i = 0; i < hashes.size(); ++i) {
    const size_t at = Find(hashes[i]);
    if (at < distinct_) {
      (*out)[i] = results_[at];
    } else {
      missed.push_back(i);
    }
  }
  if (missed.empty()) return Status::Ok();
  SecureArray<NtHash> rest(missed.size());
  if (!rest.ok()) return Status::Internal("cannot allocate secure memory for the lookup batch");
  for (size_t k = 0; k < missed.size(); ++k) rest[k] = hashes[missed[k]];
  std::vector<LookupResult> answers;
  CS_RETURN_IF_ERROR(store_->LookupBatch(rest.span(), &answers));
  if (answers.size() != missed.size()) {
    return Status::Internal("corpus store returned " + std::to_string(answers.size()) +
                            " results for " + std::to_string(missed.size()) + " hashes");
  }
  for (size_t k = 0; k < missed.size(); ++k) (*out)[missed[k]] = answers[k];
  return Status::Ok();
}

}  // namespace credsweep
