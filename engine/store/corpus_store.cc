#include "engine/store/corpus_store.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <nlohmann/json.hpp>

#include "bloom/blocked_bloom_filter.h"
#include "engine/base/hex.h"
#include "engine/base/nt_hash.h"
#include "engine/base/secure_array.h"
#include "engine/store/internal/filter_ranges.h"
#include "engine/store/internal/index_options.h"
#include "engine/store/internal/store_format.h"

namespace credsweep {
namespace {

using store::Manifest;
namespace internal = store::internal;

class CorpusStoreImpl final : public CorpusStore {
 public:
  CorpusStoreImpl(StoreInfo info, std::unique_ptr<bloom::Filter> filter,
                  std::unique_ptr<internal::FilterRanges> ranges, std::unique_ptr<rocksdb::DB> db,
                  std::string index_path, bool index_only, bool batch_ranges)
      : info_(std::move(info)),
        filter_(std::move(filter)),
        ranges_(std::move(ranges)),
        db_(std::move(db)),
        index_path_(std::move(index_path)),
        index_only_(index_only),
        batch_ranges_(batch_ranges) {}

  const StoreInfo& info() const override { return info_; }

  Result<LookupResult> Lookup(const NtHash& hash) const override {
    LookupResult r;
    if (ranges_ && !batch_ranges_) {
      CS_RETURN_IF_ERROR(ranges_->CheckBlock(filter_->BlockOf(hash.data())));
    }
    if (!index_only_ && !filter_->MayContain(hash.data())) return r;
    rocksdb::PinnableSlice value;
    rocksdb::Status s =
        db_->Get(rocksdb::ReadOptions(), db_->DefaultColumnFamily(), Key(hash), &value);
    if (s.IsNotFound()) return r;  // a filter false positive (its bucket is empty)
    if (!s.ok()) return IndexError(s);
    CS_RETURN_IF_ERROR(Decode(value.ToStringView(), hash, &r));
    return r;
  }

  Status LookupBatch(std::span<const NtHash> hashes,
                     std::vector<LookupResult>* out) const override {
    if (!ranges_) return LookupUnchecked(hashes, out);
    if (batch_ranges_) return LookupThroughRanges(hashes, out);
    // kProbedRanges: every range this batch probes must verify before any answer leaves. The
    // ranges not verified yet are hashed by a second thread and, once its lookups are done, by
    // this one (both take the next range from one counter); the answers are returned only when
    // every one of them verified.
    std::vector<uint64_t> pending;
    {
      std::vector<bool> wanted(ranges_->range_count() + 1, false);
      for (const NtHash& h : hashes) {
        const uint64_t r = ranges_->RangeOf(filter_->BlockOf(h.data()));
        if (!wanted[r] && !ranges_->Verified(r)) {
          wanted[r] = true;
          pending.push_back(r);
        }
      }
    }
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    std::mutex mu;
    Status damaged;
    auto verify = [&] {
      while (!failed.load(std::memory_order_relaxed)) {
        const size_t i = next.fetch_add(1, std::memory_order_relaxed);
        if (i >= pending.size()) break;
        Status s = ranges_->CheckRange(pending[i]);
        if (!s.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          if (damaged.ok()) damaged = std::move(s);
          failed.store(true, std::memory_order_relaxed);
        }
      }
    };
    if (pending.size() < 2) {
      verify();
      if (!damaged.ok()) return damaged;
      return LookupUnchecked(hashes, out);
    }
    std::thread helper(verify);
    const Status looked_up = LookupUnchecked(hashes, out);
    verify();
    helper.join();
    if (!damaged.ok()) return damaged;  // before a lookup error: the damage is the cause
    return looked_up;
  }

