// The linear-layer interface (src/cpu/linear.h) against the reference GEMMs, on the scalar
// tier; tests/cpu/ adds the faster tiers against the same reference.
#include "cpu/linear.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "fp8/block_quant.h"
#include "fp8/float16.h"

namespace finefp8::cpu {
namespace {

struct RandomFp8Weight {
  std::vector<uint8_t> codes;
  std::vector<float> scale_inv;
  Fp8WeightView view;
};

RandomFp8Weight random_weight(size_t n, size_t k, BlockShape block, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> w(n * k);
  for (auto& v : w) v = u(rng);
  RandomFp8Weight r;
  const size_t nb = (n + block.rows - 1) / block.rows, kb = (k + block.cols - 1) / block.cols;
  r.codes.resize(n * k);
  r.scale_inv.resize(nb * kb);
  WeightView wv{w.data(), WeightView::DType::kF32, n, k};
  quantize_weight_blocks(wv, block, ScaleRecipe::kTransformers, r.codes, r.scale_inv);
  r.view = {r.codes, r.scale_inv, n, k, block};
  return r;
}

TEST(LinearScalar, MatchesReferenceExactly) {
  ThreadPool pool(2);
  for (size_t m : {1, 3, 17}) {
    for (auto [n, k] : std::vector<std::pair<size_t, size_t>>{{1, 1}, {130, 200}, {256, 384}}) {
      auto w = random_weight(n, k, {128, 128}, uint32_t(n * 7 + k));
      std::mt19937 rng{uint32_t(m)};
      std::uniform_real_distribution<float> u(-4.0f, 4.0f);
      std::vector<float> x(m * k), bias(n);
      for (auto& v : x) v = round_to(OutDType::kBF16, u(rng));
      for (auto& v : bias) v = round_to(OutDType::kBF16, u(rng));
      const auto packed = PackedFp8Weight::pack(w.view, Isa::kScalar);
      for (Fp8Mode mode : {Fp8Mode::kW8A8, Fp8Mode::kW8A16}) {
        std::vector<float> want(m * n), got(m * n);
        if (mode == Fp8Mode::kW8A16) {
          gemm_w8a16_ref(x, m, w.view, bias, OutDType::kBF16, want);
        } else {
          std::vector<uint8_t> ac(m * k);
          std::vector<float> as(m * act_groups(k, 128));
          quantize_activations_dynamic(x, m, k, ActQuantRecipe::transformers(), ac, as);
          gemm_w8a8_ref(ac, as, m, w.view, bias, OutDType::kBF16, want);
        }
        fp8_linear(x.data(), m, packed, bias.data(), {.mode = mode}, got.data(), &pool);
        EXPECT_EQ(want, got) << "m=" << m << " n=" << n << " k=" << k;
      }
    }
  }
}

TEST(ThreadPool, CoversRangeAndRethrows) {
  ThreadPool pool(3);
  for (size_t n : {0, 1, 2, 5, 1000}) {
    std::vector<int> hits(n, 0);
    pool.parallel_for(n, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) hits[i]++;
    });
    for (int h : hits) EXPECT_EQ(h, 1);
  }
  EXPECT_THROW(pool.parallel_for(10, [](size_t b, size_t) {
    if (b > 0) throw std::runtime_error("x");
  }), std::runtime_error);
  // Nested sections run inline.
  std::atomic<int> count{0};
  pool.parallel_for(4, [&](size_t b, size_t e) {
    pool.parallel_for(e - b, [&](size_t bb, size_t ee) { count += int(ee - bb); });
  });
  EXPECT_EQ(count.load(), 4);
}

}  // namespace
}  // namespace finefp8::cpu
