// Activation quantization: golden codes/scales (transformers-newest formula in PyTorch, see
// tools/fixtures/gen_quant_golden.py) and the edge cases of docs/fp8-format.md section 3.
#include "fp8/act_quant.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "fixtures.h"
#include "fp8/formats.h"
#include "golden_inputs.h"
#include "util/error.h"

namespace finefp8 {
namespace {

using testing::fixture;

TEST(ActQuant, GoldenCodesAndScalesIdenticalToOracle) {
  for (const auto& g : fixture("quant_golden.json").at("gemm_cases")) {
    SCOPED_TRACE(g.at("weight_case").get<std::string>());
    const auto& a = g.at("activation_input");
    testing::GoldenInputSpec spec{.rows = a.at("rows"), .cols = a.at("cols"), .seed = a.at("seed"),
                                  .exp_lo = a.at("exp_lo"), .exp_hi = a.at("exp_hi"),
                                  .mant_bits = a.at("mant_bits")};
    std::vector<float> x = make_golden_input(spec);
    for (size_t i = 0; i < std::min<size_t>(spec.cols, 128); ++i) x[i] = 0.0f;
    const size_t groups = act_groups(spec.cols, 128);
    std::vector<uint8_t> codes(x.size());
    std::vector<float> scales(spec.rows * groups);
    quantize_activations_dynamic(x, spec.rows, spec.cols, ActQuantRecipe::transformers(), codes,
                                 scales);
    EXPECT_EQ(testing::sha256_of<uint8_t>(codes), g.at("act_codes_sha256"));
    EXPECT_EQ(testing::sha256_of<float>(scales), g.at("act_scales_sha256"));
    EXPECT_EQ(scales[0], 0.0f);  // the zero group stores s = 0
  }
}

TEST(ActQuant, PartialLastGroupUsesItsOwnAmax) {
  std::vector<float> x(130, 1.0f);
  x[129] = 0.5f;
  x[128] = -0.25f;
  std::vector<uint8_t> codes(130);
  std::vector<float> scales(2);
  quantize_activations_dynamic(x, 1, 130, {}, codes, scales);
  EXPECT_EQ(scales[0], 1.0f / 448.0f);
  EXPECT_EQ(scales[1], 0.5f / 448.0f);
  EXPECT_EQ(e4m3_to_f32(codes[129]), 448.0f);
  EXPECT_EQ(e4m3_to_f32(codes[128]), -224.0f);
}

TEST(ActQuant, ZeroGroupIsSafeAndTinyGroupUsesDivisorFloor) {
  std::vector<float> x(256, 0.0f);
  x[200] = 1e-20f;  // s = 2.2e-23 < 1e-12: divide by 1e-12, code saturates at 448 only if big
  std::vector<uint8_t> codes(256);
  std::vector<float> scales(2);
  quantize_activations_dynamic(x, 1, 256, ActQuantRecipe::transformers(), codes, scales);
  EXPECT_EQ(scales[0], 0.0f);
  for (int i = 0; i < 128; ++i) EXPECT_EQ(codes[i], 0);
  EXPECT_EQ(scales[1], 1e-20f / 448.0f);
  EXPECT_EQ(codes[200], e4m3_from_f32(1e-20f / 1e-12f));
}

TEST(ActQuant, DeepSeekRecipeFloorsAmaxAndRoundsScaleToPowerOfTwo) {
  std::vector<float> x(128, 0.0f);
  x[3] = 3.0f;
  std::vector<uint8_t> codes(128);
  std::vector<float> scales(1);
  quantize_activations_dynamic(x, 1, 128, ActQuantRecipe::deepseek(true), codes, scales);
  EXPECT_EQ(scales[0], 0x1p-7f);  // 3/448 = 0.0067 -> 2^-7 = 0.0078
  EXPECT_EQ(codes[3], e4m3_from_f32(3.0f / 0x1p-7f));
  std::fill(x.begin(), x.end(), 0.0f);
  quantize_activations_dynamic(x, 1, 128, ActQuantRecipe::deepseek(false), codes, scales);
  EXPECT_EQ(scales[0], 1e-4f / 448.0f);
}

TEST(ActQuant, StaticSchemeClampsAndFillsScales) {
  const std::vector<float> x = {1.0f, -1000.0f, 0.5f};
  std::vector<uint8_t> codes(3);
  std::vector<float> scales(1);
  quantize_activations_static(x, 1, 3, 128, 0.5f, codes, scales);
  EXPECT_EQ(e4m3_to_f32(codes[0]), 2.0f);
  EXPECT_EQ(e4m3_to_f32(codes[1]), -448.0f);
  EXPECT_EQ(scales[0], 0.5f);
  EXPECT_THROW(quantize_activations_static(x, 1, 3, 128, 0.0f, codes, scales), Error);
  EXPECT_THROW(quantize_activations_static(x, 1, 3, 128, NAN, codes, scales), Error);
}

TEST(ActQuant, NaNActivationIsAnErrorNamingTheElement) {
  std::vector<float> x(2 * 5, 1.0f);
  x[7] = NAN;
  std::vector<uint8_t> codes(10);
  std::vector<float> scales(2);
  try {
    quantize_activations_dynamic(x, 2, 5, {}, codes, scales);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[1, 2]"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace finefp8