 private:
  // kBatchRanges (corpus_store.h): through the filter range by range when that reads less than
  // the index would, else straight to the index.
  // Each madvise(MADV_DONTNEED) is a TLB shootdown on every core running this process: 8 MiB
  // at a time, 240 of them for a 2 GB filter (at 1 MiB they were 15 % of the stream's CPU).
  static constexpr uint64_t kReleaseBytes = uint64_t{8} << 20;
  Status LookupThroughRanges(std::span<const NtHash> hashes, std::vector<LookupResult>* out) const {
    const uint64_t range_count = ranges_->range_count();
    std::vector<uint32_t> range_of(hashes.size());
    std::vector<uint32_t> start(range_count + 2, 0);  // counting sort by range
    for (size_t i = 0; i < hashes.size(); ++i) {
      range_of[i] = static_cast<uint32_t>(ranges_->RangeOf(filter_->BlockOf(hashes[i].data())));
      ++start[range_of[i] + 1];
    }
    uint64_t touched = 0;
    for (uint64_t r = 0; r < range_count; ++r) touched += start[r + 1] != 0;
    if (touched * ranges_->LookupsPerRange() > hashes.size()) {
      return LookupUnchecked(hashes, out);
    }
    for (size_t r = 1; r < start.size(); ++r) start[r] += start[r - 1];
    std::vector<uint32_t> order(hashes.size());
    {
      std::vector<uint32_t> at(start.begin(), start.end() - 1);
      for (size_t i = 0; i < hashes.size(); ++i) order[at[range_of[i]]++] = static_cast<uint32_t>(i);
    }
    range_of = {};
    // Range by range: verified before any probe of it is believed. Filter pages (and the pages
    // of their digests) are given back kReleaseBytes of filter at a time, not one page at a
    // time.
    std::vector<uint32_t> positive;
    const uint64_t range_bytes = ranges_->range_bytes();
    const uint64_t release_bytes = std::max<uint64_t>(range_bytes, kReleaseBytes);
    uint64_t unreleased = 0;  // body offset of the first page not given back yet
    for (uint64_t r = 0; r < range_count; ++r) {
      if (start[r] == start[r + 1]) continue;
      const uint64_t offset = r * range_bytes;
      if (offset >= unreleased + release_bytes) {
        const uint64_t upto = offset / release_bytes * release_bytes;
        filter_->ReleaseBody(unreleased, upto - unreleased);
        ranges_->ReleaseDigests(unreleased / range_bytes, upto / range_bytes);
        unreleased = upto;
      }
      CS_RETURN_IF_ERROR(ranges_->CheckRange(r));
      for (uint32_t k = start[r]; k < start[r + 1]; ++k) {
        if (filter_->MayContain(hashes[order[k]].data())) positive.push_back(order[k]);
      }
    }
    filter_->ReleaseBody(unreleased, range_count * range_bytes - unreleased);
    ranges_->ReleaseDigests(unreleased / range_bytes, range_count);
    out->assign(hashes.size(), LookupResult{});
    if (positive.empty()) return Status::Ok();
    // In key order: the index is read table file by table file, each file's index block
    // loaded into the small block cache once (index_options.h kDirect), whatever the count.
    std::sort(positive.begin(), positive.end(), [&](uint32_t a, uint32_t b) {
      return NtHashLess(hashes[a], hashes[b]);
    });
    SecureArray<NtHash> confirm(positive.size());  // account hashes: secure memory only
    if (!confirm.ok()) return Status::Internal("cannot allocate secure memory for the lookup batch");
    for (size_t k = 0; k < positive.size(); ++k) confirm[k] = hashes[positive[k]];
    std::vector<LookupResult> found;
    CS_RETURN_IF_ERROR(LookupUnchecked(confirm.span(), &found));
    for (size_t k = 0; k < positive.size(); ++k) (*out)[positive[k]] = found[k];
    return Status::Ok();
  }

