// Register-only vdpbf16ps loop (built with AVX512_BF16 flags; reached through dispatch).
#include <immintrin.h>

#include "bench/peak_probe.h"

namespace finefp8::bench {

double peak_loop_dpbf16(size_t iters) {
  __m512 a[16];
  for (int i = 0; i < 16; ++i) a[i] = _mm512_set1_ps(float(i));
  const __m512i one = _mm512_set1_epi16(0x3F80);  // bf16 1.0
  const __m512bh x = reinterpret_cast<const __m512bh&>(one);
  for (size_t it = 0; it < iters; ++it) {
    for (int i = 0; i < 16; ++i) a[i] = _mm512_dpbf16_ps(a[i], x, x);
    __asm__ volatile("" : "+v"(a[0]), "+v"(a[1]), "+v"(a[2]), "+v"(a[3]), "+v"(a[4]), "+v"(a[5]));
  }
  volatile float sink = 0;
  for (int i = 0; i < 16; ++i) sink = sink + _mm512_cvtss_f32(a[i]);
  return double(iters) * 16 * 32 * 2;  // 16 lanes x 2 products, 2 flops each
}

}  // namespace finefp8::bench
