// The quantization row kernels of every tier this machine runs equal the scalar reference:
// all fp32 values near every E4M3 rounding boundary, specials, both scale directions.
#include "cpu/quantize_e4m3.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <random>
#include <vector>

#include "fp8/formats.h"

namespace finefp8::cpu {
namespace {

std::vector<float> tricky_inputs() {
  std::vector<float> v = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, -NAN, 448.0f, 464.0f, 465.0f,
                          1e30f, -1e30f, 0x1p-6f, 0x1p-7f, 0x1p-9f, 0x1p-10f, 3 * 0x1p-10f,
                          0x1p-149f, -0x1p-149f, 0x1p-126f, 0x1.fffffep127f};
  // Every E4M3 value and its midpoints with the neighbours, +-1 ulp.
  for (int c = 0; c < 126; ++c) {
    const float a = e4m3_to_f32(uint8_t(c)), b = e4m3_to_f32(uint8_t(c + 1));
    for (float m : {a, (a + b) / 2}) {
      for (float x : {m, std::nextafter(m, 0.0f), std::nextafter(m, INFINITY)}) {
        v.push_back(x);
        v.push_back(-x);
      }
    }
  }
  std::mt19937 rng(7);
  std::uniform_int_distribution<uint32_t> bits;
  for (int i = 0; i < 20000; ++i) v.push_back(std::bit_cast<float>(bits(rng)));
  return v;
}

class QuantizeRowTiers : public ::testing::TestWithParam<Isa> {};

TEST_P(QuantizeRowTiers, EqualTheScalarReference) {
  if (!isa_supported(GetParam())) GTEST_SKIP() << "this CPU lacks " << isa_name(GetParam());
  const QuantizeRowKernels& k = quantize_row_kernels_for(GetParam());
  const std::vector<float> x = tricky_inputs();
  for (float scale : {1.0f, 0.75f, 448.0f / 3.0f, 3.4028235e38f, 1e-30f}) {
    for (bool divide : {false, true}) {
      std::vector<uint8_t> want(x.size()), got(x.size(), 0xAA);
      encode_e4m3_row_scalar(x.data(), x.size(), scale, divide, want.data());
      k.encode_e4m3_row(x.data(), x.size(), scale, divide, got.data());
      for (size_t i = 0; i < x.size(); ++i) {
        ASSERT_EQ(got[i], want[i]) << "x " << x[i] << " scale " << scale << " divide " << divide;
      }
    }
  }
  for (size_t n : {0, 1, 7, 8, 15, 16, 17, 100}) {
    for (size_t off = 0; off + n <= x.size(); off += 997) {
      EXPECT_EQ(k.max_abs_bits_row(x.data() + off, n), max_abs_bits_row_scalar(x.data() + off, n));
      std::vector<uint8_t> want(n + 1, 0x55), got(n + 1, 0x55);
      encode_e4m3_row_scalar(x.data() + off, n, 2.0f, false, want.data());
      k.encode_e4m3_row(x.data() + off, n, 2.0f, false, got.data());
      ASSERT_EQ(got, want) << "n " << n;  // also: nothing written past n
    }
  }
}

TEST_P(QuantizeRowTiers, ErrorSumsAgreeWithTheScalarReference) {
  if (!isa_supported(GetParam())) GTEST_SKIP() << "this CPU lacks " << isa_name(GetParam());
  const QuantizeRowKernels& k = quantize_row_kernels_for(GetParam());
  std::mt19937 rng(3);
  std::normal_distribution<float> d(0.0f, 0.02f);
  for (size_t n : {0, 1, 9, 16, 100, 128, 1000}) {
    std::vector<float> x(n);
    for (float& v : x) v = d(rng);
    std::vector<uint8_t> q(n);
    const float scale = 448.0f / 0.08f;
    encode_e4m3_row_scalar(x.data(), n, scale, false, q.data());
    double want[3] = {0, 0, 0}, got[3] = {0, 0, 0};
    error_sums_row_scalar(q.data(), x.data(), n, 1.0f / scale, want);
    k.error_sums_row(q.data(), x.data(), n, 1.0f / scale, got);
    EXPECT_NEAR(got[0], want[0], 1e-5 * want[0] + 1e-30) << n;  // summation order only
    EXPECT_NEAR(got[1], want[1], 1e-5 * want[1] + 1e-30) << n;
    EXPECT_EQ(got[2], want[2]) << n;  // max is exact
  }
}

INSTANTIATE_TEST_SUITE_P(AllTiers, QuantizeRowTiers,
                         ::testing::Values(Isa::kScalar, Isa::kAvx2, Isa::kAvx512),
                         [](const auto& info) { return std::string(isa_name(info.param)); });

}  // namespace
}  // namespace finefp8::cpu
