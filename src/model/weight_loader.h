#pragma once
// Reads the tensors of one model out of a checkpoint into backend form: FP8 linears from a
// pre-quantized checkpoint, or quantized on load with the same code as `finefp8 quantize`
// (plan_tensor + quantize_weight_fast, so the bytes are identical), or dense.
#include <atomic>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "io/checkpoint.h"
#include "model/fp8_config.h"
#include "model/linear_layer.h"

namespace finefp8 {

class WeightLoader {
 public:
  // `quant`: the FP8 config in force (from the checkpoint, or requested for quantize-on-load;
  // nullopt: no FP8). `act_dtype`: the dtype unquantized weights and activations use.
  WeightLoader(const Checkpoint& ckpt, std::optional<FineGrainedFP8Config> quant,
               std::optional<Fp8QuantConfig> checkpoint_quant, OutDType act_dtype, int threads);

  bool has(const std::string& name) const { return ckpt_.find(name) != nullptr; }
  // The linear `module` ("model.layers.0.self_attn.q_proj"): `module.weight` [n, k] plus
  // `module.bias` if present. Throws Error if the weight is missing or not [n, k].
  LinearLayer linear(const std::string& module, size_t n, size_t k);
  // A dense [n, k] matrix (embeddings, tied heads) in the activation dtype.
  cpu::DenseWeight dense(const std::string& name, size_t n, size_t k);
  // A 1-D tensor of `n` values as fp32, rounded to the activation dtype.
  std::vector<float> vector(const std::string& name, size_t n);

  size_t fp8_linears() const { return fp8_linears_; }
  size_t dense_linears() const { return dense_linears_; }

 private:
  const TensorInfo& info(const std::string& name, const std::vector<uint64_t>& shape) const;

  const Checkpoint& ckpt_;
  std::optional<FineGrainedFP8Config> quant_;
  std::optional<Fp8QuantConfig> ckpt_quant_;  // set when the checkpoint is pre-quantized
  QuantizeOptions qopts_;
  OutDType act_;
  int threads_;
  size_t fp8_linears_ = 0, dense_linears_ = 0;
};

}  // namespace finefp8