  // Filter probes in windows (one prefetched pass per window), then MultiGet of the positives.
  // With kProbedRanges the caller has verified, or is verifying, every range probed here.
  Status LookupUnchecked(std::span<const NtHash> hashes, std::vector<LookupResult>* out) const {
    out->assign(hashes.size(), LookupResult{});
    constexpr size_t kWindow = 4096;
    std::unique_ptr<bool[]> maybe(new bool[kWindow]);
    std::vector<rocksdb::Slice> keys;
    std::vector<size_t> where;
    std::vector<rocksdb::PinnableSlice> values;
    std::vector<rocksdb::Status> statuses;
    for (size_t base = 0; base < hashes.size(); base += kWindow) {
      size_t n = std::min(kWindow, hashes.size() - base);
      static_assert(sizeof(NtHash) == 16);
      if (index_only_) {
        std::fill_n(maybe.get(), n, true);
      } else {
        filter_->MayContainBatch(hashes[base].data(), n, maybe.get());
      }
      keys.clear();
      where.clear();
      for (size_t i = 0; i < n; ++i) {
        if (maybe[i]) {
          keys.push_back(Key(hashes[base + i]));
          where.push_back(base + i);
        }
      }
      if (keys.empty()) continue;
      values.clear();
      values.resize(keys.size());
      statuses.assign(keys.size(), rocksdb::Status());
      db_->MultiGet(rocksdb::ReadOptions(), db_->DefaultColumnFamily(), keys.size(), keys.data(),
                    values.data(), statuses.data(), /*sorted_input=*/false);
      for (size_t k = 0; k < keys.size(); ++k) {
        if (statuses[k].IsNotFound()) continue;
        if (!statuses[k].ok()) return IndexError(statuses[k]);
        CS_RETURN_IF_ERROR(Decode(values[k].ToStringView(), hashes[where[k]], &(*out)[where[k]]));
      }
    }
    return Status::Ok();
  }

  // The RocksDB key of a hash: its bucket (store_format.h, value_format 2).
  static rocksdb::Slice Key(const NtHash& h) {
    return rocksdb::Slice(reinterpret_cast<const char*>(h.data()), store::kBucketPrefixBytes);
  }

  Status IndexError(const rocksdb::Status& s) const {
    Status st = s.IsCorruption()
                    ? Status::Corruption(index_path_ + ": " + s.ToString() +
                                         "; re-import the corpus to rebuild the index")
                    : Status::IOError(index_path_ + ": " + s.ToString());
    return st;
  }

  // Finds `hash` in its bucket; a bucket without it is a filter false positive.
  Status Decode(std::string_view value, const NtHash& hash, LookupResult* r) const {
    store::BucketView bucket;
    if (!bucket.Parse(value)) return NotBucket();
    const size_t i = bucket.Find(hash.data() + store::kBucketPrefixBytes);
    if (i == bucket.size()) return Status::Ok();
    if (!bucket.Total(i, &r->count, &r->first_seen_month)) return NotBucket();
    r->found = true;
    return Status::Ok();
  }

  Status NotBucket() const {
    return Status::Corruption(index_path_ +
                              ": an index value is not a value_format 2 bucket; re-import the "
                              "corpus");
  }

