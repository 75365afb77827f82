// libFuzzer target: config.json parsing (model config, quantization config, module-pattern
// matching). Any input must either parse or throw finefp8::Error; a crash, a sanitizer report,
// a hang or another exception is a bug.
#include <cstddef>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "io/model_config.h"
#include "io/quant_config.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const nlohmann::json j = nlohmann::json::parse(data, data + size, nullptr,
                                                 /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;
  try {
    (void)finefp8::parse_model_config(j, "fuzz/config.json");
  } catch (const finefp8::Error&) {
  }
  if (!j.is_object()) return 0;
  auto qc = j.find("quantization_config");
  if (qc == j.end()) return 0;
  try {
    const finefp8::Fp8QuantConfig cfg = finefp8::parse_quant_config(*qc, "fuzz/config.json");
    (void)finefp8::to_transformers_json(cfg);
    // Patterns accepted by the parser must match without throwing.
    for (const char* name : {"lm_head", "model.layers.0.self_attn.q_proj",
                             "model.layers.11.mlp.experts.3.down_proj", "", "layers.1.mlp.gate"}) {
      (void)finefp8::module_not_converted(cfg, name);
    }
  } catch (const finefp8::Error&) {
  }
  return 0;
}
