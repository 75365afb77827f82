// attend() for AVX-512F (compiled with the avx512 tier's flags; reached through attend()).
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "cpu/attention.h"

namespace finefp8::cpu::detail {

namespace {

__mmask16 tail_mask(size_t left) { return left >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << left) - 1); }

// e^x for x <= 0 (softmax arguments): x = n ln2 + r, |r| <= ln2/2, e^r by a degree-6
// polynomial (Cephes expf coefficients), times 2^n by vscalefps (0 below e^-104).
__m512 exp_nonpositive(__m512 x) {
  x = _mm512_max_ps(x, _mm512_set1_ps(-104.0f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  return _mm512_scalef_ps(p, n);
}

float dot(const float* a, const float* b, size_t n) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), acc1);
  }
  for (; i < n; i += 16) {
    const __mmask16 m = tail_mask(n - i);
    acc0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), acc0);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

}  // namespace

void attend_avx512(const AttendArgs& a) {
  const size_t n = a.n, hd = a.head_dim;
  __m512 vmax = _mm512_set1_ps(-INFINITY);
  size_t p = 0;
  for (; p < n; ++p) a.scores[p] = dot(a.q, a.k + p * a.stride, hd) * a.scale;
  for (p = 0; p < n; p += 16) vmax = _mm512_max_ps(vmax, _mm512_mask_loadu_ps(vmax, tail_mask(n - p), a.scores + p));
  const __m512 mx = _mm512_set1_ps(_mm512_reduce_max_ps(vmax));
  __m512 vsum = _mm512_setzero_ps();
  for (p = 0; p < n; p += 16) {
    const __mmask16 m = tail_mask(n - p);
    const __m512 e = exp_nonpositive(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, a.scores + p), mx));
    _mm512_mask_storeu_ps(a.scores + p, m, e);
    vsum = _mm512_add_ps(vsum, _mm512_maskz_mov_ps(m, e));
  }
  const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(vsum));
  // Weighted sum of values, 64 outputs (4 registers) at a time.
  for (size_t d0 = 0; d0 < hd; d0 += 64) {
    const __mmask16 m0 = tail_mask(hd - d0), m1 = hd > d0 + 16 ? tail_mask(hd - d0 - 16) : 0,
                    m2 = hd > d0 + 32 ? tail_mask(hd - d0 - 32) : 0,
                    m3 = hd > d0 + 48 ? tail_mask(hd - d0 - 48) : 0;
    __m512 o0 = _mm512_setzero_ps(), o1 = o0, o2 = o0, o3 = o0;
    const float* vp = a.v + d0;
    for (p = 0; p < n; ++p, vp += a.stride) {
      const __m512 w = _mm512_set1_ps(a.scores[p]);
      o0 = _mm512_fmadd_ps(w, _mm512_maskz_loadu_ps(m0, vp), o0);
      if (m1) o1 = _mm512_fmadd_ps(w, _mm512_maskz_loadu_ps(m1, vp + 16), o1);
      if (m2) o2 = _mm512_fmadd_ps(w, _mm512_maskz_loadu_ps(m2, vp + 32), o2);
      if (m3) o3 = _mm512_fmadd_ps(w, _mm512_maskz_loadu_ps(m3, vp + 48), o3);
    }
    _mm512_mask_storeu_ps(a.out + d0, m0, _mm512_mul_ps(o0, inv));
    if (m1) _mm512_mask_storeu_ps(a.out + d0 + 16, m1, _mm512_mul_ps(o1, inv));
    if (m2) _mm512_mask_storeu_ps(a.out + d0 + 32, m2, _mm512_mul_ps(o2, inv));
    if (m3) _mm512_mask_storeu_ps(a.out + d0 + 48, m3, _mm512_mul_ps(o3, inv));
  }
}

}  // namespace finefp8::cpu::detail
