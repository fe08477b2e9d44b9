#include "engine/audit/prefetched_store.h"

#include <algorithm>
#include <cstring>

namespace credsweep {
namespace {

bool Less(const NtHash& a, const NtHash& b) { return std::memcmp(a.data(), b.data(), 16) < 0; }

}  // namespace

Result<std::unique_ptr<PrefetchedStore>> PrefetchedStore::Create(const CorpusStore* store,
                                                                  std::span<const NtHash> hashes) {
  std::unique_ptr<PrefetchedStore> p(new PrefetchedStore(store));
  SecureArray<NtHash> sorted(hashes.size());
  if (!sorted.ok()) return Status::Internal("cannot allocate secure memory for the lookup batch");
  std::copy(hashes.begin(), hashes.end(), sorted.data());
  std::sort(sorted.data(), sorted.data() + sorted.size(), Less);
  const size_t distinct =
      static_cast<size_t>(std::unique(sorted.data(), sorted.data() + sorted.size()) - sorted.data());
  p->keys_ = SecureArray<NtHash>(distinct);
  if (!p->keys_.ok()) return Status::Internal("cannot allocate secure memory for the lookup batch");
  std::copy(sorted.data(), sorted.data() + distinct, p->keys_.data());
  sorted = SecureArray<NtHash>();
  CS_RETURN_IF_ERROR(store->LookupBatch(p->keys_.span(), &p->results_));
  if (p->results_.size() != distinct) {
    return Status::Internal("corpus store returned " + std::to_string(p->results_.size()) +
                            " results for " + std::to_string(distinct) + " hashes");
  }
  return p;
}

size_t PrefetchedStore::Find(const NtHash& hash) const {
  const NtHash* begin = keys_.data();
  const NtHash* end = begin + keys_.size();
  const NtHash* it = std::lower_bound(begin, end, hash, Less);
  return it != end && *it == hash ? static_cast<size_t>(it - begin) : keys_.size();
}

Result<LookupResult> PrefetchedStore::Lookup(const NtHash& hash) const {
  const size_t i = Find(hash);
  if (i < keys_.size()) return results_[i];
  return store_->Lookup(hash);
}

Status PrefetchedStore::LookupBatch(std::span<const NtHash> hashes,
                                    std::vector<LookupResult>* out) const {
  out->assign(hashes.size(), LookupResult{});
  std::vector<size_t> missed;
  for (size_t i = 0; i < hashes.size(); ++i) {
    const size_t at = Find(hashes[i]);
    if (at < keys_.size()) {
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
