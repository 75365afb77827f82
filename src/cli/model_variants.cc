#include "cli/model_variants.h"

#include "io/model_config.h"
#include "util/error.h"

namespace finefp8::cli {
namespace {

LoadOptions base_options(const ModelFlags& f, size_t context) {
  LoadOptions opt;
  opt.threads = f.threads;
  opt.context = context;
  opt.dtype = f.dtype == "bf16"  ? LoadOptions::DTypeRequest::kBF16
              : f.dtype == "f32" ? LoadOptions::DTypeRequest::kF32
                                 : LoadOptions::DTypeRequest::kAuto;
  return opt;
}

}  // namespace

void add_model_flags(CLI::App& app, ModelFlags& f, bool quantization) {
  app.add_option("-m,--model", f.model, "Model directory (config.json, *.safetensors, tokenizer.json)")->required();
  app.add_option("--dtype", f.dtype, "Dtype of unquantized weights and activations: auto (the checkpoint's), bf16, f32")
      ->check(CLI::IsMember({"auto", "bf16", "f32"}))->capture_default_str();
  app.add_option("-t,--threads", f.threads, "Threads (0 = all cores)")->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  if (!quantization) return;
  f.quantize_opt = app.add_option("--quantize", f.quantize,
                                  "fp8: quantize an unquantized checkpoint on load (fine-grained FP8, like FineGrainedFP8Config)")
                       ->check(CLI::IsMember({"none", "fp8"}))->capture_default_str();
  f.mode_opt = app.add_option("--mode", f.mode, "FP8 kernels: w8a8 (activations quantized per token group of 128) "
                              "or w8a16 (bf16 activations)")
                   ->check(CLI::IsMember({"w8a8", "w8a16"}))->capture_default_str();
  f.dequantize_opt = app.add_flag("--dequantize", f.dequantize,
                                  "Dequantize FP8 weights to bf16 on load (transformers' dequantize=True)");
}

bool is_fp8_checkpoint(const std::string& dir) {
  return load_model_config(std::filesystem::path(dir) / "config.json").quantization_config.has_value();
}

LoadOptions single_load_options(const ModelFlags& f, size_t context) {
  LoadOptions opt = base_options(f, context);
  const bool fp8_source = is_fp8_checkpoint(f.model);
  if (f.quantize == "fp8" && fp8_source) fail("--quantize fp8: {} is already an FP8 checkpoint", f.model);
  if (f.quantize == "fp8" || fp8_source) {
    FineGrainedFP8Config q;
    q.mode = f.mode == "w8a16" ? cpu::Fp8Mode::kW8A16 : cpu::Fp8Mode::kW8A8;
    q.dequantize = f.dequantize;
    opt.quantization = q;
  } else if (f.dequantize) {
    fail("--dequantize: {} is not an FP8 checkpoint (add --quantize fp8 to quantize it on load first)", f.model);
  }
  return opt;
}

LoadOptions config_load_options(std::string_view config, bool fp8_source, const ModelFlags& f,
                                size_t context) {
  LoadOptions opt = base_options(f, context);
  FineGrainedFP8Config q;
  if (config == "bf16") {
    if (!fp8_source) return opt;
    q.dequantize = true;
  } else if (config == "w8a16" || config == "w8a8") {
    q.mode = config == "w8a16" ? cpu::Fp8Mode::kW8A16 : cpu::Fp8Mode::kW8A8;
  } else {
    fail("unknown config '{}': expected bf16, w8a16 or w8a8", config);
  }
  opt.quantization = q;
  return opt;
}

std::string quantization_label(const CausalLM& model) {
  const auto& q = model.quantization();
  if (!q) return "none";
  if (q->dequantize) return "FP8 dequantized to bf16";
  return q->mode == cpu::Fp8Mode::kW8A8 ? "W8A8" : "W8A16";
}

}  // namespace finefp8::cli
