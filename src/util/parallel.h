#pragma once
// parallel_for: split [0, n) into contiguous chunks over `threads` std::threads (the calling
// thread takes the first chunk). fn(begin, end) must be safe to run concurrently on disjoint
// ranges. An exception in any chunk is rethrown in the caller after all chunks finish.
#include <algorithm>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

namespace finefp8 {

// 0 -> the number of hardware threads.
inline int resolve_threads(int threads) {
  if (threads > 0) return threads;
  return std::max(1, int(std::thread::hardware_concurrency()));
}

template <typename Fn>
void parallel_for(size_t n, int threads, Fn fn) {
  const size_t workers = std::min<size_t>(size_t(resolve_threads(threads)), n);
  if (workers <= 1) {
    if (n > 0) fn(size_t(0), n);
    return;
  }
  std::vector<std::exception_ptr> errors(workers);
  std::vector<std::thread> pool;
  auto run = [&](size_t w) {
    try {
      fn(n * w / workers, n * (w + 1) / workers);
    } catch (...) {
      errors[w] = std::current_exception();
    }
  };
  for (size_t w = 1; w < workers; ++w) pool.emplace_back(run, w);
  run(0);
  for (auto& t : pool) t.join();
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace finefp8
