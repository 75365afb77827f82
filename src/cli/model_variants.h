#pragma once
// How the evaluation commands (`perplexity`, `bench`) turn flags into LoadOptions: one model
// loaded as `generate` loads it, or the named configs they put side by side.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "model/causal_lm.h"

namespace finefp8::cli {

// The model flags shared by the evaluation commands.
struct ModelFlags {
  std::string model, quantize = "none", mode = "w8a8", dtype = "auto";
  bool dequantize = false;
  int threads = 0;
  // Set by add_model_flags: whether the user gave --quantize / --mode / --dequantize.
  CLI::Option *quantize_opt = nullptr, *mode_opt = nullptr, *dequantize_opt = nullptr;
};

// Registers -m/--model, --dtype, -t/--threads and, with `quantization`, --quantize, --mode and
// --dequantize (help texts as `generate` has them).
void add_model_flags(CLI::App& app, ModelFlags& f, bool quantization);

// Whether DIR/config.json declares a quantization_config (a pre-quantized FP8 checkpoint).
// Throws Error naming the file if it is missing or malformed.
bool is_fp8_checkpoint(const std::string& dir);

// The options that load f.model as `generate` would: an FP8 checkpoint with f.mode (or
// dequantized); an unquantized one as it is, or quantized on load with --quantize fp8.
// Throws Error for --quantize fp8 on an FP8 checkpoint.
LoadOptions single_load_options(const ModelFlags& f, size_t context);

// The configs compared side by side, baseline first.
inline const std::vector<std::string> kCompareConfigs = {"bf16", "w8a16", "w8a8"};

// Options for one named config of f.model:
//   "bf16":  an unquantized source as loaded (f.dtype; bf16 for a bf16 checkpoint), or an FP8
//            checkpoint dequantized to bf16 on load (transformers' dequantize=True);
//   "w8a16", "w8a8": FP8 weights with that kernel, quantized on load (128x128 blocks,
//            transformers' defaults) for an unquantized source.
// Throws Error for any other name.
LoadOptions config_load_options(std::string_view config, bool fp8_source, const ModelFlags& f,
                                size_t context);

// What the loaded model runs: "none", "W8A8", "W8A16" or "FP8 dequantized to bf16".
std::string quantization_label(const CausalLM& model);

}  // namespace finefp8::cli
