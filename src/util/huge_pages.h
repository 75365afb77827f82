#pragma once
// Allocation of large read-mostly buffers (packed weights, the benchmark's probe and baseline
// buffers) on transparent huge pages. Decode streams every weight byte once per token; with
// 4 KiB pages that is one TLB miss per 4 KiB, which cost 10-30% of DRAM bandwidth on large
// matrices (Sapphire Rapids, THP in "madvise" mode).
#include <cstddef>

namespace finefp8 {

// Buffers of at least this many bytes get huge pages.
inline constexpr size_t kHugePageMinBytes = size_t(4) << 20;

// `bytes` (> 0) of uninitialised memory, 64-byte aligned; from kHugePageMinBytes on, 2 MiB
// aligned with madvise(MADV_HUGEPAGE) (a hint: the kernel may still use small pages).
// Release with std::free. Throws std::bad_alloc.
void* alloc_maybe_huge(size_t bytes);

}  // namespace finefp8
