// Every instruction-set tier this machine can run gives exactly the scalar reference.
#include "cpu/convert_e4m3.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <vector>

namespace finefp8::cpu {
namespace {

class E4m3RowTiers : public ::testing::TestWithParam<Isa> {};

TEST_P(E4m3RowTiers, MatchesScalarForAllCodesAndLengths) {
  if (!isa_supported(GetParam())) GTEST_SKIP() << "this CPU lacks " << isa_name(GetParam());
  const E4m3ToF32RowFn fn = e4m3_to_f32_row_for(GetParam());
  std::vector<uint8_t> codes(256 * 3 + 37);
  for (size_t i = 0; i < codes.size(); ++i) codes[i] = uint8_t(i * 7 + i / 256);
  for (size_t n : {size_t(0), size_t(1), size_t(7), size_t(8), size_t(15), size_t(16),
                   size_t(17), size_t(255), codes.size()}) {
    std::vector<float> want(n + 1, -1.0f), got(n + 1, -1.0f);
    e4m3_to_f32_row_scalar(codes.data(), want.data(), n);
    fn(codes.data(), got.data(), n);
    for (size_t i = 0; i <= n; ++i) {
      ASSERT_EQ(std::bit_cast<uint32_t>(got[i]) & (std::isnan(want[i]) ? 0x80000000u : ~0u),
                std::bit_cast<uint32_t>(want[i]) & (std::isnan(want[i]) ? 0x80000000u : ~0u))
          << "n " << n << " i " << i << " code " << int(i < n ? codes[i] : 0);
      if (std::isnan(want[i])) {
        ASSERT_TRUE(std::isnan(got[i]));
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllTiers, E4m3RowTiers,
                         ::testing::Values(Isa::kScalar, Isa::kAvx2, Isa::kAvx512),
                         [](const auto& info) { return std::string(isa_name(info.param)); });

}  // namespace
}  // namespace finefp8::cpu
