// Reference GEMMs against the oracle's fp32 results (tests/fixtures/quant_golden.json).
//
// Tolerance: every product a*w of two E4M3 values is exact in fp32, so the reference and
// the oracle (PyTorch's CPU matmul) differ only in fp32 summation order. For a sum of at
// most 128 terms per K block that difference is bounded by ~2 * 128 * 2^-24 of the sum of
// |terms|; we allow |y - y_oracle| <= 2^-15 * B[m, n] where
//   B[m, n] = sum_kb (sum_k |a[m,k] w[n,k]|) * a_s[m,kb] * w_s[n/bm,kb]   (+ |bias| * 2^-23)
// (the promotion steps add a few more fp32 roundings, hence 2^-15 rather than 2^-16).
#include "fp8/gemm_ref.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <vector>

#include "fixtures.h"
#include "fp8/formats.h"
#include "golden_inputs.h"

namespace finefp8 {
namespace {

using testing::fixture;
using testing::GoldenInputSpec;
using testing::make_golden_input;

struct GemmCase {
  std::vector<float> x, bias;
  std::vector<uint8_t> w_codes, a_codes;
  std::vector<float> w_scale_inv, a_scales;
  Fp8WeightView w;
  size_t m = 0;
};

GemmCase load_case(const nlohmann::json& g) {
  GemmCase c;
  const nlohmann::json* wc = nullptr;
  for (const auto& cand : fixture("quant_golden.json").at("weight_cases")) {
    if (cand.at("name") == g.at("weight_case")) wc = &cand;
  }
  EXPECT_NE(wc, nullptr);
  const GoldenInputSpec ws = GoldenInputSpec::from_json(wc->at("input"));
  const BlockShape block{ws.block_rows, ws.block_cols};
  const std::vector<float> w = make_golden_input(ws);
  c.w_codes.resize(w.size());
  c.w_scale_inv.resize(scale_grid(ws.rows, ws.cols, block).size());
  quantize_weight_blocks({w.data(), WeightView::DType::kF32, ws.rows, ws.cols}, block,
                         ScaleRecipe::kTransformers, c.w_codes, c.w_scale_inv);
  c.w = {c.w_codes, c.w_scale_inv, ws.rows, ws.cols, block};

  const auto& a = g.at("activation_input");
  c.m = g.at("m");
  c.x = make_golden_input({.rows = c.m, .cols = ws.cols, .seed = a.at("seed"),
                           .exp_lo = a.at("exp_lo"), .exp_hi = a.at("exp_hi"),
                           .mant_bits = a.at("mant_bits")});
  for (size_t i = 0; i < std::min<size_t>(ws.cols, 128); ++i) c.x[i] = 0.0f;
  if (!g.at("bias_input").is_null()) {
    const auto& b = g.at("bias_input");
    c.bias = make_golden_input({.rows = 1, .cols = ws.rows, .seed = b.at("seed"),
                                .exp_lo = b.at("exp_lo"), .exp_hi = b.at("exp_hi")});
  }
  c.a_codes.resize(c.x.size());
  c.a_scales.resize(c.m * act_groups(ws.cols, block.cols));
  quantize_activations_dynamic(c.x, c.m, ws.cols, ActQuantRecipe::transformers(), c.a_codes,
                               c.a_scales);
  return c;
}

// B[m, n] of the header comment, in double.
double abs_bound(const GemmCase& c, size_t i, size_t j) {
  const size_t k = c.w.k, bk = c.w.block.cols, kb_count = act_groups(k, int(bk));
  const size_t grid_cols = scale_grid(c.w.n, k, c.w.block).cols;
  double total = 0;
  for (size_t kb = 0; kb < kb_count; ++kb) {
    double s = 0;
    for (size_t kk = kb * bk; kk < std::min(k, (kb + 1) * bk); ++kk) {
      s += std::fabs(double(e4m3_to_f32(c.a_codes[i * k + kk])) * e4m3_to_f32(c.w_codes[j * k + kk]));
    }
    total += s * c.a_scales[i * kb_count + kb] * c.w_scale_inv[(j / c.w.block.rows) * grid_cols + kb];
  }
  return total;
}

TEST(GemmRef, W8A8MatchesOracleWithinSummationOrderTolerance) {
  for (const auto& g : fixture("quant_golden.json").at("gemm_cases")) {
    SCOPED_TRACE(g.at("weight_case").get<std::string>());
    const GemmCase c = load_case(g);
    std::vector<float> y(c.m * c.w.n);
    gemm_w8a8_ref(c.a_codes, c.a_scales, c.m, c.w, c.bias, OutDType::kF32, y);
    const auto& want = g.at("w8a8_f32_bits");
    ASSERT_EQ(want.size(), y.size());
    for (size_t i = 0; i < c.m; ++i) {
      for (size_t j = 0; j < c.w.n; ++j) {
        const float o = std::bit_cast<float>(want[i * c.w.n + j].get<int32_t>());
        const double tol = 0x1p-15 * abs_bound(c, i, j) +
                           (c.bias.empty() ? 0.0 : 0x1p-23 * std::fabs(c.bias[j]));
        ASSERT_LE(std::fabs(double(y[i * c.w.n + j]) - o), tol) << "at [" << i << ", " << j << "]";
      }
    }
  }
}

TEST(GemmRef, W8A16MatchesOracleWithinOneBf16Rounding) {
  for (const auto& g : fixture("quant_golden.json").at("gemm_cases")) {
    SCOPED_TRACE(g.at("weight_case").get<std::string>());
    const GemmCase c = load_case(g);
    std::vector<float> y(c.m * c.w.n);
    gemm_w8a16_ref(c.x, c.m, c.w, {}, OutDType::kBF16, y);
    const auto& want = g.at("w8a16_f32_bits");
    for (size_t i = 0; i < y.size(); ++i) {
      const float o = std::bit_cast<float>(want[i].get<int32_t>());
      // bf16 output: half an ulp of bf16 (2^-8 relative) plus the summation-order slack.
      double sum_abs = 0;
      const size_t row = i / c.w.n, col = i % c.w.n;
      for (size_t kk = 0; kk < c.w.k; ++kk) {
        sum_abs += std::fabs(double(c.x[row * c.w.k + kk])) * 448.0 *
                   c.w.scale_inv[(col / c.w.block.rows) * scale_grid(c.w.n, c.w.k, c.w.block).cols +
                                 kk / c.w.block.cols];
      }
      ASSERT_LE(std::fabs(double(y[i]) - o), std::fabs(o) * 0x1p-8 + 0x1p-20 * sum_abs) << i;
      EXPECT_EQ(y[i], round_to(OutDType::kBF16, y[i]));
    }
  }
}

TEST(GemmRef, BiasIsAddedAfterTheCastToOutputDtype) {
  // One weight block: w = 1 everywhere (scale_inv = 1/448 * ... chosen exact), x = 1.
  const size_t k = 4;
  std::vector<uint8_t> w_codes(k, e4m3_from_f32(1.0f));
  std::vector<float> w_s = {1.0f};
  const Fp8WeightView w{w_codes, w_s, 1, k, {128, 128}};
  std::vector<uint8_t> a_codes(k, e4m3_from_f32(1.0f));
  // partial = 4; acc = 4 * a_s; choose a_s so acc is not a bf16 value: 4 * (1 + 2^-10).
  std::vector<float> a_s = {1.0f + 0x1p-10f};
  const std::vector<float> bias = {0x1p-9f};
  std::vector<float> y(1);
  gemm_w8a8_ref(a_codes, a_s, 1, w, bias, OutDType::kBF16, y);
  // cast first: 4.0039 -> bf16 4.0; then + 2^-9 -> 4.00195 -> bf16 4.0 (tie to even). Adding
  // the bias before the cast would give 4.0059 -> 4.03125.
  EXPECT_EQ(y[0], 4.0f);
  gemm_w8a8_ref(a_codes, a_s, 1, w, bias, OutDType::kF32, y);
  EXPECT_EQ(y[0], 4.0f * (1.0f + 0x1p-10f) + 0x1p-9f);
}

TEST(GemmRef, ZeroActivationGroupContributesNothing) {
  const size_t k = 256;
  std::vector<uint8_t> w_codes(k, e4m3_from_f32(2.0f));
  std::vector<float> w_s = {1.0f, 1.0f};
  const Fp8WeightView w{w_codes, w_s, 1, k, {128, 128}};
  std::vector<float> x(k, 0.0f);
  for (size_t i = 128; i < k; ++i) x[i] = 1.0f;
  std::vector<uint8_t> a_codes(k);
  std::vector<float> a_s(2);
  quantize_activations_dynamic(x, 1, k, {}, a_codes, a_s);
  std::vector<float> y(1);
  gemm_w8a8_ref(a_codes, a_s, 1, w, {}, OutDType::kF32, y);
  EXPECT_EQ(y[0], 256.0f);
}

}  // namespace
}  // namespace finefp8
