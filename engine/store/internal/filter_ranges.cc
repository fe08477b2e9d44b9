#include "engine/store/internal/filter_ranges.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "engine/base/file_util.h"

namespace credsweep::store::internal {
namespace {

constexpr char kMagic[4] = {'C', 'S', 'F', 'R'};
constexpr uint32_t kVersionBlake2b = 1;
constexpr uint32_t kVersionCrc32c = 2;

uint32_t VersionOf(bloom::RangeDigestKind kind) {
  return kind == bloom::RangeDigestKind::kCrc32c4 ? kVersionCrc32c : kVersionBlake2b;
}
uint64_t RangeBytesOf(bloom::RangeDigestKind kind) {
  return kind == bloom::RangeDigestKind::kCrc32c4 ? kFilterRangeBytes : kFilterRangeBytesV1;
}
constexpr size_t kHeaderBytes = 64;
constexpr size_t kOffFilterChecksum = 24;

uint64_t RangeCount(const bloom::Filter& f, uint64_t range_bytes) {
  const uint64_t body = f.block_count() * bloom::kBlockBytes;
  return (body + range_bytes - 1) / range_bytes;
}

std::string Corrupt(const std::string& path, const std::string& what) {
  return path + ": " + what + "; re-import the corpus (`credsweep corpus import`) to rebuild it";
}

}  // namespace

Status VerifyFilterAndWriteRanges(const bloom::Filter& filter, const std::string& filter_path,
                                  const std::string& ranges_path, bloom::RangeDigestKind kind) {
  std::vector<uint8_t> digests;
  const uint64_t range_bytes = RangeBytesOf(kind);
  CS_RETURN_IF_ERROR(filter.VerifyBody(filter_path, range_bytes, kind, &digests));
  const uint32_t version = VersionOf(kind);
  std::string out(kHeaderBytes, '\0');
  std::memcpy(out.data(), kMagic, 4);
  const uint64_t ranges = RangeCount(filter, range_bytes);
  std::memcpy(out.data() + 4, &version, 4);
  std::memcpy(out.data() + 8, &range_bytes, 8);
  std::memcpy(out.data() + 16, &ranges, 8);
  std::memcpy(out.data() + kOffFilterChecksum, filter.checksum(), bloom::kChecksumBytes);
  out.append(reinterpret_cast<const char*>(digests.data()), digests.size());
  return WriteFileAtomic(ranges_path, out, 0644);
}

Status VerifyFilterAndRanges(const bloom::Filter& filter, const std::string& filter_path,
                             const std::string& ranges_path, uint32_t* version) {
  CS_ASSIGN_OR_RETURN(std::unique_ptr<FilterRanges> ranges,
                      FilterRanges::Open(ranges_path, filter, filter_path));
  if (version != nullptr) *version = VersionOf(ranges->kind_);
  std::vector<uint8_t> digests;
  CS_RETURN_IF_ERROR(
      filter.VerifyBody(filter_path, ranges->range_bytes_, ranges->kind_, &digests));
  if (digests.size() != ranges->ranges_ * bloom::kRangeDigestBytes ||
      std::memcmp(digests.data(), ranges->digests_, digests.size()) != 0) {
    return Status::Corruption(Corrupt(ranges_path, "a range digest does not match the filter"));
  }
  return Status::Ok();
}

Result<std::unique_ptr<FilterRanges>> FilterRanges::Open(const std::string& path,
                                                         const bloom::Filter& filter,
                                                         const std::string& filter_path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound(path + ": no filter range digests");
    return Status::FromErrno("cannot open " + path, errno);
  }
  struct CloseOnExit {
    int fd;
    ~CloseOnExit() { ::close(fd); }
  } close_on_exit{fd};  // a mapping outlives the descriptor it was made from
  struct stat st;
  if (::fstat(fd, &st) != 0) return Status::FromErrno("cannot stat " + path, errno);
  // The header first: its version says how big the ranges, and so the file, must be.
  uint8_t h[kHeaderBytes];
  if (!S_ISREG(st.st_mode) || static_cast<uint64_t>(st.st_size) < kHeaderBytes ||
      ::pread(fd, h, kHeaderBytes, 0) != static_cast<ssize_t>(kHeaderBytes)) {
    return Status::Corruption(Corrupt(path, "size " + std::to_string(st.st_size) +
                                                " bytes, too short for " + filter_path));
  }
  uint32_t version;
  uint64_t range_bytes, count;
  std::memcpy(&version, h + 4, 4);
  std::memcpy(&range_bytes, h + 8, 8);
  std::memcpy(&count, h + 16, 8);
  const bool known = version == kVersionCrc32c || version == kVersionBlake2b;
  const bloom::RangeDigestKind kind =
      version == kVersionCrc32c ? bloom::RangeDigestKind::kCrc32c4
                                : bloom::RangeDigestKind::kBlake2b128;
  if (std::memcmp(h, kMagic, 4) != 0 || !known || range_bytes != RangeBytesOf(kind) ||
      count != RangeCount(filter, range_bytes)) {
    return Status::Corruption(Corrupt(path, "bad header (magic, version or range layout)"));
  }
  if (std::memcmp(h + kOffFilterChecksum, filter.checksum(), bloom::kChecksumBytes) != 0) {
    return Status::Corruption(Corrupt(path, "belongs to a different filter than " + filter_path));
  }
  const uint64_t want = kHeaderBytes + count * bloom::kRangeDigestBytes;
  if (static_cast<uint64_t>(st.st_size) != want) {
    return Status::Corruption(Corrupt(path, "size " + std::to_string(st.st_size) + " bytes, " +
                                                std::to_string(want) + " expected for " +
                                                filter_path));
  }
  void* p = ::mmap(nullptr, static_cast<size_t>(want), PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return Status::FromErrno("cannot mmap " + path, errno);
  std::unique_ptr<FilterRanges> r(new FilterRanges());
  r->map_ = p;
  r->map_bytes_ = static_cast<size_t>(want);
  r->filter_ = &filter;
  r->filter_path_ = filter_path;
  r->range_bytes_ = range_bytes;
  r->kind_ = kind;
  r->ranges_ = count;
  r->digests_ = static_cast<const uint8_t*>(p) + kHeaderBytes;
  r->verified_.reset(new std::atomic<uint8_t>[count]());
  return r;
}

FilterRanges::~FilterRanges() {
  if (map_ != nullptr) ::munmap(map_, map_bytes_);
}

Status FilterRanges::CheckRange(uint64_t range) const {
  if (range >= ranges_) {
    return Status::Internal(filter_path_ + ": range " + std::to_string(range) +
                            " is past the filter's end");
  }
  if (verified_[range].load(std::memory_order_acquire) != 0) return Status::Ok();
  uint8_t digest[bloom::kRangeDigestBytes];
  filter_->RangeDigest(range, range_bytes_, kind_, digest);
  // Public data (a digest of public breach data): a plain comparison, not a constant-time one.
  if (std::memcmp(digest, digests_ + range * bloom::kRangeDigestBytes,
                  bloom::kRangeDigestBytes) != 0) {
    return Status::Corruption(Corrupt(filter_path_, "range " + std::to_string(range) +
                                                        " of the filter body does not match its "
                                                        "digest (damaged)"));
  }
  verified_[range].store(1, std::memory_order_release);
  return Status::Ok();
}

void FilterRanges::ReleaseDigests(uint64_t first, uint64_t end) const {
  end = std::min(end, ranges_);
  if (first >= end) return;
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  const uint64_t from = (kHeaderBytes + first * bloom::kRangeDigestBytes + page - 1) / page * page;
  const uint64_t to = (kHeaderBytes + end * bloom::kRangeDigestBytes) / page * page;
  if (from >= to) return;
  ::madvise(static_cast<uint8_t*>(map_) + from, static_cast<size_t>(to - from), MADV_DONTNEED);
}

}  // namespace credsweep::store::internal
