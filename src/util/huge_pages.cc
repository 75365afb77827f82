#include "util/huge_pages.h"

#include <sys/mman.h>

#include <cstdlib>
#include <new>

namespace finefp8 {

void* alloc_maybe_huge(size_t bytes) {
  constexpr size_t kHugePage = size_t(2) << 20;
  const bool huge = bytes >= kHugePageMinBytes;
  void* p = nullptr;
  if (bytes == 0 || posix_memalign(&p, huge ? kHugePage : 64, bytes) != 0) throw std::bad_alloc();
  if (huge) ::madvise(p, bytes / kHugePage * kHugePage, MADV_HUGEPAGE);  // before the first touch
  return p;
}

}  // namespace finefp8
