#include "bench/peak_probe.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "cpu/cpu_features.h"
#include "util/huge_pages.h"

namespace finefp8::bench {
namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Sum of 64-bit words with 4 independent chains (vectorized by the compiler; each load is
// used once, so the loop runs at memory speed).
uint64_t sum_words(const uint64_t* p, size_t n) {
  uint64_t a = 0, b = 0, c = 0, d = 0;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    a += p[i];
    b += p[i + 1];
    c += p[i + 2];
    d += p[i + 3];
  }
  for (; i < n; ++i) a += p[i];
  return a + b + c + d;
}

}  // namespace

StreamProbe::StreamProbe(ThreadPool& pool, size_t bytes, size_t chunk)
    : pool_(pool),
      words_(bytes / sizeof(uint64_t)),
      chunk_(chunk == 0 ? words_ : std::clamp<size_t>(chunk / sizeof(uint64_t), 1, words_)),
      buf_(static_cast<uint64_t*>(alloc_maybe_huge(words_ * sizeof(uint64_t)))) {
  // First touch by the threads that read, so pages are spread as they will be used.
  pool_.parallel_for(words_, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) buf_[i] = i;
  });
}

StreamProbe::~StreamProbe() { std::free(buf_); }

void StreamProbe::run() {
  if (pos_ + chunk_ > words_) pos_ = 0;
  const uint64_t* p = buf_ + pos_;
  std::atomic<uint64_t> sink{0};
  pool_.parallel_for(chunk_, [&](size_t b, size_t e) { sink += sum_words(p + b, e - b); });
  pos_ += chunk_;
}

double measure_stream_gbps(ThreadPool& pool, size_t bytes) {
  StreamProbe probe(pool, bytes);
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    const double t0 = now();
    probe.run();
    best = std::max(best, double(probe.bytes()) / (now() - t0) / 1e9);
  }
  return best;
}

std::string peak_unit_name(PeakUnit u) {
  switch (u) {
    case PeakUnit::kFma256: return "avx2-fma32";
    case PeakUnit::kFma512: return "avx512-fma32";
    case PeakUnit::kDpBf16: return "avx512-dpbf16";
    case PeakUnit::kAmxBf16: return "amx-bf16";
  }
  return "?";
}

bool peak_unit_available(PeakUnit u) {
  const cpu::CpuFeatures& f = cpu::cpu_features();
  switch (u) {
    case PeakUnit::kFma256: return cpu::isa_supported(cpu::Isa::kAvx2);
    case PeakUnit::kFma512: return cpu::isa_supported(cpu::Isa::kAvx512);
    case PeakUnit::kDpBf16: return cpu::isa_supported(cpu::Isa::kAvx512) && f.avx512_bf16;
    case PeakUnit::kAmxBf16: return cpu::isa_supported(cpu::Isa::kAmx);
  }
  return false;
}

double run_peak_loop(PeakUnit u, ThreadPool& pool, size_t iters) {
  if (!peak_unit_available(u)) return 0;
  double (*loop)(size_t) = u == PeakUnit::kFma256   ? peak_loop_fma256
                           : u == PeakUnit::kFma512 ? peak_loop_fma512
                           : u == PeakUnit::kDpBf16 ? peak_loop_dpbf16
                                                    : peak_loop_amx;
  std::atomic<double> flops{0};
  pool.parallel_for(size_t(pool.size()), [&](size_t b, size_t e) {
    double f = 0;
    for (size_t i = b; i < e; ++i) f += loop(iters);
    double cur = flops.load();
    while (!flops.compare_exchange_weak(cur, cur + f)) {
    }
  });
  return flops.load();
}

double measure_peak_gflops(PeakUnit u, ThreadPool& pool) {
  if (!peak_unit_available(u)) return 0;
  const size_t iters = u == PeakUnit::kAmxBf16 ? 2'000'000 : 20'000'000;
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    const double t0 = now();
    const double flops = run_peak_loop(u, pool, iters);
    best = std::max(best, flops / (now() - t0) / 1e9);
  }
  return best;
}

}  // namespace finefp8::bench
