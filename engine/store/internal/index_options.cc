#include "engine/store/internal/index_options.h"

#include <rocksdb/cache.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>

namespace credsweep::store {
namespace {

// kDirect's one cache, for table index blocks and the data blocks read (index_options.h).
constexpr size_t kDirectCacheBytes = size_t{4} << 20;

}  // namespace

rocksdb::Options IndexOptions(IndexUse use) {
  rocksdb::Options o;
  o.compression = rocksdb::kNoCompression;
  o.bottommost_compression = rocksdb::kNoCompression;
  o.info_log_level = rocksdb::InfoLogLevel::ERROR_LEVEL;
  o.keep_log_file_num = 2;
  o.max_open_files = -1;
  rocksdb::BlockBasedTableOptions t;  // no filter_policy: our Bloom filter sits in front
  if (use != IndexUse::kWrite) {
    o.create_if_missing = false;
    o.paranoid_checks = true;
    o.allow_mmap_reads = true;
    t.cache_index_and_filter_blocks = false;
  }
  if (use == IndexUse::kProbe) {
    o.max_open_files = 16;
    t.no_block_cache = true;
    o.skip_checking_sst_file_sizes_on_db_open = true;
    o.skip_stats_update_on_db_open = true;
  }
  if (use == IndexUse::kDirect) {
    o.allow_mmap_reads = false;
    t.cache_index_and_filter_blocks = true;
    t.block_cache = rocksdb::NewLRUCache(kDirectCacheBytes);
  }
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  return o;
}

}  // namespace credsweep::store
