#include "fp8/formats.h"

#include <bit>
#include <cmath>

namespace finefp8 {
namespace {

// Magnitude code (no sign bit) of finite |x| = `a` (fp32 bits, sign cleared) rounded to
// nearest even in a binary format with `mbits` mantissa bits and exponent bias `bias`.
// Results past the format's largest finite value are returned as is (the caller decides
// between saturation, inf and NaN), as are the codes at and beyond the all-ones exponent.
uint32_t round_magnitude(uint32_t a, int mbits, int bias) {
  const int min_normal_exp = 1 - bias;                 // e.g. -6 for E4M3
  const uint32_t min_normal_bits = uint32_t(min_normal_exp + 127) << 23;
  if (a < min_normal_bits) {
    // Subnormal (or zero) result: step 2^(min_normal_exp - mbits). Scaling by a power of
    // two is exact and leaves a value < 2^mbits; adding 2^23 rounds it to an integer with
    // the default round-to-nearest-even mode.
    const float scaled = std::ldexp(std::bit_cast<float>(a), mbits - min_normal_exp);
    return std::bit_cast<uint32_t>(scaled + 0x1p23f) - 0x4B000000u;
  }
  const int drop = 23 - mbits;
  const uint32_t lsb = (a >> drop) & 1u;
  const uint32_t rounded = a + ((1u << (drop - 1)) - 1u) + lsb;
  return (rounded >> drop) - (uint32_t(127 - bias) << mbits);
}

uint32_t sign_bit8(uint32_t u) { return (u >> 24) & 0x80u; }

}  // namespace

float e4m3_to_f32(uint8_t code) {
  const float sign = (code & 0x80) ? -1.0f : 1.0f;
  const int exp = (code >> 3) & 0xF;
  const int mant = code & 0x7;
  if ((code & 0x7F) == 0x7F) return std::copysign(NAN, sign);
  if (exp == 0) return sign * std::ldexp(float(mant), -9);
  return sign * std::ldexp(1.0f + float(mant) / 8.0f, exp - 7);
}

uint8_t e4m3_from_f32(float x) {
  const uint32_t u = std::bit_cast<uint32_t>(x);
  const uint32_t a = u & 0x7FFFFFFFu;
  if (a > 0x7F800000u) return uint8_t(sign_bit8(u) | kE4M3NaN);
  if (a >= std::bit_cast<uint32_t>(kE4M3Max)) return uint8_t(sign_bit8(u) | 0x7E);
  return uint8_t(sign_bit8(u) | round_magnitude(a, 3, 7));
}

uint8_t e4m3_from_f32_nonsat(float x) {
  const uint32_t u = std::bit_cast<uint32_t>(x);
  const uint32_t a = u & 0x7FFFFFFFu;
  if (a >= 0x7F800000u) return uint8_t(sign_bit8(u) | kE4M3NaN);
  const uint32_t m = round_magnitude(a, 3, 7);
  return uint8_t(sign_bit8(u) | (m > 0x7E ? kE4M3NaN : m));
}

float e5m2_to_f32(uint8_t code) {
  const float sign = (code & 0x80) ? -1.0f : 1.0f;
  const int exp = (code >> 2) & 0x1F;
  const int mant = code & 0x3;
  if (exp == 0x1F) return mant == 0 ? sign * INFINITY : std::copysign(NAN, sign);
  if (exp == 0) return sign * std::ldexp(float(mant), -16);
  return sign * std::ldexp(1.0f + float(mant) / 4.0f, exp - 15);
}

uint8_t e5m2_from_f32(float x) {
  const uint32_t u = std::bit_cast<uint32_t>(x);
  const uint32_t a = u & 0x7FFFFFFFu;
  if (a > 0x7F800000u) return uint8_t(sign_bit8(u) | 0x7E);
  if (a == 0x7F800000u) return uint8_t(sign_bit8(u) | 0x7C);
  const uint32_t m = round_magnitude(a, 2, 15);
  return uint8_t(sign_bit8(u) | (m > 0x7C ? 0x7C : m));
}

uint8_t e5m2_from_f32_sat(float x) {
  const uint32_t u = std::bit_cast<uint32_t>(x);
  const uint32_t a = u & 0x7FFFFFFFu;
  if (a > 0x7F800000u) return uint8_t(sign_bit8(u) | 0x7E);
  if (a >= std::bit_cast<uint32_t>(kE5M2Max)) return uint8_t(sign_bit8(u) | 0x7B);
  return uint8_t(sign_bit8(u) | round_magnitude(a, 2, 15));
}

float ue8m0_to_f32(uint8_t code) {
  if (code == 0xFF) return NAN;
  return std::ldexp(1.0f, int(code) - 127);
}

uint8_t ue8m0_from_f32(float x) {
  const uint32_t u = std::bit_cast<uint32_t>(x);
  if (u >= 0x7F800000u || u == 0) return 0xFF;  // negative (sign bit set), zero, inf or NaN
  const uint32_t exp = u >> 23;
  const uint32_t mant = u & 0x7FFFFFu;
  if (exp == 0) return mant >= 0x600000u ? 1 : 0;  // subnormal: nearest of 2^-127, 2^-126
  const uint32_t b = exp + (mant >= 0x400000u ? 1u : 0u);
  return b >= 0xFF ? 0xFF : uint8_t(b);
}

uint8_t ue8m0_from_f32_ceil(float x) {
  const uint32_t u = std::bit_cast<uint32_t>(x);
  if (u >= 0x7F800000u) return 0xFF;
  const uint32_t exp = u >> 23;
  const uint32_t mant = u & 0x7FFFFFu;
  if (exp == 0) return mant > 0x400000u ? 1 : 0;  // (0, 2^-127] -> 2^-127
  const uint32_t b = exp + (mant != 0 ? 1u : 0u);
  return b >= 0xFF ? 0xFF : uint8_t(b);
}

}  // namespace finefp8
