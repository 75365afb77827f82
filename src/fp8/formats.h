#pragma once
// The 8-bit number formats of fine-grained FP8 checkpoints, as scalar functions: the
// specification every vectorised kernel is tested against. See docs/fp8-format.md.
//
//   E4M3FN  1 sign, 4 exponent (bias 7), 3 mantissa. No infinities; NaN = 0x7F / 0xFF.
//           Max finite 448 (0x7E), min normal 2^-6 (0x08), min subnormal 2^-9 (0x01).
//   E5M2    1 sign, 5 exponent (bias 15), 2 mantissa, IEEE-like: inf 0x7C, NaN 0x7D..0x7F.
//           Max finite 57344 (0x7B).
//   UE8M0   8-bit unsigned exponent: value 2^(b-127); 0xFF = NaN. DeepSeek V3.1+ scales.
#include <cstdint>

#include "fp8/float16.h"

namespace finefp8 {

inline constexpr float kE4M3Max = 448.0f;
inline constexpr float kE5M2Max = 57344.0f;
inline constexpr uint8_t kE4M3NaN = 0x7F;

// ---- E4M3FN ----
// Exact.
float e4m3_to_f32(uint8_t code);
// finefp8's quantizer cast: clamp to [-448, 448], then round to nearest even (so it agrees
// with PyTorch's plain cast and with the saturating Triton/CUDA casts on every non-NaN
// input). NaN maps to a NaN code with its sign; quantizers reject NaN before calling this.
uint8_t e4m3_from_f32(float x);
// PyTorch's plain `x.to(torch.float8_e4m3fn)`: round to nearest even, |x| > 464 and +-inf
// give NaN (464 itself ties to 448). For reading/compat only; quantizers use e4m3_from_f32.
uint8_t e4m3_from_f32_nonsat(float x);
inline uint8_t e4m3_from_bf16(bf16 x) { return e4m3_from_f32(bf16_to_f32(x)); }
inline uint8_t e4m3_from_fp16(fp16 x) { return e4m3_from_f32(fp16_to_f32(x)); }

// ---- E5M2 ----
float e5m2_to_f32(uint8_t code);
// PyTorch / ml_dtypes cast: round to nearest even, overflow to +-inf, NaN stays NaN.
uint8_t e5m2_from_f32(float x);
// Saturating variant: clamp to [-57344, 57344] first (inf -> max finite), NaN stays NaN.
uint8_t e5m2_from_f32_sat(float x);

// ---- UE8M0 ----
// 2^(b-127) for b < 255; NaN for 0xFF. Exact (b = 0 gives the fp32 subnormal 2^-127).
float ue8m0_to_f32(uint8_t code);
// ml_dtypes `float8_e8m0fnu` cast: nearest power of two, halfway rounds up; positive values
// below 2^-127 give 0x00; zero, negative values, inf, NaN and anything rounding past 2^127
// give 0xFF (NaN).
uint8_t ue8m0_from_f32(float x);
// DeepSeek's scale rounding (`scale_fmt: "ue8m0"`): the smallest power of two >= x, i.e.
// 2^ceil(log2 x), for finite x in [0, 2^127] (zero gives 0x00, the smallest scale);
// otherwise 0xFF.
uint8_t ue8m0_from_f32_ceil(float x);

}  // namespace finefp8
