#include "io/checkpoint_summary.h"

#include <filesystem>

#include "io/fp8_checkpoint.h"
#include "util/error.h"

namespace finefp8 {
CheckpointSummary summarize_checkpoint(const Checkpoint& ckpt) {
  CheckpointSummary s;
  for (const Checkpoint::Entry& e : ckpt.tensors()) {
    const TensorInfo& t = *e.info;
    DTypeTotal& total = s.by_dtype[t.dtype];
    ++total.tensors;
    total.elements += t.elements();
    total.bytes += t.bytes();
    s.total_bytes += t.bytes();
    s.total_elements += t.elements();
    if (!t.name.ends_with(".weight")) continue;
    const bool fp8 = t.dtype == DType::kF8_E4M3 || t.dtype == DType::kF8_E5M2;
    if (fp8) {
      const TensorInfo* scale = nullptr;
      for (const char* suffix : {"_scale_inv", "_scale"}) {
        if (scale == nullptr) scale = ckpt.find(t.name + suffix);
      }
      if (scale == nullptr) {
        s.fp8_without_scale.push_back(t.name);
      } else {
        s.fp8_linears.push_back({t.name, scale->name, scale->dtype, t.shape, scale->shape});
      }
    } else if (t.shape.size() == 2 && dtype_info(t.dtype).is_float) {
      s.unquantized_2d_weights.push_back(t.name);
    }
  }
  const auto config_path = ckpt.dir() / "config.json";
  if (!std::filesystem::exists(config_path)) {
    s.config_error = "no config.json next to the weights";
  } else {
    try {
      s.config = load_model_config(config_path);
      if (s.config->quantization_config) {
        s.quant = parse_quant_config(*s.config->quantization_config, config_path.string());
      }
    } catch (const Error& e) {
      s.config_error = e.what();
    }
  }
  if (!s.fp8_linears.empty() || !s.fp8_without_scale.empty()) {
    try {
      if (!s.quant) fail("the checkpoint holds FP8 weights but config.json has no FP8 quantization_config");
      validate_fp8_checkpoint(ckpt, *s.quant);
    } catch (const Error& e) {
      s.fp8_error = e.what();
    }
  }
  return s;
}

}  // namespace finefp8
