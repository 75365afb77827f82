#include "fp8/act_quant.h"

#include <algorithm>
#include <cmath>

#include "fp8/formats.h"
#include "util/error.h"

namespace finefp8 {
namespace {
void check_finite(std::span<const float> x, size_t k) {
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i])) {
      fail("cannot quantize activations: element [{}, {}] is {}", i / k, i % k, x[i]);
    }
  }
}
}  // namespace

void quantize_activations_dynamic(std::span<const float> x, size_t m, size_t k,
                                  const ActQuantRecipe& recipe, std::span<uint8_t> codes,
                                  std::span<float> scales) {
  const size_t groups = act_groups(k, recipe.group);
  FINEFP8_ASSERT(x.size() == m * k && codes.size() == m * k && scales.size() == m * groups);
  check_finite(x, k);
  for (size_t row = 0; row < m; ++row) {
    for (size_t g = 0; g < groups; ++g) {
      const size_t k0 = g * recipe.group, k1 = std::min(k, k0 + recipe.group);
      float amax = 0.0f;
      for (size_t i = k0; i < k1; ++i) amax = std::max(amax, std::fabs(x[row * k + i]));
      float s = std::max(amax, recipe.amax_floor) / kE4M3Max;
      if (recipe.pow2_scale) s = ue8m0_to_f32(ue8m0_from_f32_ceil(s));
      const float divisor = std::max(s, recipe.div_eps);
      for (size_t i = k0; i < k1; ++i) codes[row * k + i] = e4m3_from_f32(x[row * k + i] / divisor);
      scales[row * groups + g] = s;
    }
  }
}

void quantize_activations_static(std::span<const float> x, size_t m, size_t k, int group,
                                 float scale, std::span<uint8_t> codes, std::span<float> scales) {
  const size_t groups = act_groups(k, group);
  FINEFP8_ASSERT(x.size() == m * k && codes.size() == m * k && scales.size() == m * groups);
  if (!(scale > 0.0f) || !std::isfinite(scale)) {
    fail("static activation scale must be a positive finite number, got {}", scale);
  }
  check_finite(x, k);
  for (size_t i = 0; i < m * k; ++i) codes[i] = e4m3_from_f32(x[i] / scale);
  std::fill(scales.begin(), scales.end(), scale);
}

}  // namespace finefp8
