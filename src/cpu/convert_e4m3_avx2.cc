// Built with -march=haswell only (CMake finefp8_isa_sources); reached through dispatch.
#include <immintrin.h>

#include "cpu/convert_e4m3.h"
#include "cpu/e4m3_decode_avx2.h"

namespace finefp8::cpu {

void e4m3_to_f32_row_avx2(const uint8_t* codes, float* out, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(codes + i));
    _mm256_storeu_ps(out + i, avx2_detail::decode8(_mm256_cvtepu8_epi32(bytes)));
  }
  e4m3_to_f32_row_scalar(codes + i, out + i, n - i);
}

}  // namespace finefp8::cpu
