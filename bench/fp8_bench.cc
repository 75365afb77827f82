// Micro-benchmarks of the FP8 building blocks. Each tier of a dispatched kernel is measured
// side by side with the scalar reference in the same run; compare the ratios, not the
// absolute numbers (these machines are shared).
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "cpu/convert_e4m3.h"
#include "fp8/act_quant.h"
#include "fp8/block_quant.h"
#include "fp8/gemm_ref.h"

namespace finefp8 {
namespace {

std::vector<float> random_floats(size_t n, float stddev, uint64_t seed = 1) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> d(0.0f, stddev);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

void BM_E4m3ToF32Row(benchmark::State& state) {
  const auto isa = cpu::Isa(state.range(0));
  if (!cpu::isa_supported(isa)) {
    state.SkipWithError("instruction set not available on this CPU");
    return;
  }
  const auto fn = cpu::e4m3_to_f32_row_for(isa);
  const size_t n = 1 << 16;
  std::vector<uint8_t> codes(n);
  for (size_t i = 0; i < n; ++i) codes[i] = uint8_t(i * 13);
  std::vector<float> out(n);
  for (auto _ : state) {
    fn(codes.data(), out.data(), n);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetLabel(std::string(cpu::isa_name(isa)));
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(n));  // FP8 bytes read
}
BENCHMARK(BM_E4m3ToF32Row)->DenseRange(0, 2);

void BM_QuantizeWeightBlocksRef(benchmark::State& state) {
  const size_t rows = 1024, cols = 1024;
  const auto w = random_floats(rows * cols, 0.02f);
  std::vector<uint8_t> codes(rows * cols);
  std::vector<float> s(scale_grid(rows, cols, {}).size());
  for (auto _ : state) {
    quantize_weight_blocks({w.data(), WeightView::DType::kF32, rows, cols}, {},
                           ScaleRecipe::kTransformers, codes, s);
    benchmark::DoNotOptimize(codes.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(rows * cols * 4));
}
BENCHMARK(BM_QuantizeWeightBlocksRef);

void BM_GemmW8A8Ref(benchmark::State& state) {
  const size_t m = size_t(state.range(0)), n = 512, k = 512;
  const auto w = random_floats(n * k, 0.02f);
  std::vector<uint8_t> wq(n * k);
  std::vector<float> ws(scale_grid(n, k, {}).size());
  quantize_weight_blocks({w.data(), WeightView::DType::kF32, n, k}, {}, ScaleRecipe::kTransformers,
                         wq, ws);
  const auto x = random_floats(m * k, 1.0f, 2);
  std::vector<uint8_t> aq(m * k);
  std::vector<float> as(m * act_groups(k, 128)), y(m * n);
  quantize_activations_dynamic(x, m, k, {}, aq, as);
  const Fp8WeightView wv{wq, ws, n, k, {}};
  for (auto _ : state) {
    gemm_w8a8_ref(aq, as, m, wv, {}, OutDType::kF32, y);
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(double(2 * m * n * k) * double(state.iterations()),
                                                 benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}
BENCHMARK(BM_GemmW8A8Ref)->Arg(1)->Arg(16);

}  // namespace
}  // namespace finefp8

BENCHMARK_MAIN();
