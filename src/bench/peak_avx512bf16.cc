// Register-only vdpbf16ps loop (built with AVX512_BF16 flags; reached through dispatch).
#include <immintrin.h>

#include "bench/peak_probe.h"

namespace finefp8::bench {

double peak_loop_dpbf16(size_t iters) {
  const __m512i one = _mm512_set1_epi16(0x3F80);  // bf16 1.0
  const __m512bh x = reinterpret_cast<const __m512bh&>(one);
  __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0,
         a9 = a0, a10 = a0, a11 = a0;
  for (size_t it = 0; it < iters; ++it) {
    a0 = _mm512_dpbf16_ps(a0, x, x);
    a1 = _mm512_dpbf16_ps(a1, x, x);
    a2 = _mm512_dpbf16_ps(a2, x, x);
    a3 = _mm512_dpbf16_ps(a3, x, x);
    a4 = _mm512_dpbf16_ps(a4, x, x);
    a5 = _mm512_dpbf16_ps(a5, x, x);
    a6 = _mm512_dpbf16_ps(a6, x, x);
    a7 = _mm512_dpbf16_ps(a7, x, x);
    a8 = _mm512_dpbf16_ps(a8, x, x);
    a9 = _mm512_dpbf16_ps(a9, x, x);
    a10 = _mm512_dpbf16_ps(a10, x, x);
    a11 = _mm512_dpbf16_ps(a11, x, x);
  }
  const __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                                 _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)),
                                               _mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11))));
  volatile float sink = _mm512_reduce_add_ps(s);
  (void)sink;
  return double(iters) * 12 * 32 * 2;  // 16 lanes x 2 products, 2 flops each
}

}  // namespace finefp8::bench
