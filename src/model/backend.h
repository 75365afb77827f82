#pragma once
// The seam between model code and the hardware. The model (llama_model.cc) describes the
// computation with these operations only; a backend owns the memory the float* buffers
// point into (host memory for the CPU backend) and decides how each operation runs. A CUDA
// backend implements the same interface without any change to model code.
//
// Activation dtype: every operation rounds its outputs to `act` (bf16 values kept in fp32
// storage when act is kBF16), as PyTorch does when the model runs in that dtype.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "cpu/linear.h"
#include "model/linear_layer.h"
#include "model/rope.h"

namespace finefp8 {

// Keys and values of every layer for positions [0, context).
struct KvCacheShape {
  size_t layers = 0, context = 0, kv_heads = 0, head_dim = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string_view name() const = 0;
  virtual int threads() const = 0;

  // y [m, n] = x [m, k] W^T (+ bias).
  virtual void linear(const LinearLayer& l, const float* x, size_t m, float* y) = 0;
  // out[i] = weight * round(x[i] / rms(x[i])) for each of the m rows of d values.
  virtual void rms_norm(const float* x, size_t m, size_t d, const float* weight, float eps,
                        OutDType act, float* out) = 0;
  // x [m, heads, head_dim] in place, token i at positions[i].
  virtual void rope(float* x, size_t m, size_t heads, const int64_t* positions, const Rope& rope) = 0;
  // out [m, d] = round(silu(gate) ) * up, each op rounded.
  virtual void silu_mul(const float* gate, const float* up, size_t m, size_t d, OutDType act, float* out) = 0;
  // h [n] += x [n], rounded.
  virtual void add(float* h, const float* x, size_t n, OutDType act) = 0;
  // out [m, d] = rows ids[i] of the embedding table.
  virtual void embed(const cpu::DenseWeight& table, std::span<const int32_t> ids, float* out) = 0;

  // The KV cache: (re)allocated for `shape`, zero tokens.
  virtual void kv_reset(const KvCacheShape& shape) = 0;
  virtual size_t kv_bytes() const = 0;
  // Stores k, v [m, kv_heads, head_dim] of `layer` at positions[i], then computes causal
  // attention of q [m, heads, head_dim] over positions [0, positions[i]] (within `window`
  // positions when window > 0) into out [m, heads, head_dim]; softmax scale `scale`.
  virtual void attention(size_t layer, const float* q, const float* k, const float* v, size_t m,
                         const int64_t* positions, size_t heads, float scale, size_t window,
                         OutDType act, float* out) = 0;
};

}  // namespace finefp8
