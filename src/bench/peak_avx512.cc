// Register-only FMA loop, AVX-512 (built with -march=skylake-avx512; reached through dispatch).
#include <immintrin.h>

#include "bench/peak_probe.h"

namespace finefp8::bench {

double peak_loop_fma512(size_t iters) {
  __m512 a[16];
  for (int i = 0; i < 16; ++i) a[i] = _mm512_set1_ps(float(i));
  const __m512 x = _mm512_set1_ps(0.999f), y = _mm512_set1_ps(1e-4f);
  for (size_t it = 0; it < iters; ++it) {
    for (int i = 0; i < 16; ++i) a[i] = _mm512_fmadd_ps(a[i], x, y);
    __asm__ volatile("" : "+v"(a[0]), "+v"(a[1]), "+v"(a[2]), "+v"(a[3]), "+v"(a[4]), "+v"(a[5]));
  }
  volatile float sink = 0;
  for (int i = 0; i < 16; ++i) sink = sink + _mm512_cvtss_f32(a[i]);
  return double(iters) * 16 * 16 * 2;
}

}  // namespace finefp8::bench
