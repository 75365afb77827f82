#include "model/fp8_config.h"

#include "util/error.h"

namespace finefp8 {

QuantizeOptions to_quantize_options(const FineGrainedFP8Config& cfg) {
  if (cfg.activation_scheme != "dynamic") {
    fail("activation_scheme '{}' on load: only 'dynamic' can be used when quantizing on load "
         "(static needs calibrated activation scales)", cfg.activation_scheme);
  }
  QuantizeOptions o;
  o.block = cfg.weight_block_size;
  if (cfg.modules_to_not_convert) {
    o.skip = *cfg.modules_to_not_convert;
    Fp8QuantConfig probe;
    probe.modules_to_not_convert = cfg.modules_to_not_convert;
    o.quantize_lm_head = !module_not_converted(probe, "lm_head");
  }
  o.progress = false;
  return o;
}

FineGrainedFP8Config from_checkpoint_config(const Fp8QuantConfig& qc,
                                            const FineGrainedFP8Config& request) {
  FineGrainedFP8Config c = request;
  c.activation_scheme = qc.activation_scheme;
  if (!qc.weight_block_size) {
    fail("quantization_config: per-tensor FP8 scales (weight_block_size null) are not "
         "supported; finefp8 runs block-scaled FP8");
  }
  c.weight_block_size = *qc.weight_block_size;
  c.modules_to_not_convert = qc.modules_to_not_convert;
  c.dequantize = request.dequantize || qc.dequantize;
  return c;
}

}  // namespace finefp8
