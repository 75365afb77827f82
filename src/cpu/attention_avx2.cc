// attend() for AVX2 + FMA (compiled with the avx2 tier's flags; reached through attend()).
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "cpu/attention.h"

namespace finefp8::cpu::detail {

namespace {

// Lanes [0, left) set (left clamped to 8), for vmaskmovps.
__m256i tail_mask(size_t left) {
  const int l = int(std::min<size_t>(left, 8));
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(l), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// e^x for x <= 0 (softmax arguments): x = n ln2 + r, |r| <= ln2/2, e^r by a degree-6
// polynomial (Cephes expf coefficients), times 2^n built in the exponent field. x is clamped
// at -87 (e^-87 ~ 1.6e-38: nothing next to the maximum's e^0 = 1).
__m256 exp_nonpositive(__m256 x) {
  x = _mm256_max_ps(x, _mm256_set1_ps(-87.0f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

float dot(const float* a, const float* b, size_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
  }
  for (; i < n; i += 8) {
    const __m256i m = tail_mask(n - i);
    acc0 = _mm256_fmadd_ps(_mm256_maskload_ps(a + i, m), _mm256_maskload_ps(b + i, m), acc0);
  }
  return hsum(_mm256_add_ps(acc0, acc1));
}

}  // namespace

void attend_avx2(const AttendArgs& a) {
  const size_t n = a.n, hd = a.head_dim;
  float mx = -INFINITY;
  for (size_t p = 0; p < n; ++p) {
    a.scores[p] = dot(a.q, a.k + p * a.stride, hd) * a.scale;
    mx = std::max(mx, a.scores[p]);
  }
  const __m256 vmx = _mm256_set1_ps(mx);
  __m256 vsum = _mm256_setzero_ps();
  for (size_t p = 0; p < n; p += 8) {
    const __m256i m = tail_mask(n - p);
    const __m256 e = _mm256_and_ps(
        exp_nonpositive(_mm256_sub_ps(_mm256_maskload_ps(a.scores + p, m), vmx)), _mm256_castsi256_ps(m));
    _mm256_maskstore_ps(a.scores + p, m, e);
    vsum = _mm256_add_ps(vsum, e);
  }
  const __m256 inv = _mm256_set1_ps(1.0f / hsum(vsum));
  // Weighted sum of values, 32 outputs (4 registers) at a time.
  for (size_t d0 = 0; d0 < hd; d0 += 32) {
    const __m256i m0 = tail_mask(hd - d0);
    const __m256i m1 = tail_mask(hd > d0 + 8 ? hd - d0 - 8 : 0);
    const __m256i m2 = tail_mask(hd > d0 + 16 ? hd - d0 - 16 : 0);
    const __m256i m3 = tail_mask(hd > d0 + 24 ? hd - d0 - 24 : 0);
    __m256 o0 = _mm256_setzero_ps(), o1 = o0, o2 = o0, o3 = o0;
    const float* vp = a.v + d0;
    for (size_t p = 0; p < n; ++p, vp += a.stride) {
      const __m256 w = _mm256_broadcast_ss(a.scores + p);
      o0 = _mm256_fmadd_ps(w, _mm256_maskload_ps(vp, m0), o0);
      o1 = _mm256_fmadd_ps(w, _mm256_maskload_ps(vp + 8, m1), o1);
      o2 = _mm256_fmadd_ps(w, _mm256_maskload_ps(vp + 16, m2), o2);
      o3 = _mm256_fmadd_ps(w, _mm256_maskload_ps(vp + 24, m3), o3);
    }
    _mm256_maskstore_ps(a.out + d0, m0, _mm256_mul_ps(o0, inv));
    _mm256_maskstore_ps(a.out + d0 + 8, m1, _mm256_mul_ps(o1, inv));
    _mm256_maskstore_ps(a.out + d0 + 16, m2, _mm256_mul_ps(o2, inv));
    _mm256_maskstore_ps(a.out + d0 + 24, m3, _mm256_mul_ps(o3, inv));
  }
}

}  // namespace finefp8::cpu::detail
