// Built with -march=skylake-avx512 only (CMake finefp8_isa_sources); reached through dispatch.
#include <immintrin.h>

#include "cpu/convert_e4m3.h"
#include "cpu/e4m3_decode_avx512.h"

namespace finefp8::cpu {

void e4m3_to_f32_row_avx512(const uint8_t* codes, float* out, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(codes + i));
    _mm512_storeu_ps(out + i, avx512_detail::decode16(_mm512_cvtepu8_epi32(bytes)));
  }
  if (i < n) {
    const __mmask16 tail = __mmask16((1u << (n - i)) - 1u);
    const __m128i bytes = _mm_maskz_loadu_epi8(tail, codes + i);
    _mm512_mask_storeu_ps(out + i, tail, avx512_detail::decode16(_mm512_cvtepu8_epi32(bytes)));
  }
}

}  // namespace finefp8::cpu
