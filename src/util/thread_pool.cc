#include "util/thread_pool.h"

#include <immintrin.h>

#include <chrono>

#include "util/parallel.h"

namespace finefp8 {

namespace {
// How long an idle worker polls for the next section before it sleeps. Decode runs a
// section every few tens of microseconds; a futex wake-up costs about as much again.
constexpr auto kSpinTime = std::chrono::microseconds(200);
// Chunks per thread in a section: more than one, so that a thread slowed by other work on its
// core hands the rest of its share to the others (claiming a chunk is one atomic exchange).
constexpr size_t kChunksPerThread = 4;
}  // namespace

ThreadPool::ThreadPool(int threads) {
  const int total = resolve_threads(threads);
  errors_.resize(size_t(total) * kChunksPerThread);
  for (int i = 1; i < total; ++i) workers_.emplace_back([this] { worker_loop(); });
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

void ThreadPool::run_chunk(size_t index, size_t chunks) {
  try {
    (*fn_)(n_ * index / chunks, n_ * (index + 1) / chunks);
  } catch (...) {
    errors_[index] = std::current_exception();
  }
}

// The claim word: section << 32 | chunks << 16 | next chunk index. A claim checks the section
// and the count in the same word it exchanges, so a thread still looking at an older section
// can never take a chunk of the newer one while the caller is setting it up.
bool ThreadPool::claim(uint32_t section, size_t* index, size_t* chunks) {
  uint64_t s = claim_.load(std::memory_order_acquire);
  for (;;) {
    const size_t count = size_t((s >> 16) & 0xFFFFu), next = size_t(s & 0xFFFFu);
    if (uint32_t(s >> 32) != section || next >= count) return false;
    if (claim_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_acquire)) {
      *index = next;
      *chunks = count;
      return true;
    }
  }
}

void ThreadPool::work_on(uint32_t section) {
  size_t index, chunks;
  while (claim(section, &index, &chunks)) {
    run_chunk(index, chunks);
    if (finished_.fetch_add(1, std::memory_order_acq_rel) + 1 == chunks) {
      std::lock_guard lock(mutex_);
      done_.notify_one();
    }
  }
}

void ThreadPool::worker_loop() {
  uint32_t seen = 0;
  for (;;) {
    // Spin, then sleep, until a new section starts.
    const auto spin_until = std::chrono::steady_clock::now() + kSpinTime;
    uint32_t gen = generation_.load(std::memory_order_acquire);
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
    work_on(gen);
  }
}

void ThreadPool::parallel_for(size_t n, const std::function<void(size_t, size_t)>& fn) {
  if (n == 0) return;
  bool expected = false;
  if (workers_.empty() || n == 1 || !busy_.compare_exchange_strong(expected, true)) {
    fn(0, n);  // single thread, or nested inside a running section: run inline
    return;
  }
  const size_t chunks = std::min({n, size_t(size()) * kChunksPerThread, size_t(0xFFFF)});
  fn_ = &fn;
  n_ = n;
  for (auto& e : errors_) e = nullptr;
  finished_.store(0, std::memory_order_relaxed);
  const uint32_t section = generation_.load(std::memory_order_relaxed) + 1;
  claim_.store(uint64_t(section) << 32 | uint64_t(chunks) << 16, std::memory_order_release);
  {
    std::lock_guard lock(mutex_);
    generation_.store(section, std::memory_order_release);
  }
  wake_.notify_all();
  work_on(section);
  // Wait for chunks workers still run: spin first, they usually finish with the caller.
  const auto spin_until = std::chrono::steady_clock::now() + kSpinTime;
  while (finished_.load(std::memory_order_acquire) != chunks &&
         std::chrono::steady_clock::now() < spin_until) {
    _mm_pause();
  }
  if (finished_.load(std::memory_order_acquire) != chunks) {
    std::unique_lock lock(mutex_);
    done_.wait(lock, [&] { return finished_.load(std::memory_order_acquire) == chunks; });
  }
  fn_ = nullptr;
  busy_.store(false, std::memory_order_release);
  for (auto& e : errors_) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace finefp8
