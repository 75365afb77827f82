#pragma once
// Activation quantization to FP8 E4M3 per token, in groups of `group` contiguous elements
// along K (docs/fp8-format.md section 3). Scalar reference.
#include <cstddef>
#include <cstdint>
#include <span>

namespace finefp8 {

struct ActQuantRecipe {
  int group = 128;
  // Dynamic scheme: s = max(amax, amax_floor) / 448, optionally rounded up to a power of two
  // (ue8m0); q = e4m3(clamp(x / max(s, div_eps))). The stored scale is s, so a zero group
  // has s = 0 and contributes 0.
  //   transformers newest (default): amax_floor 0, div_eps 1e-12, no pow2.
  //   DeepSeek-V3 reference:         amax_floor 1e-4, pow2 for scale_fmt "ue8m0".
  float amax_floor = 0.0f;
  float div_eps = 1e-12f;
  bool pow2_scale = false;

  static ActQuantRecipe transformers() { return {}; }
  static ActQuantRecipe deepseek(bool ue8m0) { return {128, 1e-4f, 0.0f, ue8m0}; }
};

// Number of groups per token: ceil(k / group); the last group may be partial.
inline size_t act_groups(size_t k, int group) { return (k + size_t(group) - 1) / size_t(group); }

// Dynamic quantization of x [m, k] (row-major fp32) into codes [m, k] and scales
// [m, act_groups(k)]. Throws Error if x holds NaN or inf (naming row and column).
void quantize_activations_dynamic(std::span<const float> x, size_t m, size_t k,
                                  const ActQuantRecipe& recipe, std::span<uint8_t> codes,
                                  std::span<float> scales);

// Static scheme: one per-tensor scale s > 0; q = e4m3(clamp(x / s, +-448)); every entry of
// `scales` [m, act_groups(k)] is set to s so the GEMM needs no special case.
void quantize_activations_static(std::span<const float> x, size_t m, size_t k, int group,
                                 float scale, std::span<uint8_t> codes, std::span<float> scales);

}  // namespace finefp8
