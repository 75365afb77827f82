// ThreadPool: every index covered exactly once, exceptions reach the caller, nested sections
// run inline, and a section does not wait for a worker that is busy elsewhere.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "util/thread_pool.h"

namespace finefp8 {
namespace {

TEST(ThreadPool, CoversEveryIndexOnceAcrossManySections) {
  ThreadPool pool(3);
  for (size_t n : {1, 2, 3, 5, 64, 1000}) {
    for (int rep = 0; rep < 200; ++rep) {
      std::vector<std::atomic<int>> hits(n);
      pool.parallel_for(n, [&](size_t b, size_t e) {
        for (size_t i = b; i < e; ++i) hits[i].fetch_add(1);
      });
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "n " << n << " i " << i;
    }
  }
}

TEST(ThreadPool, OversubscribedSectionsOfChangingSizeStayExact) {
  // More workers than cores, so threads are preempted at every point of a section, and
  // section sizes alternate so that a thread still on an older section would see a newer
  // section's larger chunk count: no chunk may run twice, be skipped, or finish late.
  ThreadPool pool(6);
  std::vector<std::atomic<int>> hits(997);
  for (int rep = 0; rep < 20000; ++rep) {
    const size_t n = rep % 2 ? 997 : size_t(1 + rep % 5);
    pool.parallel_for(n, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) hits[i].fetch_add(1, std::memory_order_relaxed);
    });
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].exchange(0), 1) << "rep " << rep << " i " << i;
  }
}

TEST(ThreadPool, RethrowsAChunksException) {
  ThreadPool pool(2);
  EXPECT_THROW(pool.parallel_for(10, [](size_t b, size_t) {
    if (b > 0) throw std::runtime_error("chunk failed");
  }), std::runtime_error);
  // The pool is usable afterwards.
  std::atomic<size_t> sum{0};
  pool.parallel_for(10, [&](size_t b, size_t e) { sum += e - b; });
  EXPECT_EQ(sum.load(), 10u);
}

TEST(ThreadPool, NestedSectionRunsInline) {
  ThreadPool pool(2);
  std::atomic<size_t> inner{0};
  pool.parallel_for(4, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) {
      pool.parallel_for(8, [&](size_t ib, size_t ie) { inner += ie - ib; });
    }
  });
  EXPECT_EQ(inner.load(), 32u);
}

TEST(ThreadPool, CallerTakesChunksNoWorkerStarted) {
  // With every worker asleep (after the spin), sections still complete promptly: the caller
  // claims what no worker has started. 2000 tiny sections must not take seconds.
  ThreadPool pool(2);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const auto t0 = std::chrono::steady_clock::now();
  std::atomic<size_t> sum{0};
  for (int i = 0; i < 2000; ++i) pool.parallel_for(2, [&](size_t b, size_t e) { sum += e - b; });
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(sum.load(), 4000u);
  EXPECT_LT(s, 5.0);
}

}  // namespace
}  // namespace finefp8
