#pragma once
// The `quantization_config` of a fine-grained FP8 checkpoint's config.json, in the two
// dialects finefp8 reads: transformers' FineGrainedFP8Config (`quant_method: "fp8"`, also
// written by DeepSeek and Qwen) and compressed-tensors' FP8_BLOCK scheme
// (`quant_method: "compressed-tensors"`, llm-compressor). docs/fp8-format.md section 5.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "fp8/block_quant.h"

namespace finefp8 {

// Name of the per-block dequantization multiplier stored next to `X.weight`.
enum class ScaleNaming {
  kWeightScaleInv,  // `X.weight_scale_inv` (transformers, DeepSeek, Qwen)
  kWeightScale,     // `X.weight_scale` (compressed-tensors FP8_BLOCK)
};

// Mirrors transformers' FineGrainedFP8Config (5.25.0) plus what the file says about naming.
struct Fp8QuantConfig {
  std::string quant_method = "fp8";         // as read: "fp8" or "compressed-tensors"
  std::string activation_scheme = "dynamic";  // "dynamic" | "static" (lower-cased on read)
  // Rows x cols of a scale block; nullopt = one scale per tensor (JSON null).
  std::optional<BlockShape> weight_block_size = BlockShape{128, 128};
  // Module-name patterns left unquantized (fp8: `modules_to_not_convert`, alias
  // `ignored_layers`; compressed-tensors: `ignore`). nullopt (JSON null, the transformers
  // default) differs from an empty list: transformers then skips the output embedding
  // (lm_head); with a list, even an empty one, it skips only what the list names.
  std::optional<std::vector<std::string>> modules_to_not_convert;
  // Embedding tables stored in FP8 too (transformers 5.x): an nn.Embedding is converted if its
  // name ends with an entry (plain text, not a regex) and the skip list does not match it.
  std::optional<std::vector<std::string>> modules_to_convert;
  bool dequantize = false;        // transformers: dequantize to bf16 while loading
  // Scale storage: "float" (fp32) or "ue8m0" (powers of two; transformers 5.x stores them as
  // 1-byte float8_e8m0fnu, V4-style; read the tensor's own dtype to know which it is).
  std::string scale_fmt = "float";
  std::string fmt = "e4m3";       // DeepSeek's key; only e4m3 exists (transformers drops it)
  std::string expert_dtype = "fp8";  // transformers also knows "fp4" (DeepSeek-V4), rejected
  ScaleNaming scale_naming = ScaleNaming::kWeightScaleInv;
};

// Parses a `quantization_config` object; `source` (the file name) starts every error
// message. Accepts:
//  - quant_method "fp8": keys fmt ("e4m3"), activation_scheme, weight_block_size (2 positive
//    integers or null), modules_to_not_convert (or its alias ignored_layers), modules_to_convert,
//    dequantize, scale_fmt ("float" | "ue8m0"), expert_dtype ("fp8"). Unknown keys are ignored,
//    as transformers does; a null value counts as absent except for weight_block_size.
//    activation_scheme is lower-cased first, as transformers does ("Dynamic" is accepted).
//  - quant_method "compressed-tensors" whose every config group is FP8 block: weights
//    {num_bits 8, type "float", strategy "block", block_structure [R, C], symmetric, static},
//    input_activations dynamic {strategy "group", group_size 128} (-> "dynamic") or static
//    {strategy "tensor"} (-> "static"), targets including "Linear"; `ignore` becomes
//    modules_to_not_convert (absent = empty list); scale_naming kWeightScale. Sparsity,
//    transforms, KV-cache schemes and mixed groups are rejected.
// Every module pattern is checked to compile (check_module_pattern).
// Throws Error naming the field for anything else, never another exception.
Fp8QuantConfig parse_quant_config(const nlohmann::json& qc, std::string_view source);

// Exactly what transformers 5.25.0 writes into config.json's `quantization_config` for a
// FineGrainedFP8Config with these fields (save_pretrained -> config.to_diff_dict() ->
// FineGrainedFP8Config.to_dict(), i.e. every attribute, defaults included): quant_method
// "fp8", activation_scheme, weight_block_size, dequantize, scale_fmt, expert_dtype,
// modules_to_not_convert and modules_to_convert (null when nullopt). `fmt` is not written:
// FineGrainedFP8Config has no such attribute. A compressed-tensors config is translated:
// "re:P" entries become "P" (transformers matches every entry as a regex from the start).
nlohmann::json to_transformers_json(const Fp8QuantConfig& cfg);

// True if the module (e.g. "model.layers.0.self_attn.q_proj", "lm_head") stays unquantized.
// The module name is tried as given and with its "model." prefix removed or added, so names
// and patterns may each carry it or not. Per dialect:
//  - fp8, transformers' should_convert_module: an entry matches if, as a Python regex, it
//    matches from the start of the name up to a module boundary (the name ends there or
//    continues with '.', or the match ended with '.'), or if the name ends with the entry as
//    plain text. So "model.layers.1" skips "model.layers.1.mlp" but not "model.layers.11",
//    "mlp.gate" skips "...mlp.gate" but not "...mlp.gate_proj", while "gate" also skips
//    "...shared_expert_gate" and "" skips everything. nullopt: skips "lm_head" only.
//  - compressed-tensors match_name: "re:P" entries match if P matches from the start
//    (Python re.match: no end anchor), other entries only the exact name.
// Throws Error if an entry is not a regex of the supported subset (parse_quant_config
// already checked those it returned).
bool module_not_converted(const Fp8QuantConfig& cfg, std::string_view module_name);

// The two rules above for one entry, without the "model." retry (tested against the oracles).
bool transformers_pattern_matches(std::string_view pattern, std::string_view module_name);
bool compressed_tensors_pattern_matches(std::string_view target, std::string_view module_name);

// Throws Error naming `source` and `field` if `pattern` is not a valid module-name regex
// (src/io/module_pattern.h: Python `re` syntax, compiled with PCRE2).
void check_module_pattern(std::string_view pattern, std::string_view source,
                          std::string_view field);

}  // namespace finefp8
