#pragma once
// 16-bit floats as raw bits: bfloat16 and IEEE binary16, with exact widening to fp32 and
// round-to-nearest-even narrowing (the behaviour of PyTorch's and ml_dtypes' casts).
#include <bit>
#include <cstdint>

namespace finefp8 {

struct bf16 {
  uint16_t bits;
};
struct fp16 {
  uint16_t bits;
};
static_assert(sizeof(bf16) == 2 && sizeof(fp16) == 2);

// Exact.
inline float bf16_to_f32(bf16 x) { return std::bit_cast<float>(uint32_t{x.bits} << 16); }

// Round to nearest even; NaN stays NaN (quiet, sign kept); overflow goes to inf.
inline bf16 bf16_from_f32(float x) {
  uint32_t u = std::bit_cast<uint32_t>(x);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return bf16{uint16_t((u >> 16) | 0x0040u)};
  u += 0x7FFFu + ((u >> 16) & 1u);
  return bf16{uint16_t(u >> 16)};
}

// Exact (fp16 subnormals become fp32 normals).
inline float fp16_to_f32(fp16 x) {
  const uint32_t sign = uint32_t(x.bits & 0x8000u) << 16;
  const uint32_t exp = (x.bits >> 10) & 0x1Fu;
  const uint32_t mant = x.bits & 0x3FFu;
  if (exp == 0x1F) return std::bit_cast<float>(sign | 0x7F800000u | (mant << 13));
  if (exp == 0) {
    // mant * 2^-24, exact in fp32.
    const float magnitude = float(mant) * 0x1p-24f;
    return std::bit_cast<float>(sign | std::bit_cast<uint32_t>(magnitude));
  }
  return std::bit_cast<float>(sign | ((exp + 112u) << 23) | (mant << 13));
}

// Round to nearest even; overflow goes to inf; NaN stays NaN.
inline fp16 fp16_from_f32(float x) {
  const uint32_t u = std::bit_cast<uint32_t>(x);
  const uint16_t sign = uint16_t((u >> 16) & 0x8000u);
  const uint32_t a = u & 0x7FFFFFFFu;
  if (a > 0x7F800000u) return fp16{uint16_t(sign | 0x7E00u | ((a >> 13) & 0x3FFu))};
  if (a >= 0x477FF000u) return fp16{uint16_t(sign | 0x7C00u)};  // >= 65520 rounds to inf
  if (a < 0x38800000u) {
    // Below 2^-14: subnormal result, step 2^-24. x * 2^24 < 2^10 is exact; rounding to an
    // integer with the default (nearest-even) mode gives the subnormal code directly.
    const float scaled = std::bit_cast<float>(a) * 0x1p24f;
    const float magic = 0x1p23f;  // forces rounding to an integer at 2^23
    return fp16{uint16_t(sign | uint16_t(std::bit_cast<uint32_t>(scaled + magic) - 0x4B000000u))};
  }
  const uint32_t rounded = a + 0xFFFu + ((a >> 13) & 1u);
  return fp16{uint16_t(sign | uint16_t((rounded >> 13) - (112u << 10)))};
}

}  // namespace finefp8
