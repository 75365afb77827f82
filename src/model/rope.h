#pragma once
// Rotary position embeddings as transformers computes them (default, linear and llama3
// frequency scaling): inv_freq in fp32, angle = position * inv_freq in fp32, cos/sin in fp32
// times the attention factor, then rounded to the activation dtype; rotate-half layout.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fp8/gemm_ref.h"
#include "io/model_config.h"

namespace finefp8 {

class Rope {
 public:
  // Throws Error for scaling types the Llama family does not use (dynamic, yarn).
  Rope(const ModelConfig& cfg, OutDType act_dtype);

  size_t head_dim() const { return head_dim_; }
  // In place on x [heads, head_dim] of the token at `position`.
  void apply(float* x, size_t heads, int64_t position) const;

 private:
  size_t head_dim_;
  OutDType act_;
  float attention_factor_ = 1.0f;
  std::vector<float> inv_freq_;  // [head_dim / 2]
};

}  // namespace finefp8
