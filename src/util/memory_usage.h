#pragma once
// Resident memory of this process, from /proc/self/status (0 where unavailable).
#include <cstdint>

namespace finefp8 {

struct MemoryUsage {
  uint64_t resident_bytes = 0;       // VmRSS
  uint64_t peak_resident_bytes = 0;  // VmHWM
};
MemoryUsage memory_usage();

// Resets the peak (VmHWM) to the current resident size, so a later peak_resident_bytes covers
// only what follows (Linux >= 4.0: writes "5" to /proc/self/clear_refs). False where that is
// not possible; the peak then stays the process's.
bool reset_peak_resident();

}  // namespace finefp8
