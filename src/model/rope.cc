#include "model/rope.h"

#include <cmath>

#include "util/error.h"

namespace finefp8 {

Rope::Rope(const ModelConfig& cfg, OutDType act_dtype)
    : head_dim_(size_t(cfg.head_dim)), act_(act_dtype) {
  const size_t half = head_dim_ / 2;
  inv_freq_.resize(half);
  const float base = float(cfg.rope_theta);
  for (size_t i = 0; i < half; ++i) {
    const float exponent = float(2 * i) / float(head_dim_);
    inv_freq_[i] = 1.0f / std::pow(base, exponent);
  }
  const RopeScaling& s = cfg.rope_scaling;
  if (s.type == "none") return;
  if (s.type == "linear") {
    for (float& f : inv_freq_) f = f / float(s.factor);
    return;
  }
  if (s.type == "llama3") {
    const float factor = float(s.factor), lo = float(s.low_freq_factor), hi = float(s.high_freq_factor);
    const float old_ctx = float(s.original_max_position_embeddings > 0 ? s.original_max_position_embeddings
                                                                       : cfg.max_position_embeddings);
    const float low_wavelen = old_ctx / lo, high_wavelen = old_ctx / hi;
    for (float& f : inv_freq_) {
      const float wavelen = float(2 * M_PI) / f;
      float scaled = wavelen > low_wavelen ? f / factor : f;
      const bool medium = !(wavelen < high_wavelen) && !(wavelen > low_wavelen);
      if (medium) {
        const float smooth = (old_ctx / wavelen - lo) / (hi - lo);
        scaled = (1 - smooth) * scaled / factor + smooth * scaled;
      }
      f = scaled;
    }
    return;
  }
  fail("rope_scaling type '{}' is not supported for {} (supported: default, linear, llama3)",
       s.type, cfg.architecture);
}

void Rope::apply(float* x, size_t heads, int64_t position) const {
  const size_t half = head_dim_ / 2;
  const float pos = float(position);
  for (size_t i = 0; i < half; ++i) {
    const float angle = pos * inv_freq_[i];
    const float c = round_to(act_, std::cos(angle) * attention_factor_);
    const float s = round_to(act_, std::sin(angle) * attention_factor_);
    for (size_t h = 0; h < heads; ++h) {
      float* v = x + h * head_dim_;
      const float x1 = v[i], x2 = v[i + half];
      // q * cos + rotate_half(q) * sin, rotate_half(q) = cat(-x2, x1); each op rounds.
      v[i] = round_to(act_, round_to(act_, x1 * c) + round_to(act_, -x2 * s));
      v[i + half] = round_to(act_, round_to(act_, x2 * c) + round_to(act_, x1 * s));
    }
  }
}

}  // namespace finefp8
