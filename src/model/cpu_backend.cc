#include "model/cpu_backend.h"

#include <algorithm>
#include <cmath>

#include "cpu/attention.h"
#include "cpu/dot_ref.h"
#include "util/error.h"

namespace finefp8 {

namespace {

inline float sum_squares(const float* a, size_t n) { return cpu::dot_ref(a, a, n); }

}  // namespace

CpuBackend::CpuBackend(int threads) : pool_(threads) {}

void CpuBackend::linear(const LinearLayer& l, const float* x, size_t m, float* y) {
  l.forward(x, m, y, &pool_);
}

void CpuBackend::rms_norm(const float* x, size_t m, size_t d, const float* weight, float eps,
                          OutDType act, float* out) {
  for (size_t i = 0; i < m; ++i) {
    const float* xi = x + i * d;
    float* oi = out + i * d;
    const float inv = 1.0f / std::sqrt(sum_squares(xi, d) / float(d) + eps);
    for (size_t j = 0; j < d; ++j) oi[j] = round_to(act, weight[j] * round_to(act, xi[j] * inv));
  }
}

void CpuBackend::rope(float* x, size_t m, size_t heads, const int64_t* positions, const Rope& rope) {
  for (size_t i = 0; i < m; ++i) rope.apply(x + i * heads * rope.head_dim(), heads, positions[i]);
}

void CpuBackend::silu_mul(const float* gate, const float* up, size_t m, size_t d, OutDType act,
                          float* out) {
  const size_t n = m * d;
  for (size_t i = 0; i < n; ++i) {
    const float g = gate[i];
    const float s = round_to(act, g / (1.0f + std::exp(-g)));
    out[i] = round_to(act, s * up[i]);
  }
}

void CpuBackend::add(float* h, const float* x, size_t n, OutDType act) {
  for (size_t i = 0; i < n; ++i) h[i] = round_to(act, h[i] + x[i]);
}

void CpuBackend::embed(const cpu::DenseWeight& table, std::span<const int32_t> ids, float* out) {
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || size_t(ids[i]) >= table.n()) {
      fail("token id {} is outside the vocabulary [0, {})", ids[i], table.n());
    }
    table.row_f32(size_t(ids[i]), out + i * table.k());
  }
}

void CpuBackend::kv_reset(const KvCacheShape& shape) {
  const size_t n = shape.layers * shape.context * shape.kv_heads * shape.head_dim;
  // Positions past n_past are never read, so nothing is cleared: a reset costs nothing, and
  // pages become resident only as the context fills them.
  if (n != kv_elements_) {
    k_ = std::make_unique_for_overwrite<float[]>(n);
    v_ = std::make_unique_for_overwrite<float[]>(n);
    kv_elements_ = n;
  }
  kv_ = shape;
}

void CpuBackend::attention(size_t layer, const float* q, const float* k, const float* v, size_t m,
                           const int64_t* positions, size_t heads, float scale, size_t window,
                           OutDType act, float* out) {
  const size_t hd = kv_.head_dim, kvh = kv_.kv_heads, row = kvh * hd;
  float* kl = k_.get() + layer * kv_.context * row;
  float* vl = v_.get() + layer * kv_.context * row;
  for (size_t i = 0; i < m; ++i) {
    if (positions[i] < 0 || size_t(positions[i]) >= kv_.context) {
      fail("position {} is outside the context of {} tokens (raise --ctx)", positions[i], kv_.context);
    }
    std::copy_n(k + i * row, row, kl + size_t(positions[i]) * row);
    std::copy_n(v + i * row, row, vl + size_t(positions[i]) * row);
  }
  const size_t group = heads / kvh;
  pool_.parallel_for(m * heads, [&](size_t begin, size_t end) {
    thread_local std::vector<float> scores;
    for (size_t t = begin; t < end; ++t) {
      const size_t i = t / heads, h = t % heads, g = h / group;
      const size_t last = size_t(positions[i]);
      const size_t first = window > 0 && last + 1 > window ? last + 1 - window : 0;
      scores.resize(last + 1 - first);
      float* o = out + (i * heads + h) * hd;
      cpu::attend({.q = q + (i * heads + h) * hd, .k = kl + first * row + g * hd, .v = vl + first * row + g * hd,
                   .n = last + 1 - first, .head_dim = hd, .stride = row, .scale = scale,
                   .scores = scores.data(), .out = o});
      if (act == OutDType::kBF16) {
        for (size_t d = 0; d < hd; ++d) o[d] = round_to(act, o[d]);
      }
    }
  });
}

}  // namespace finefp8
