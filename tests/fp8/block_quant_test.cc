// Weight block quantization against the golden fixtures produced by transformers' own
// quantizer (tests/fixtures/quant_golden.json, tools/fixtures/gen_quant_golden.py): the
// `weight` and `weight_scale_inv` bytes must be identical.
#include "fp8/block_quant.h"

#include <gtest/gtest.h>

#include <bit>
#include <cfloat>
#include <cmath>
#include <vector>

#include "fixtures.h"
#include "fp8/formats.h"
#include "golden_inputs.h"
#include "util/error.h"

namespace finefp8 {
namespace {

using testing::fixture;
using testing::GoldenInputSpec;
using testing::sha256_of;

struct Quantized {
  std::vector<uint8_t> codes;
  std::vector<float> scale_inv;
};

Quantized quantize(const std::vector<float>& w, size_t rows, size_t cols, BlockShape block,
                   ScaleRecipe recipe) {
  Quantized q;
  q.codes.resize(rows * cols);
  q.scale_inv.resize(scale_grid(rows, cols, block).size());
  quantize_weight_blocks({w.data(), WeightView::DType::kF32, rows, cols}, block, recipe, q.codes,
                         q.scale_inv);
  return q;
}

class GoldenWeight : public ::testing::TestWithParam<int> {};

TEST_P(GoldenWeight, BytesIdenticalToTransformers) {
  const auto& c = fixture("quant_golden.json").at("weight_cases").at(GetParam());
  SCOPED_TRACE(c.at("name").get<std::string>());
  const GoldenInputSpec spec = GoldenInputSpec::from_json(c.at("input"));
  const BlockShape block{spec.block_rows, spec.block_cols};
  const std::vector<float> w = make_golden_input(spec);

  const Quantized q = quantize(w, spec.rows, spec.cols, block, ScaleRecipe::kTransformers);
  const auto& want = c.at("expected");
  if (want.contains("weight_scale_inv_bits")) {
    const auto& bits = want.at("weight_scale_inv_bits");
    ASSERT_EQ(bits.size(), q.scale_inv.size());
    for (size_t i = 0; i < bits.size(); ++i) {
      EXPECT_EQ(std::bit_cast<int32_t>(q.scale_inv[i]), bits[i].get<int32_t>()) << "block " << i;
    }
  }
  EXPECT_EQ(sha256_of<float>(q.scale_inv), want.at("weight_scale_inv_sha256"));
  EXPECT_EQ(sha256_of<uint8_t>(q.codes), want.at("weight_sha256"));
  if (!c.at("overflow_blocks").get<bool>()) {
    // Where transformers quantizes normally, finefp8's expectation is transformers' output.
    EXPECT_EQ(want.at("weight_sha256"), c.at("transformers").at("weight_sha256"));
    EXPECT_EQ(want.at("weight_scale_inv_sha256"), c.at("transformers").at("weight_scale_inv_sha256"));
  }

  std::vector<float> deq(w.size());
  dequantize_weight_blocks(q.codes, q.scale_inv, spec.rows, spec.cols, block, std::span<float>(deq));
  EXPECT_EQ(sha256_of<float>(deq), want.at("dequant_f32_sha256"));
  std::vector<bf16> deq16(w.size());
  dequantize_weight_blocks(q.codes, q.scale_inv, spec.rows, spec.cols, block, std::span<bf16>(deq16));
  EXPECT_EQ(sha256_of<bf16>(deq16), want.at("dequant_bf16_sha256"));

  const Quantized ct = quantize(w, spec.rows, spec.cols, block, ScaleRecipe::kCompressedTensors);
  EXPECT_EQ(sha256_of<uint8_t>(ct.codes), c.at("expected_compressed_tensors").at("weight_sha256"));
  EXPECT_EQ(sha256_of<float>(ct.scale_inv),
            c.at("expected_compressed_tensors").at("weight_scale_sha256"));
}

INSTANTIATE_TEST_SUITE_P(Fixtures, GoldenWeight, ::testing::Range(0, 12),
                         [](const auto& info) {
                           std::string n = fixture("quant_golden.json")
                                               .at("weight_cases").at(info.param).at("name");
                           for (char& ch : n) if (!std::isalnum(uint8_t(ch))) ch = '_';
                           return n;
                         });

TEST(BlockQuant, FixtureHasAllCases) {
  EXPECT_EQ(fixture("quant_golden.json").at("weight_cases").size(), 12u);
}

TEST(BlockQuant, TinyAmaxBlockSaturatesScaleWhereTransformersWritesNaN) {
  const auto& cases = fixture("quant_golden.json").at("weight_cases");
  for (const auto& c : cases) {
    if (c.at("name") != "tiny_amax_overflow_128x256") continue;
    // transformers: 448/amax = inf, zeros become NaN codes and weight_scale_inv 0.
    EXPECT_GT(c.at("transformers").at("nan_codes").get<int>(), 0);
    EXPECT_EQ(c.at("transformers").at("zero_scale_inv").get<int>(), 2);
    const GoldenInputSpec spec = GoldenInputSpec::from_json(c.at("input"));
    const std::vector<float> w = make_golden_input(spec);
    const Quantized q = quantize(w, spec.rows, spec.cols, {128, 128}, ScaleRecipe::kTransformers);
    for (float s : q.scale_inv) EXPECT_EQ(s, 1.0f / FLT_MAX);
    for (size_t i = 0; i < w.size(); ++i) {
      ASSERT_FALSE(std::isnan(e4m3_to_f32(q.codes[i])));
      const double back = double(e4m3_to_f32(q.codes[i])) * q.scale_inv[0];
      // amax * FLT_MAX is only ~4, so small elements land on E4M3 subnormals (step 2^-9):
      // allow the relative E4M3 error plus half a subnormal step.
      ASSERT_NEAR(back, w[i], std::fabs(w[i]) * 0.07 + 0x1p-10 * q.scale_inv[0]) << i;
    }
    return;
  }
  FAIL() << "case missing";
}

TEST(BlockQuant, ZeroBlockHasScaleOneAndZeroCodes) {
  std::vector<float> w(130 * 5, 0.0f);
  w[129 * 5] = 3.0f;  // row 129 lies in the second block row
  const Quantized q = quantize(w, 130, 5, {128, 128}, ScaleRecipe::kTransformers);
  ASSERT_EQ(q.scale_inv.size(), 2u);
  EXPECT_EQ(q.scale_inv[0], 1.0f);
  EXPECT_EQ(q.scale_inv[1], 1.0f / ((1.0f / 3.0f) * 448.0f));
  EXPECT_EQ(q.codes[129 * 5], 0x7E);
  for (size_t i = 0; i < 128 * 5; ++i) EXPECT_EQ(q.codes[i], 0);
}

TEST(BlockQuant, RaggedGridIsCeil) {
  const ScaleGrid g = scale_grid(576, 7168, {128, 128});
  EXPECT_EQ(g.rows, 5u);
  EXPECT_EQ(g.cols, 56u);
  EXPECT_EQ(scale_grid(1, 1, {128, 128}).size(), 1u);
  EXPECT_EQ(scale_grid(0, 10, {128, 128}).size(), 0u);
}

TEST(BlockQuant, NonFiniteWeightIsAnErrorNamingTensorAndElement) {
  std::vector<float> w(4 * 6, 1.0f);
  std::vector<uint8_t> codes(24);
  std::vector<float> scale_inv(1);
  w[2 * 6 + 5] = NAN;
  try {
    quantize_weight_blocks({w.data(), WeightView::DType::kF32, 4, 6}, {128, 128},
                           ScaleRecipe::kTransformers, codes, scale_inv, "model.layers.0.mlp.up_proj.weight");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model.layers.0.mlp.up_proj.weight"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("[2, 5]"), std::string::npos) << e.what();
  }
  w[2 * 6 + 5] = INFINITY;
  EXPECT_THROW(quantize_weight_blocks({w.data(), WeightView::DType::kF32, 4, 6}, {128, 128},
                                      ScaleRecipe::kTransformers, codes, scale_inv),
               Error);
}

TEST(BlockQuant, Bf16AndFp16InputsQuantizeLikeTheirFp32Values) {
  const GoldenInputSpec spec{.rows = 200, .cols = 300, .seed = 77, .exp_lo = -12, .exp_hi = 3,
                             .mant_bits = 7};
  std::vector<float> w = make_golden_input(spec);
  std::vector<bf16> w16(w.size());
  std::vector<fp16> h16(w.size());
  for (size_t i = 0; i < w.size(); ++i) {
    w16[i] = bf16_from_f32(w[i]);
    h16[i] = fp16_from_f32(w[i]);
  }
  const Quantized ref = quantize(w, 200, 300, {128, 128}, ScaleRecipe::kTransformers);
  Quantized got{std::vector<uint8_t>(w.size()), std::vector<float>(ref.scale_inv.size())};
  quantize_weight_blocks({w16.data(), WeightView::DType::kBF16, 200, 300}, {128, 128},
                         ScaleRecipe::kTransformers, got.codes, got.scale_inv);
  EXPECT_EQ(got.codes, ref.codes);
  EXPECT_EQ(got.scale_inv, ref.scale_inv);
  std::vector<float> via_fp16(w.size());
  for (size_t i = 0; i < w.size(); ++i) via_fp16[i] = fp16_to_f32(h16[i]);
  const Quantized ref16 = quantize(via_fp16, 200, 300, {128, 128}, ScaleRecipe::kTransformers);
  quantize_weight_blocks({h16.data(), WeightView::DType::kF16, 200, 300}, {128, 128},
                         ScaleRecipe::kTransformers, got.codes, got.scale_inv);
  EXPECT_EQ(got.codes, ref16.codes);
  EXPECT_EQ(got.scale_inv, ref16.scale_inv);
}

}  // namespace
}  // namespace finefp8

namespace finefp8::testing {
namespace {
TEST(GoldenInputs, SplitMixMatchesThePythonTwin) {
  // Pinned in tests/python/test_fixtures_live.py as well.
  EXPECT_EQ(splitmix64(0), 0xE220A8397B1DCDAFull);
}
}  // namespace
}  // namespace finefp8::testing
