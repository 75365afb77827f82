#pragma once
// Reference (scalar, readable) GEMMs for fine-grained FP8 linears: the specification the
// fast kernels in src/cpu/ are tested against. y = x W^T (+ bias), W is [n, k].
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "fp8/act_quant.h"
#include "fp8/float16.h"
#include "fp8/block_quant.h"

namespace finefp8 {

// An FP8 weight as stored in a checkpoint: codes [n, k] E4M3 and scale_inv
// [ceil(n / block.rows), ceil(k / block.cols)] fp32 dequantization multipliers.
struct Fp8WeightView {
  std::span<const uint8_t> codes;
  std::span<const float> scale_inv;
  size_t n = 0;
  size_t k = 0;
  BlockShape block;
};

// The dtype the output is cast to (the activation dtype in transformers). Outputs are
// returned as fp32 values; with kBF16 each is rounded to bf16 (nearest even) first.
enum class OutDType { kF32, kBF16 };

// W8A8 (docs/fp8-format.md section 4):
//   y[m, n] = sum over K blocks kb of (sum_{k in kb} a[m,k] * w[n,k]) * a_s[m,kb] * w_s[n/bm,kb]
// with the inner sum in fp32 in increasing k, the block partial promoted into an fp32
// accumulator after every block as (partial * a_s) * w_s, then the cast to `out_dtype`, then
// the bias added in `out_dtype`. The activation group size must equal w.block.cols.
// a_codes [m, k], a_scales [m, ceil(k / w.block.cols)], bias [n] or empty, out [m, n].
void gemm_w8a8_ref(std::span<const uint8_t> a_codes, std::span<const float> a_scales,
                   size_t m, const Fp8WeightView& w, std::span<const float> bias,
                   OutDType out_dtype, std::span<float> out);

// W8A16 (DeepSeek's default `gemm_impl = "bf16"`): each weight is dequantized to the
// activation dtype, code * scale_inv rounded to `act_dtype`; then y = x W^T summed in fp32
// in increasing k, cast to `act_dtype`, bias added in `act_dtype`. x [m, k] holds values of
// `act_dtype` (bf16 values stored as fp32 when act_dtype is kBF16).
void gemm_w8a16_ref(std::span<const float> x, size_t m, const Fp8WeightView& w,
                    std::span<const float> bias, OutDType act_dtype, std::span<float> out);

// Rounds to the output dtype: identity for kF32, nearest-even bf16 for kBF16.
inline float round_to(OutDType dtype, float v) {
  return dtype == OutDType::kBF16 ? bf16_to_f32(bf16_from_f32(v)) : v;
}

}  // namespace finefp8
