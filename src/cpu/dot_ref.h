#pragma once
// The reference fp32 dot product of the scalar paths (RMSNorm, attention_ref): 8 interleaved
// partial sums (vectorizable without reassociation), combined pairwise.
#include <cstddef>

namespace finefp8::cpu {

inline float dot_ref(const float* a, const float* b, size_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; ++j) acc[j] += a[i + j] * b[i + j];
  }
  for (; i < n; ++i) acc[i % 8] += a[i] * b[i];
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

}  // namespace finefp8::cpu
