#pragma once
// CausalLM: a Llama-family decoder (LlamaForCausalLM incl. Llama 3 RoPE scaling and
// SmolLM2, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM) loaded from a Hugging
// Face directory, the C++ counterpart of
//   model = AutoModelForCausalLM.from_pretrained(dir, quantization_config=FineGrainedFP8Config())
//   model.generate(ids); model.save_pretrained(out)
// An FP8 checkpoint is read as it is; an unquantized one is quantized on load when
// `quantization` is given, with the code `finefp8 quantize` uses.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "io/model_config.h"
#include "model/backend.h"
#include "model/fp8_config.h"
#include "model/sampler.h"

namespace finefp8 {

struct LoadOptions {
  // The dtype of unquantized weights and activations: kAuto = the checkpoint's torch_dtype
  // (bfloat16 -> bf16; float32 and float16 -> fp32, fp16 weights widened exactly).
  enum class DTypeRequest { kAuto, kF32, kBF16 } dtype = DTypeRequest::kAuto;
  // Quantize an unquantized checkpoint on load. For an FP8 checkpoint only `mode` and
  // `dequantize` are used; the rest comes from its config.json.
  std::optional<FineGrainedFP8Config> quantization;
  int threads = 0;         // 0: all hardware threads
  size_t context = 0;      // KV-cache length in tokens; 0: min(max_position_embeddings, 4096)
};

struct GenerationConfig {
  size_t max_new_tokens = 128;
  SamplingConfig sampling;           // defaults: greedy
  std::vector<int32_t> eos_ids;      // empty: the model's (generation_config.json, config.json)
  bool ignore_eos = false;
};

// Called with each new token; return false to stop (e.g. a stop string was produced).
using TokenCallback = std::function<bool(int32_t token)>;

struct GenerationStats {
  size_t prompt_tokens = 0, generated_tokens = 0;
  double prompt_seconds = 0, generation_seconds = 0;
  std::string stop_reason;  // "eos", "length", "callback", "context"
};

struct ModelMemory {
  size_t parameters = 0;       // elements of all weights
  size_t fp8_parameters = 0;   // of which stored as FP8
  size_t weight_bytes = 0;     // resident bytes of weights, scales, biases, norms
  size_t kv_cache_bytes = 0;
};

class CausalLM {
 public:
  static CausalLM from_pretrained(const std::filesystem::path& dir, const LoadOptions& opt = {});
  CausalLM(CausalLM&&) noexcept;
  CausalLM& operator=(CausalLM&&) noexcept;
  ~CausalLM();

  const ModelConfig& config() const;
  OutDType act_dtype() const;
  // The FP8 config in force (nullopt: an unquantized model).
  const std::optional<FineGrainedFP8Config>& quantization() const;
  // EOS ids from generation_config.json, else config.json.
  const std::vector<int32_t>& eos_ids() const;
  // Sampling defaults from generation_config.json (greedy unless it sets do_sample).
  const SamplingConfig& default_sampling() const;
  ModelMemory memory() const;
  size_t context() const;
  Backend& backend();

  // Forgets the KV cache (n_past() = 0).
  void reset();
  size_t n_past() const;
  // Appends `ids` at positions [n_past, n_past + size) and returns logits: of the last token
  // [vocab], or of every token [size, vocab] with all_logits. Views stay valid until the
  // next call. Throws Error if the context would overflow or an id is out of range.
  std::span<const float> forward(std::span<const int32_t> ids, bool all_logits = false);

  // Greedy or sampled continuation of `prompt` after reset(); returns the new tokens.
  std::vector<int32_t> generate(std::span<const int32_t> prompt, const GenerationConfig& cfg,
                                const TokenCallback& on_token = nullptr,
                                GenerationStats* stats = nullptr);

  // Writes the model as a fine-grained FP8 Hugging Face directory (atomically): for a model
  // quantized on load, exactly what `finefp8 quantize` writes from the same source (same
  // code); for a model loaded from an FP8 or unquantized checkpoint, a copy of it.
  void save_pretrained(const std::filesystem::path& out, bool overwrite = false) const;

  struct Impl;

 private:
  explicit CausalLM(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The architectures CausalLM runs, for messages and --help.
std::string supported_architectures();

}  // namespace finefp8
