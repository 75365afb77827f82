// Built with -march=haswell only (CMake finefp8_isa_sources); reached through dispatch.
#include <immintrin.h>

#include "cpu/e4m3_decode_avx2.h"
#include "cpu/quantize_e4m3.h"

namespace finefp8::cpu {
namespace {

// 8 lanes of e4m3_from_f32; see quantize_e4m3_avx512.cc. Codes are left in the low byte of
// each 32-bit lane.
inline __m256i encode8(__m256 x) {
  const __m256i bits = _mm256_castps_si256(x);
  const __m256i sign = _mm256_and_si256(_mm256_srli_epi32(bits, 24), _mm256_set1_epi32(0x80));
  __m256i a = _mm256_and_si256(bits, _mm256_set1_epi32(0x7FFFFFFF));
  // Signed compares are fine: every value here is < 2^31.
  const __m256i nan = _mm256_cmpgt_epi32(a, _mm256_set1_epi32(0x7F800000));
  a = _mm256_min_epi32(a, _mm256_set1_epi32(0x43E00000));  // 448.0f
  const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(a, 20), _mm256_set1_epi32(1));
  const __m256i rounded = _mm256_add_epi32(a, _mm256_add_epi32(_mm256_set1_epi32(0x7FFFF), lsb));
  __m256i code = _mm256_sub_epi32(_mm256_srli_epi32(rounded, 20), _mm256_set1_epi32(120 << 3));
  const __m256i sub = _mm256_cmpgt_epi32(_mm256_set1_epi32(0x3C800000), a);  // a < 2^-6
  const __m256i sub_code =
      _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_castsi256_ps(a), _mm256_set1_ps(512.0f)));
  code = _mm256_blendv_epi8(code, sub_code, sub);
  code = _mm256_blendv_epi8(code, _mm256_set1_epi32(0x7F), nan);
  return _mm256_or_si256(code, sign);
}

}  // namespace

uint32_t max_abs_bits_row_avx2(const float* x, size_t n) {
  __m256i m = _mm256_setzero_si256();
  const __m256i mask = _mm256_set1_epi32(0x7FFFFFFF);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    m = _mm256_max_epu32(m, _mm256_and_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i)), mask));
  }
  alignas(32) uint32_t lanes[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), m);
  uint32_t r = max_abs_bits_row_scalar(x + i, n - i);
  for (uint32_t v : lanes) r = v > r ? v : r;
  return r;
}

void encode_e4m3_row_avx2(const float* x, size_t n, float scale, bool divide, uint8_t* out) {
  const __m256 s = _mm256_set1_ps(scale);
  // Gathers byte 0 of each 32-bit lane into the low 4 bytes of each 128-bit half.
  const __m256i shuffle = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                           0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    const __m256i packed = _mm256_shuffle_epi8(encode8(divide ? _mm256_div_ps(v, s) : _mm256_mul_ps(v, s)), shuffle);
    const uint32_t lo = uint32_t(_mm256_extract_epi32(packed, 0));
    const uint32_t hi = uint32_t(_mm256_extract_epi32(packed, 4));
    const uint64_t both = uint64_t(lo) | (uint64_t(hi) << 32);
    __builtin_memcpy(out + i, &both, 8);
  }
  encode_e4m3_row_scalar(x + i, n - i, scale, divide, out + i);
}

void error_sums_row_avx2(const uint8_t* q, const float* x, size_t n, float scale_inv,
                        double sums[3]) {
  const __m256 s = _mm256_set1_ps(scale_inv);
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
  __m256 err2 = _mm256_setzero_ps(), ref2 = _mm256_setzero_ps(), max_abs = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 xv = _mm256_loadu_ps(x + i);
    const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(q + i));
    const __m256 d = avx2_detail::decode8(_mm256_cvtepu8_epi32(bytes));
    const __m256 e = _mm256_sub_ps(_mm256_mul_ps(d, s), xv);
    err2 = _mm256_fmadd_ps(e, e, err2);
    ref2 = _mm256_fmadd_ps(xv, xv, ref2);
    max_abs = _mm256_max_ps(max_abs, _mm256_and_ps(e, abs_mask));
  }
  alignas(32) float a[8], b[8], c[8];
  _mm256_store_ps(a, err2);
  _mm256_store_ps(b, ref2);
  _mm256_store_ps(c, max_abs);
  for (int k = 0; k < 8; ++k) {
    sums[0] += a[k];
    sums[1] += b[k];
    sums[2] = sums[2] > c[k] ? sums[2] : c[k];
  }
  error_sums_row_scalar(q + i, x + i, n - i, scale_inv, sums);
}

}  // namespace finefp8::cpu
