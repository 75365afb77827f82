#pragma once
// What a checkpoint holds, from its headers and config.json only (no tensor data is read, so
// this is fast on any size): per-dtype totals and which linear weights are FP8.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/checkpoint.h"
#include "io/model_config.h"
#include "io/quant_config.h"

namespace finefp8 {

struct DTypeTotal {
  size_t tensors = 0;
  uint64_t elements = 0;
  uint64_t bytes = 0;
};

struct Fp8Linear {
  std::string weight;      // "model.layers.0.mlp.up_proj.weight"
  std::string scale;       // its scale tensor ("...weight_scale_inv" or "...weight_scale")
  DType scale_dtype = DType::kF32;
  std::vector<uint64_t> shape, scale_shape;
};

struct CheckpointSummary {
  std::map<DType, DTypeTotal> by_dtype;
  uint64_t total_bytes = 0, total_elements = 0;
  std::vector<Fp8Linear> fp8_linears;
  std::vector<std::string> fp8_without_scale;       // FP8 weights that have no scale tensor
  std::vector<std::string> unquantized_2d_weights;  // float 2-D "*.weight" left as they are
  // config.json next to the weights, parsed; `config_error` says why it could not be.
  std::optional<ModelConfig> config;
  std::string config_error;
  // Its quantization_config, parsed, and the FP8 validation (validate_fp8_checkpoint)
  // result: `fp8_error` is empty when every FP8 weight, scale and grid checks out.
  std::optional<Fp8QuantConfig> quant;
  std::string fp8_error;
};

// Never throws for problems in config.json or the FP8 tensors: they land in config_error /
// fp8_error so `inspect` can still show everything else.
CheckpointSummary summarize_checkpoint(const Checkpoint& ckpt);

}  // namespace finefp8
