#pragma once
// Progress of a long job on stderr. On a terminal: one line redrawn at most 10 times a
// second: "[ 12/259]  1.20/5.59 GB  1.05 GB/s  ETA 4s  model.layers.3.mlp.up_proj.weight".
// Otherwise: a plain line at every 10% of the bytes. Thread-compatible (one caller).
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace finefp8 {

class Progress {
 public:
  Progress(std::string label, size_t total_items, uint64_t total_bytes, bool enabled = true);
  void update(size_t done_items, uint64_t done_bytes, std::string_view current);
  void finish();  // clears the terminal line
  double seconds() const;

 private:
  std::string label_;
  size_t total_items_;
  uint64_t total_bytes_;
  bool enabled_, tty_;
  int next_decile_ = 1;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace finefp8
