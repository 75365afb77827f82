#pragma once
// Machine peaks measured in-process, for the "% of peak" columns of bench-gemm and
// bench/gemm_bench: a streaming-read bandwidth probe and register-only FMA / dot-product /
// AMX loops, each run on every thread of a pool at once, best of a few repetitions.
#include <cstddef>
#include <cstdint>
#include <string>

#include "util/thread_pool.h"

namespace finefp8::bench {

// Streaming read: each run() sums the next `chunk` bytes of a `bytes`-long buffer (cycling)
// with all threads of `pool`, so its timing statistics match a kernel that streams a
// chunk-sized weight per call from a rotation of copies.
class StreamProbe {
 public:
  StreamProbe(ThreadPool& pool, size_t bytes, size_t chunk = 0);  // chunk 0: whole buffer
  ~StreamProbe();
  void run();
  size_t bytes() const { return chunk_ * sizeof(uint64_t); }  // read per run()

 private:
  ThreadPool& pool_;
  size_t words_, chunk_, pos_ = 0;
  uint64_t* buf_;
};

// GB/s (1e9 bytes/s) of StreamProbe, best of 5.
double measure_stream_gbps(ThreadPool& pool, size_t bytes = size_t(1) << 30);

// The compute unit a kernel variant runs on.
enum class PeakUnit { kFma256, kFma512, kDpBf16, kAmxBf16 };
std::string peak_unit_name(PeakUnit u);
// False where this CPU cannot run the unit.
bool peak_unit_available(PeakUnit u);
// Runs the register-only loop of `u` for `iters` iterations on every thread of `pool`;
// returns the flops done (an FMA = 2).
double run_peak_loop(PeakUnit u, ThreadPool& pool, size_t iters);
// GFLOP/s of run_peak_loop, best of 3.
double measure_peak_gflops(PeakUnit u, ThreadPool& pool);

// Per-ISA loops (files peak_<isa>.cc): run `iters` iterations, return the flops done.
double peak_loop_fma256(size_t iters);
double peak_loop_fma512(size_t iters);
double peak_loop_dpbf16(size_t iters);
double peak_loop_amx(size_t iters);

}  // namespace finefp8::bench
