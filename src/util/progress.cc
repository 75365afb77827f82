#include "util/progress.h"

#include <unistd.h>

#include <fmt/format.h>

namespace finefp8 {

Progress::Progress(std::string label, size_t total_items, uint64_t total_bytes, bool enabled)
    : label_(std::move(label)), total_items_(total_items), total_bytes_(total_bytes),
      enabled_(enabled), tty_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

double Progress::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::update(size_t done_items, uint64_t done_bytes, std::string_view current) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  const double t = seconds();
  const double rate = t > 0 ? double(done_bytes) / t : 0;
  const double eta = rate > 0 ? double(total_bytes_ - done_bytes) / rate : 0;
  if (tty_) {
    if (now - last_draw_ < std::chrono::milliseconds(100) && done_items < total_items_) return;
    last_draw_ = now;
    const std::string name(current.substr(0, 60));
    fmt::print(stderr, "\r\033[K{} [{:>{}}/{}] {:.2f}/{:.2f} GB  {:.2f} GB/s  ETA {:.0f}s  {}",
               label_, done_items, std::to_string(total_items_).size(), total_items_,
               double(done_bytes) / 1e9, double(total_bytes_) / 1e9, rate / 1e9, eta, name);
    std::fflush(stderr);
    return;
  }
  while (total_bytes_ > 0 && next_decile_ <= 10 &&
         done_bytes * 10 >= total_bytes_ * uint64_t(next_decile_)) {
    fmt::print(stderr, "{}: {}% ({}/{} tensors, {:.2f} GB, {:.2f} GB/s, {:.1f} s)\n", label_,
               next_decile_ * 10, done_items, total_items_, double(done_bytes) / 1e9, rate / 1e9, t);
    ++next_decile_;
  }
}

void Progress::finish() {
  if (enabled_ && tty_) fmt::print(stderr, "\r\033[K");
}

}  // namespace finefp8
