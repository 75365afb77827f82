#include "util/memory_usage.h"

#include <fstream>
#include <sstream>
#include <string>

namespace finefp8 {

MemoryUsage memory_usage() {
  MemoryUsage m;
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream s(line);
    std::string key;
    uint64_t kb = 0;
    s >> key >> kb;
    if (key == "VmRSS:") m.resident_bytes = kb * 1024;
    if (key == "VmHWM:") m.peak_resident_bytes = kb * 1024;
  }
  return m;
}

bool reset_peak_resident() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return bool(out);
}

}  // namespace finefp8