  StoreInfo info_;
  std::unique_ptr<bloom::Filter> filter_;
  std::unique_ptr<internal::FilterRanges> ranges_;  // set for kProbedRanges
  std::unique_ptr<rocksdb::DB> db_;
  std::string index_path_;
  const bool index_only_;  // kIndexOnly, kBatchRanges: LookupUnchecked never reads the filter
  const bool batch_ranges_;  // kBatchRanges (ranges_ is set): LookupBatch may stream the filter
};

Result<std::unique_ptr<CorpusStore>> OpenGeneration(const std::string& dir, const Manifest& m,
                                                    const StoreOpenOptions& options);

}  // namespace

Result<std::unique_ptr<CorpusStore>> CorpusStore::Open(const std::string& dir,
                                                       const StoreOpenOptions& options) {
  CS_ASSIGN_OR_RETURN(Manifest m, store::LoadManifest(dir));
  Result<std::unique_ptr<CorpusStore>> opened = OpenGeneration(dir, m, options);
  if (opened.ok()) return opened;
  // An import may have committed generation N+1 and removed N between our reading the manifest
  // and opening N's files. If the manifest has moved on, open what it names now (once: a store
  // that keeps failing is broken, not busy).
  Result<Manifest> again = store::LoadManifest(dir);
  if (again.ok() && again->generation != m.generation) {
    return OpenGeneration(dir, *again, options);
  }
  return opened;
}

namespace {

Result<std::unique_ptr<CorpusStore>> OpenGeneration(const std::string& dir, const Manifest& m,
                                                    const StoreOpenOptions& options) {
  const std::string filter_path = store::FilterPath(dir, m.generation);
  const std::string index_path = store::IndexPath(dir, m.generation);
  const std::string manifest_path = dir + "/" + store::kManifestName;
  // Old stores (no recorded checksum, no range digests) are verified in full.
  const bool probed =
      options.filter_check == FilterCheck::kProbedRanges && !m.filter_checksum.empty();
  const bool batch_ranges =
      options.filter_check == FilterCheck::kBatchRanges && !m.filter_checksum.empty();
  const bool index_only = options.filter_check == FilterCheck::kIndexOnly ||
                          options.filter_check == FilterCheck::kBatchRanges;

  bloom::OpenOptions fo;
  fo.verify_checksum = !probed && !index_only;
  auto filter_or = bloom::Filter::Open(filter_path, fo);
  if (!filter_or.ok()) {
    const Status& s = filter_or.status();
    // The manifest names this filter, so a missing file is a broken store, not "no store".
    if (s.code() == StatusCode::kNotFound) {
      return Status::Corruption(filter_path + " is missing but " + manifest_path +
                                " names it; re-import the corpus");
    }
    return s;
  }
  std::unique_ptr<bloom::Filter> filter = std::move(filter_or).value();
  if (filter->key_type() != bloom::KeyType::kNtlm || filter->key_count() != m.keys ||
      filter->seed() != m.seed || filter->block_count() != m.filter_blocks) {
    return Status::Corruption(filter_path + " does not match " + manifest_path +
                              " (key type, key count, seed or size differ); re-import the corpus");
  }
  if (!m.filter_checksum.empty() &&
      HexEncode(filter->checksum(), bloom::kChecksumBytes) != m.filter_checksum) {
    return Status::Corruption(filter_path + " is not the filter " + manifest_path +
                              " names (its checksum differs); re-import the corpus");
  }
  std::unique_ptr<internal::FilterRanges> ranges;
  if (probed || batch_ranges) {
    const std::string ranges_path = store::FilterRangesPath(dir, m.generation);
    auto ranges_or = internal::FilterRanges::Open(ranges_path, *filter, filter_path);
    if (!ranges_or.ok()) {
      const Status& s = ranges_or.status();
      if (s.code() == StatusCode::kNotFound) {
        return Status::Corruption(ranges_path + " is missing but " + manifest_path +
                                  " names it; re-import the corpus");
      }
      return s;
    }
    ranges = std::move(ranges_or).value();
  }

  struct stat st;
  if (::stat((index_path + "/CURRENT").c_str(), &st) != 0) {
    return Status::Corruption(index_path + " is missing or not a RocksDB index but " +
                              manifest_path + " names it; re-import the corpus");
  }
  rocksdb::DB* raw = nullptr;
  const rocksdb::Options index_options =
      store::IndexOptions(index_only                                      ? store::IndexUse::kDirect
                          : probed && options.lookups == LookupVolume::kFew ? store::IndexUse::kProbe
                                                                            : store::IndexUse::kRead);
  rocksdb::Status rs = rocksdb::DB::OpenForReadOnly(index_options, index_path, &raw);
  if (!rs.ok()) {
    return Status::Corruption(index_path + ": cannot open the index (" + rs.ToString() +
                              "); re-import the corpus");
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string meta;
  rs = db->Get(rocksdb::ReadOptions(), rocksdb::Slice(store::kIndexMetaKey.data(),
                                                      store::kIndexMetaKey.size()), &meta);
  if (!rs.ok()) {
    return Status::Corruption(index_path + ": the index has no credsweep metadata (" +
                              rs.ToString() + "); re-import the corpus");
  }
  nlohmann::json mj = nlohmann::json::parse(meta, nullptr, false);
  if (mj.is_discarded() || !mj.is_object() || mj.value("generation", uint64_t{0}) != m.generation ||
      mj.value("keys", uint64_t{0}) != m.keys) {
    return Status::Corruption(index_path + " does not match " + manifest_path +
                              " (generation or key count differ); re-import the corpus");
  }

  StoreInfo info;
  info.key_type = m.key_type;
  info.keys = m.keys;
  info.generation = m.generation;
  info.bits_per_key =
      m.keys == 0 ? 0 : 512.0 * static_cast<double>(filter->block_count()) / static_cast<double>(m.keys);
  info.probes = filter->probes();
  info.expected_fpr = filter->expected_fpr();
  info.sources = m.sources;
  return std::unique_ptr<CorpusStore>(
      new CorpusStoreImpl(std::move(info), std::move(filter), std::move(ranges), std::move(db),
                          index_path, index_only, batch_ranges));
}

}  // namespace
}  // namespace credsweep
