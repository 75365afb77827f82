#pragma once
// Machine peaks measured in-process, for the "% of peak" columns of bench-gemm and
// bench/gemm_bench: a streaming-read bandwidth probe and register-only FMA / dot-product /
// AMX loops, each run on every thread of a pool at once, best of a few repetitions.
#include <cstddef>
#include <string>

#include "util/thread_pool.h"

namespace finefp8::bench {

// GB/s (1e9 bytes/s) of summing a `bytes`-long buffer with all threads of `pool`.
double measure_stream_gbps(ThreadPool& pool, size_t bytes = size_t(1) << 30);

// The compute unit a kernel variant runs on.
enum class PeakUnit { kFma256, kFma512, kDpBf16, kAmxBf16 };
std::string peak_unit_name(PeakUnit u);
// False where this CPU cannot run the unit.
bool peak_unit_available(PeakUnit u);
// GFLOP/s (1e9 flop/s, an FMA = 2) of register-only loops on all threads of `pool`.
double measure_peak_gflops(PeakUnit u, ThreadPool& pool);

// Per-ISA loops (files peak_<isa>.cc): run `iters` iterations, return the flops done.
double peak_loop_fma256(size_t iters);
double peak_loop_fma512(size_t iters);
double peak_loop_dpbf16(size_t iters);
double peak_loop_amx(size_t iters);

}  // namespace finefp8::bench
