#pragma once
// One GEMM shape on one kernel tier, timed beside the bf16 baselines (oneDNN's matmul where
// built, and finefp8's own bf16 dense_linear on the same tier), with the machine peaks
// measured in the same process. Used by `finefp8 bench-gemm` and bench/gemm_bench.cc.
#include <cstddef>
#include <string>

#include "cpu/linear.h"

namespace finefp8::bench {

struct GemmBenchConfig {
  size_t m = 1, n = 4096, k = 4096;
  cpu::Fp8Mode mode = cpu::Fp8Mode::kW8A8;
  // auto | ref | avx2 | avx512 | avx512-fma (AVX-512 without the BF16 variant) | amx
  std::string tier = "auto";
  int threads = 0;            // 0: all hardware threads
  double min_seconds = 0.5;   // timing budget per measured kernel
  bool probe_peaks = true;
  bool onednn = true;         // time the oneDNN baseline where built
  // Rotate every kernel through copies of its weight totalling >= cold_bytes, so that each
  // call streams its weight from DRAM as in a forward pass (the 32 MiB L3 of a small server
  // would otherwise hold a 4096 x 4096 FP8 weight). 0: one copy (cache-warm).
  size_t cold_bytes = size_t(256) << 20;
};

struct MachinePeaks {
  double stream_gbps = 0;       // streaming read, all threads
  std::string compute_unit;     // the unit of the tier's kernel (peak_probe.h)
  double compute_gflops = 0;    // its register-only peak, all threads
};

struct GemmBenchResult {
  GemmBenchConfig cfg;
  int threads = 0;
  size_t copies = 1, bf16_copies = 1;  // weight copies rotated (see cold_bytes)
  std::string tier, kernel;       // resolved tier and kernel variant
  double seconds = 0;             // best time of one fp8_linear call
  double gflops = 0;              // 2 m n k / seconds
  double weight_gbps = 0;         // checkpoint weight bytes (codes + scales) / seconds
  double own_bf16_gflops = 0;     // finefp8 dense_linear, bf16 weights, same tier
  double onednn_gflops = 0;       // 0 when not built / not run
  std::string baseline;           // what bf16_gflops is
  double bf16_gflops = 0;         // the baseline: oneDNN where available, else our own
  double ratio_vs_bf16 = 0;       // gflops / bf16_gflops
  double ratio_vs_own_bf16 = 0;   // gflops / own_bf16_gflops
  MachinePeaks peaks;
  double pct_stream = 0;          // weight_gbps / stream_gbps, percent
  double pct_compute = 0;         // gflops / compute_gflops, percent
};

// Throws Error for an unknown or unsupported tier.
GemmBenchResult run_gemm_bench(const GemmBenchConfig& cfg);


// One JSON object (one line).
std::string to_json(const GemmBenchResult& r);

}  // namespace finefp8::bench
