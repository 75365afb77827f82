#include "util/thread_pool.h"

#include <immintrin.h>

#include <chrono>

#include "util/parallel.h"

namespace finefp8 {

namespace {
// How long an idle worker polls for the next section before it sleeps. Decode runs a
// section every few tens of microseconds; a futex wake-up costs about as much again.
constexpr auto kSpinTime = std::chrono::microseconds(200);
}  // namespace

ThreadPool::ThreadPool(int threads) {
  const int total = resolve_threads(threads);
  errors_.resize(size_t(total));
  for (int i = 1; i < total; ++i) workers_.emplace_back([this, i] { worker_loop(size_t(i)); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::run_chunk(size_t index) {
  if (index < chunks_) {
    try {
      (*fn_)(n_ * index / chunks_, n_ * (index + 1) / chunks_);
    } catch (...) {
      errors_[index] = std::current_exception();
    }
  }
}

void ThreadPool::worker_loop(size_t index) {
  uint64_t seen = 0;
  for (;;) {
    // Spin, then sleep, until a new section starts.
    const auto spin_until = std::chrono::steady_clock::now() + kSpinTime;
    uint64_t gen = generation_.load(std::memory_order_acquire);
    while (gen == seen && std::chrono::steady_clock::now() < spin_until) {
      for (int i = 0; i < 64; ++i) _mm_pause();
      gen = generation_.load(std::memory_order_acquire);
    }
    if (gen == seen) {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
      gen = generation_.load(std::memory_order_acquire);
    }
    seen = gen;
    {
      std::lock_guard lock(mutex_);
      if (stop_) return;
    }
    run_chunk(index);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard lock(mutex_);
      done_.notify_one();
    }
  }
}

void ThreadPool::parallel_for(size_t n, const std::function<void(size_t, size_t)>& fn) {
  if (n == 0) return;
  bool expected = false;
  if (workers_.empty() || n == 1 || !busy_.compare_exchange_strong(expected, true)) {
    fn(0, n);  // single thread, or nested inside a running section: run inline
    return;
  }
  fn_ = &fn;
  n_ = n;
  chunks_ = std::min(n, size_t(size()));
  for (auto& e : errors_) e = nullptr;
  pending_.store(workers_.size(), std::memory_order_release);
  {
    std::lock_guard lock(mutex_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  run_chunk(0);
  // Wait for the workers: spin first, they usually finish together with the caller.
  const auto spin_until = std::chrono::steady_clock::now() + kSpinTime;
  while (pending_.load(std::memory_order_acquire) != 0 &&
         std::chrono::steady_clock::now() < spin_until) {
    _mm_pause();
  }
  if (pending_.load(std::memory_order_acquire) != 0) {
    std::unique_lock lock(mutex_);
    done_.wait(lock, [&] { return pending_.load(std::memory_order_acquire) == 0; });
  }
  fn_ = nullptr;
  busy_.store(false, std::memory_order_release);
  for (auto& e : errors_) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace finefp8
