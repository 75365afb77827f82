#pragma once
// Resident memory of this process, from /proc/self/status (0 where unavailable).
#include <cstdint>

namespace finefp8 {

struct MemoryUsage {
  uint64_t resident_bytes = 0;       // VmRSS
  uint64_t peak_resident_bytes = 0;  // VmHWM
};
MemoryUsage memory_usage();

}  // namespace finefp8
