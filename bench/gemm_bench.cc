// FP8 linear (src/cpu/linear.h) over the shapes of real models, each tier beside the bf16
// baselines run in the same process (oneDNN's matmul where built, and finefp8's own bf16
// path on the same tier), with this machine's streaming-read and compute peaks measured by
// the benchmark itself (src/bench/gemm_bench.h). One iteration per benchmark: the driver
// does its own interleaved best-of timing; read the counters, not the iteration time.
//   build/bench/finefp8_gemm_bench --benchmark_filter='Fp8Gemm/llama3_8b_qkv/M:1/'
//   build/bench/finefp8_gemm_bench --benchmark_filter='/tier:avx512$'
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "bench/gemm_bench.h"
#include "cpu/cpu_features.h"
#include "util/error.h"

namespace finefp8::bench {
namespace {

struct Shape {
  const char* name;
  size_t n, k;
};

// [n, k] = [out_features, in_features].
const std::vector<Shape>& shapes() {
  static const std::vector<Shape> s = {
      {"llama3_8b_qkv", 4096, 4096},     {"llama3_8b_up", 14336, 4096},   {"llama3_8b_down", 4096, 14336},
      {"qwen3_06b_up", 3072, 1024},      {"smollm2_up", 1536, 576},       {"deepseek_v3_qa", 7168, 2112},
      {"deepseek_v3_kv_a", 576, 7168},   {"deepseek_v3_q_b", 24576, 1536}, {"deepseek_v3_down", 7168, 18432},
  };
  return s;
}

const char* const kTiers[] = {"auto", "avx2", "avx512-fma", "avx512", "amx"};

void BM_Fp8Gemm(benchmark::State& state, Shape shape, size_t m, std::string tier, cpu::Fp8Mode mode) {
  GemmBenchConfig cfg;
  cfg.m = m;
  cfg.n = shape.n;
  cfg.k = shape.k;
  cfg.mode = mode;
  cfg.tier = tier;
  cfg.min_seconds = m >= 512 ? 1.0 : 0.5;
  GemmBenchResult r;
  try {
    r = run_gemm_bench(cfg);
  } catch (const Error& e) {
    state.SkipWithError(e.what());
    return;
  }
  for (auto _ : state) state.SetIterationTime(r.seconds);
  state.counters["gflops"] = r.gflops;
  state.counters["weight_gbps"] = r.weight_gbps;
  state.counters["bf16_gflops"] = r.bf16_gflops;
  state.counters["ratio_vs_bf16"] = r.ratio_vs_bf16;
  state.counters["own_bf16_gflops"] = r.own_bf16_gflops;
  state.counters["ratio_vs_own_bf16"] = r.ratio_vs_own_bf16;
  state.counters["pct_stream"] = r.pct_stream;
  state.counters["pct_peak"] = r.pct_compute;
  state.counters["stream_gbps"] = r.peaks.stream_gbps;
  state.counters["peak_gflops"] = r.peaks.compute_gflops;
  state.SetLabel(r.kernel + " vs " + r.baseline);
}

int register_all() {
  for (const Shape& s : shapes()) {
    for (size_t m : {1, 4, 16, 128, 512, 2048}) {
      for (const char* tier : kTiers) {
        for (cpu::Fp8Mode mode : {cpu::Fp8Mode::kW8A8, cpu::Fp8Mode::kW8A16}) {
          const std::string name = std::string("Fp8Gemm/") + s.name + "/M:" + std::to_string(m) + "/" +
                                   (mode == cpu::Fp8Mode::kW8A8 ? "w8a8" : "w8a16") + "/tier:" + tier;
          benchmark::RegisterBenchmark(name.c_str(), BM_Fp8Gemm, s, m, std::string(tier), mode)
              ->Iterations(1)
              ->UseManualTime()
              ->Unit(benchmark::kMicrosecond);
        }
      }
    }
  }
  return 0;
}
const int registered = register_all();

}  // namespace
}  // namespace finefp8::bench

BENCHMARK_MAIN();
