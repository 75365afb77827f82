#pragma once
// Inline E4M3 -> fp32 decoding for files compiled with -march=skylake-avx512 only (include it from
// *_avx512.cc files, never from baseline code).
#include <immintrin.h>

namespace finefp8::cpu::avx512_detail {
// 16 codes (low bytes of 32-bit lanes) -> 16 exact fp32 values; see the AVX2 version.
inline __m512 decode16(__m512i v) {
  const __m512i mag = _mm512_and_si512(v, _mm512_set1_epi32(0x7F));
  const __m512i sign = _mm512_slli_epi32(_mm512_and_si512(v, _mm512_set1_epi32(0x80)), 24);
  const __m512 normal =
      _mm512_castsi512_ps(_mm512_add_epi32(_mm512_slli_epi32(mag, 20), _mm512_set1_epi32(120 << 23)));
  const __mmask16 is_sub = _mm512_cmplt_epi32_mask(mag, _mm512_set1_epi32(8));
  const __mmask16 is_nan = _mm512_cmpeq_epi32_mask(mag, _mm512_set1_epi32(0x7F));
  __m512 r = _mm512_mask_mul_ps(normal, is_sub, _mm512_cvtepi32_ps(mag), _mm512_set1_ps(0x1p-9f));
  r = _mm512_mask_mov_ps(r, is_nan, _mm512_set1_ps(__builtin_nanf("")));
  return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(r), sign));
}

}  // namespace finefp8::cpu::avx512_detail
