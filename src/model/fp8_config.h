#pragma once
// FineGrainedFP8Config: the quantization a caller asks for when loading an unquantized
// checkpoint (transformers' FineGrainedFP8Config fields and defaults, 5.25.0). The same
// struct is what an FP8 checkpoint's config.json declares, so quantize-on-load,
// `finefp8 quantize` and save_pretrained share one spec.
#include <optional>
#include <string>
#include <vector>

#include "convert/quantize_checkpoint.h"
#include "cpu/linear.h"
#include "io/quant_config.h"

namespace finefp8 {

struct FineGrainedFP8Config {
  std::string activation_scheme = "dynamic";       // "dynamic" (only one supported on load)
  BlockShape weight_block_size{128, 128};
  // nullopt: skip lm_head only (transformers' default); a list: skip exactly what it names.
  std::optional<std::vector<std::string>> modules_to_not_convert;
  bool dequantize = false;  // keep bf16 weights after quantizing (transformers' CPU path)
  // finefp8's choice of kernel for FP8 linears (transformers has none: GPU W8A8, CPU dequant).
  cpu::Fp8Mode mode = cpu::Fp8Mode::kW8A8;
};

// The options `finefp8 quantize` would need to write the checkpoint this config describes.
QuantizeOptions to_quantize_options(const FineGrainedFP8Config& cfg);

// The config equivalent to what a pre-quantized checkpoint declares (block, skip list,
// activation scheme), keeping `mode` and `dequantize` from `request`.
FineGrainedFP8Config from_checkpoint_config(const Fp8QuantConfig& qc,
                                            const FineGrainedFP8Config& request);

}  // namespace finefp8
