// Built with -march=skylake-avx512 only (CMake finefp8_isa_sources); reached through dispatch.
#include <immintrin.h>

#include "cpu/convert_e4m3.h"

namespace finefp8::cpu {
namespace {

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

}  // namespace

void e4m3_to_f32_row_avx512(const uint8_t* codes, float* out, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(codes + i));
    _mm512_storeu_ps(out + i, decode16(_mm512_cvtepu8_epi32(bytes)));
  }
  if (i < n) {
    const __mmask16 tail = __mmask16((1u << (n - i)) - 1u);
    const __m128i bytes = _mm_maskz_loadu_epi8(tail, codes + i);
    _mm512_mask_storeu_ps(out + i, tail, decode16(_mm512_cvtepu8_epi32(bytes)));
  }
}

}  // namespace finefp8::cpu
