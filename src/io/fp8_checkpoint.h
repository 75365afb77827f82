#pragma once
// The FP8 linears of a pre-quantized checkpoint, validated against its quantization config
// (docs/fp8-format.md section 5): what a loader must reject before using any of them.
#include <string>
#include <vector>

#include "io/checkpoint.h"
#include "io/quant_config.h"

namespace finefp8 {

struct Fp8LinearTensors {
  const TensorInfo* weight = nullptr;  // F8_E4M3, [..., out, in]
  const TensorInfo* scale = nullptr;   // F32 / BF16 / F16 / F8_E8M0, [..., grid rows, grid cols]
};

// Finds every F8_E4M3 `X.weight` and its scale (`X.weight_scale_inv`, or `X.weight_scale`
// for compressed-tensors) and checks:
//  - every FP8 weight has its scale, and every scale tensor belongs to an FP8 weight;
//  - the weight has >= 2 dimensions; the scale's shape is the ceil grid of the configured
//    block over the last two dimensions (leading dimensions, e.g. experts, equal), or one
//    element per matrix for per-tensor scales (weight_block_size null);
//  - the scale dtype is F32, BF16, F16 or F8_E8M0 and every scale is finite and > 0 (reads
//    the scale data, which is ~1/16384 of the weights).
// Throws Error naming the tensor and the problem. Returns the linears in checkpoint order.
std::vector<Fp8LinearTensors> validate_fp8_checkpoint(const Checkpoint& ckpt,
                                                      const Fp8QuantConfig& cfg);

}  // namespace finefp8
