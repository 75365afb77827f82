#pragma once
// ThreadPool: a fixed set of worker threads for the hot loops of inference (kernels,
// attention), so a forward pass never creates threads. Workers spin briefly before
// sleeping, because decode issues hundreds of short parallel sections per token.
// Chunks are claimed, not assigned: the caller runs every chunk no worker has started, so a
// worker the OS has not scheduled yet (a busy machine) delays nothing.
//
// Contract: one parallel section at a time per pool; a section started from inside another
// (fn calling parallel_for on the same pool) runs inline on the calling thread, so callers
// never oversubscribe the machine.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace finefp8 {

class ThreadPool {
 public:
  // `threads` workers in all, the calling thread included; 0 = all hardware threads.
  explicit ThreadPool(int threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return int(workers_.size()) + 1; }

  // Splits [0, n) into 4 x size() contiguous chunks (fewer if n is small) and runs
  // fn(begin, end) for each, on whichever threads claim them first (the caller included). Returns when all are done; the
  // first exception thrown by any chunk is rethrown here.
  void parallel_for(size_t n, const std::function<void(size_t begin, size_t end)>& fn);

 private:
  void worker_loop();
  void run_chunk(size_t index, size_t chunks);
  // Claims the next chunk of section `section` (and its chunk count); false when it has none
  // left or is over.
  bool claim(uint32_t section, size_t* index, size_t* chunks);
  // Runs claimed chunks of `section` until none is left.
  void work_on(uint32_t section);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  std::atomic<uint32_t> generation_{0};  // the newest section (wakes workers)
  std::atomic<uint64_t> claim_{0};       // section << 32 | chunks << 16 | next chunk index
  std::atomic<size_t> finished_{0};      // chunks of the newest section done
  std::atomic<bool> busy_{false};
  bool stop_ = false;
  // The current section (stable while any of its chunks runs).
  const std::function<void(size_t, size_t)>* fn_ = nullptr;
  size_t n_ = 0;
  std::vector<std::exception_ptr> errors_;
};

// Runs fn(begin, end) over [0, n) on `pool`, or inline on the caller when pool is null.
inline void parallel_for(ThreadPool* pool, size_t n,
                         const std::function<void(size_t begin, size_t end)>& fn) {
  if (pool) {
    pool->parallel_for(n, fn);
  } else if (n > 0) {
    fn(0, n);
  }
}

}  // namespace finefp8
