#include "cpu/attention.h"

#include <algorithm>
#include <cmath>

#include "cpu/cpu_features.h"
#include "cpu/dot_ref.h"

namespace finefp8::cpu {

void attend_ref(const AttendArgs& a) {
  float mx = -INFINITY;
  for (size_t p = 0; p < a.n; ++p) {
    a.scores[p] = dot_ref(a.q, a.k + p * a.stride, a.head_dim) * a.scale;
    mx = std::max(mx, a.scores[p]);
  }
  float sum = 0.0f;
  for (size_t p = 0; p < a.n; ++p) {
    a.scores[p] = std::exp(a.scores[p] - mx);
    sum += a.scores[p];
  }
  std::fill(a.out, a.out + a.head_dim, 0.0f);
  for (size_t p = 0; p < a.n; ++p) {
    const float w = a.scores[p];
    const float* vp = a.v + p * a.stride;
    for (size_t d = 0; d < a.head_dim; ++d) a.out[d] += w * vp[d];
  }
  const float inv = 1.0f / sum;
  for (size_t d = 0; d < a.head_dim; ++d) a.out[d] *= inv;
}

void attend(const AttendArgs& a) {
  static const Isa isa = best_isa();
  switch (isa) {
    case Isa::kAmx:
    case Isa::kAvx512: return detail::attend_avx512(a);
    case Isa::kAvx2: return detail::attend_avx2(a);
    default: return attend_ref(a);
  }
}

}  // namespace finefp8::cpu
