// Built with -march=skylake-avx512 only (CMake finefp8_isa_sources); reached through dispatch.
#include <immintrin.h>

#include "cpu/e4m3_decode_avx512.h"
#include "cpu/quantize_e4m3.h"

namespace finefp8::cpu {
namespace {

// e4m3_from_f32 on 16 lanes (src/fp8/formats.cc): clamp |x| to 448, round to nearest even;
// integer rounding for normal results, a float->int conversion (MXCSR default: nearest even)
// of |x| * 2^9 for subnormal ones; NaN -> 0x7F with the sign.
inline __m128i encode16(__m512 x) {
  const __m512i bits = _mm512_castps_si512(x);
  const __m512i sign = _mm512_and_si512(_mm512_srli_epi32(bits, 24), _mm512_set1_epi32(0x80));
  __m512i a = _mm512_and_si512(bits, _mm512_set1_epi32(0x7FFFFFFF));
  const __mmask16 nan = _mm512_cmpgt_epu32_mask(a, _mm512_set1_epi32(0x7F800000));
  a = _mm512_min_epu32(a, _mm512_set1_epi32(0x43E00000));  // 448.0f
  const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(a, 20), _mm512_set1_epi32(1));
  const __m512i rounded = _mm512_add_epi32(a, _mm512_add_epi32(_mm512_set1_epi32(0x7FFFF), lsb));
  __m512i code = _mm512_sub_epi32(_mm512_srli_epi32(rounded, 20), _mm512_set1_epi32(120 << 3));
  const __mmask16 sub = _mm512_cmplt_epu32_mask(a, _mm512_set1_epi32(0x3C800000));  // 2^-6
  const __m512i sub_code =
      _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_castsi512_ps(a), _mm512_set1_ps(512.0f)));
  code = _mm512_mask_mov_epi32(code, sub, sub_code);
  code = _mm512_mask_mov_epi32(code, nan, _mm512_set1_epi32(0x7F));
  return _mm512_cvtepi32_epi8(_mm512_or_si512(code, sign));
}

}  // namespace

uint32_t max_abs_bits_row_avx512(const float* x, size_t n) {
  __m512i m = _mm512_setzero_si512();
  const __m512i mask = _mm512_set1_epi32(0x7FFFFFFF);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    m = _mm512_max_epu32(m, _mm512_and_si512(_mm512_loadu_si512(x + i), mask));
  }
  if (i < n) {
    const __mmask16 tail = __mmask16((1u << (n - i)) - 1u);
    m = _mm512_max_epu32(m, _mm512_and_si512(_mm512_maskz_loadu_epi32(tail, x + i), mask));
  }
  alignas(64) uint32_t lanes[16];  // (GCC 12 warns falsely inside _mm512_reduce_max_epu32)
  _mm512_store_si512(lanes, m);
  uint32_t r = 0;
  for (uint32_t v : lanes) r = v > r ? v : r;
  return r;
}

void encode_e4m3_row_avx512(const float* x, size_t n, float scale, bool divide, uint8_t* out) {
  const __m512 s = _mm512_set1_ps(scale);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_loadu_ps(x + i);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i),
                     encode16(divide ? _mm512_div_ps(v, s) : _mm512_mul_ps(v, s)));
  }
  if (i < n) {
    const __mmask16 tail = __mmask16((1u << (n - i)) - 1u);
    const __m512 v = _mm512_maskz_loadu_ps(tail, x + i);
    _mm_mask_storeu_epi8(out + i, tail, encode16(divide ? _mm512_div_ps(v, s) : _mm512_mul_ps(v, s)));
  }
}

void error_sums_row_avx512(const uint8_t* q, const float* x, size_t n, float scale_inv,
                          double sums[3]) {
  const __m512 s = _mm512_set1_ps(scale_inv);
  const __m512 abs_mask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7FFFFFFF));
  __m512 err2 = _mm512_setzero_ps(), ref2 = _mm512_setzero_ps(), max_abs = _mm512_setzero_ps();
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (n - i)) - 1u);
    const __m512 xv = _mm512_maskz_loadu_ps(m, x + i);
    const __m512 d = avx512_detail::decode16(_mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, q + i)));
    const __m512 e = _mm512_maskz_sub_ps(m, _mm512_mul_ps(d, s), xv);
    err2 = _mm512_fmadd_ps(e, e, err2);
    ref2 = _mm512_fmadd_ps(xv, xv, ref2);
    max_abs = _mm512_max_ps(max_abs, _mm512_and_ps(e, abs_mask));
  }
  alignas(64) float a[16], b[16], c[16];
  _mm512_store_ps(a, err2);
  _mm512_store_ps(b, ref2);
  _mm512_store_ps(c, max_abs);
  for (int k = 0; k < 16; ++k) {
    sums[0] += a[k];
    sums[1] += b[k];
    sums[2] = sums[2] > c[k] ? sums[2] : c[k];
  }
}

}  // namespace finefp8::cpu
