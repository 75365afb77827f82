// Register-only FMA loop, AVX2 (built with -march=haswell; reached through dispatch).
#include <immintrin.h>

#include "bench/peak_probe.h"

namespace finefp8::bench {

double peak_loop_fma256(size_t iters) {
  __m256 a[12];
  for (int i = 0; i < 12; ++i) a[i] = _mm256_set1_ps(float(i));
  const __m256 x = _mm256_set1_ps(0.999f), y = _mm256_set1_ps(1e-4f);
  for (size_t it = 0; it < iters; ++it) {
    for (int i = 0; i < 12; ++i) a[i] = _mm256_fmadd_ps(a[i], x, y);
    __asm__ volatile("" : "+x"(a[0]), "+x"(a[1]), "+x"(a[2]), "+x"(a[3]), "+x"(a[4]), "+x"(a[5]));
  }
  volatile float sink = 0;
  for (int i = 0; i < 12; ++i) sink = sink + _mm256_cvtss_f32(a[i]);
  return double(iters) * 12 * 8 * 2;
}

}  // namespace finefp8::bench
