#pragma once
// Inline E4M3 -> fp32 decoding for files compiled with -march=haswell only (include it from
// *_avx2.cc files, never from baseline code).
#include <immintrin.h>

namespace finefp8::cpu::avx2_detail {
// 8 codes (low bytes of 32-bit lanes) -> 8 exact fp32 values. Integer-only for normal
// codes (re-bias the exponent by 127 - 7 = 120), int->float for subnormals, so the result
// does not depend on the MXCSR denormals-are-zero flag.
inline __m256 decode8(__m256i v) {
  const __m256i mag = _mm256_and_si256(v, _mm256_set1_epi32(0x7F));
  const __m256i sign = _mm256_slli_epi32(_mm256_and_si256(v, _mm256_set1_epi32(0x80)), 24);
  const __m256 normal =
      _mm256_castsi256_ps(_mm256_add_epi32(_mm256_slli_epi32(mag, 20), _mm256_set1_epi32(120 << 23)));
  const __m256 subnormal = _mm256_mul_ps(_mm256_cvtepi32_ps(mag), _mm256_set1_ps(0x1p-9f));
  const __m256i is_sub = _mm256_cmpgt_epi32(_mm256_set1_epi32(8), mag);
  const __m256i is_nan = _mm256_cmpeq_epi32(mag, _mm256_set1_epi32(0x7F));
  __m256 r = _mm256_blendv_ps(normal, subnormal, _mm256_castsi256_ps(is_sub));
  r = _mm256_blendv_ps(r, _mm256_set1_ps(__builtin_nanf("")), _mm256_castsi256_ps(is_nan));
  return _mm256_or_ps(r, _mm256_castsi256_ps(sign));
}

}  // namespace finefp8::cpu::avx2_detail
