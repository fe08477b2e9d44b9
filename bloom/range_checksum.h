// The checksum of one range of a filter body (engine/store/internal/filter_ranges.h): four
// CRC-32C (Castagnoli) values over the range's four quarters, 16 bytes.
//
// Why not BLAKE2b-128 (the sidecar's version 1): the range digests guard against damage on disk
// (a flipped bit, a torn write, a block of zeros), the same job RocksDB's block checksums
// (CRC-32C) do for the index; nobody who can rewrite the filter is stopped by them, since the
// sidecar has no key. `corpus check` with 100 000 queries against 10⁸ keys touches every range,
// and BLAKE2b (~1 GB/s per core here) of the 200 MB body was half of that command's CPU. CRC-32C
// with the SSE4.2 instruction runs four independent lanes at once (the instruction's latency is
// three cycles, its throughput one), ~10 GB/s. A damaged range goes unnoticed only if each
// damaged quarter keeps its CRC: none for up to 32 flipped bits in a burst, 2⁻³² per quarter
// for random damage. The whole-body BLAKE2b-256 (import, `corpus verify`) is unchanged.
//
// CPUs without SSE4.2 get a table-driven CRC-32C giving the same values (slower, ~0.4 GB/s).
#pragma once

#include <cstddef>
#include <cstdint>

namespace credsweep::bloom {

inline constexpr size_t kRangeChecksumBytes = 16;

// CRC-32C of data[0, n) continuing from `crc` (0 to start): the iSCSI / ext4 / RocksDB CRC
// (reflected polynomial 0x82F63B78, initial and final XOR 0xFFFFFFFF). "123456789" → 0xE3069283.
uint32_t Crc32c(const uint8_t* data, size_t n, uint32_t crc = 0);

// Four CRC-32C of data[0, n): lane i covers [i·q, (i+1)·q) for i < 3 and [3q, n) for lane 3,
// with q = n / 32 · 8 (whole 8-byte words); out[4·i .. 4·i+3] is lane i's CRC, little-endian.
void RangeChecksum(const uint8_t* data, size_t n, uint8_t out[kRangeChecksumBytes]);

namespace internal {
// The two implementations, for tests; Crc32c and RangeChecksum pick one at run time.
uint32_t Crc32cPortable(const uint8_t* data, size_t n, uint32_t crc);
uint32_t Crc32cSse42(const uint8_t* data, size_t n, uint32_t crc);  // needs SSE4.2
void RangeChecksumPortable(const uint8_t* data, size_t n, uint8_t out[kRangeChecksumBytes]);
void RangeChecksumSse42(const uint8_t* data, size_t n, uint8_t out[kRangeChecksumBytes]);
bool HaveSse42();
}  // namespace internal

}  // namespace credsweep::bloom
