#pragma once
// config.json of a Hugging Face model directory -> ModelConfig, for the architectures finefp8
// runs. Reads both formats found in the wild: transformers v5 (`rope_parameters` holding
// rope_theta and the scaling, `dtype`) and the older one real checkpoints ship (`rope_scaling`
// with `type` or `rope_type`, top-level `rope_theta`, `torch_dtype`). Where transformers fills
// in a value, the same default is used (noted per field); where it would load a config that
// cannot work (sizes that do not divide, unknown RoPE), this throws Error naming the file and
// the field.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace finefp8 {

// Rotary-embedding frequency scaling. Only the fields of `type` are read; the others keep
// their defaults.
struct RopeScaling {
  // "none" (config "default", "none" or no scaling), "linear", "dynamic", "llama3", "yarn".
  std::string type = "none";
  double factor = 1;                     // linear, dynamic, llama3, yarn
  double low_freq_factor = 1;            // llama3
  double high_freq_factor = 4;           // llama3 (> low_freq_factor)
  // llama3, yarn: context length of pretraining; absent -> max_position_embeddings, as
  // transformers does (it then scales nothing for llama3).
  int64_t original_max_position_embeddings = 0;
  double beta_fast = 32;                 // yarn (absent, null or 0 -> 32, as transformers)
  double beta_slow = 1;                  // yarn (absent, null or 0 -> 1)
  double mscale = 1;                     // yarn, as written (absent -> 1)
  double mscale_all_dim = 0;             // yarn, as written (absent -> 0); DeepSeek's softmax
                                         // scale uses it
  // yarn: the cos/sin multiplier, resolved as transformers does: the config's
  // `attention_factor` if given, else get_mscale(factor, mscale) / get_mscale(factor,
  // mscale_all_dim) when both are given and non-zero, else get_mscale(factor, 1), where
  // get_mscale(s, m) = s <= 1 ? 1 : 0.1 * m * ln(s) + 1. Other types: 1.
  double attention_factor = 1;
  bool truncate = true;                  // yarn: round the correction range (config `truncate`)
};

// The supported architectures: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM,
// Qwen3ForCausalLM, DeepseekV3ForCausalLM. Sizes are in elements; all are < 2^31.
struct ModelConfig {
  std::string architecture;  // first entry of `architectures`
  std::string model_type;    // must be the architecture's own ("llama", ..., "deepseek_v3")
  int64_t hidden_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;  // default num_attention_heads; divides it
  // Default hidden_size / num_attention_heads (which must divide); an explicit value may
  // differ (Qwen3). DeepseekV3: always qk_rope_head_dim, as transformers sets it.
  int64_t head_dim = 0;
  int64_t intermediate_size = 0;
  int64_t vocab_size = 0;
  int64_t max_position_embeddings = 0;
  double rope_theta = 10000;  // rope_parameters.rope_theta, else top-level rope_theta
  RopeScaling rope_scaling;
  double rms_norm_eps = 1e-6;
  bool tie_word_embeddings = false;
  std::string torch_dtype = "float32";  // `dtype` (transformers v5) or `torch_dtype`, as written
  std::optional<int64_t> bos_token_id;
  std::vector<int64_t> eos_token_ids;   // config gives an int, a list or null
  bool attention_bias = false;          // config `attention_bias`
  bool qkv_bias = false;                // q/k/v projections have biases: attention_bias, or Qwen2

  // Mixture of experts: DeepseekV3ForCausalLM only (required there), zero otherwise.
  int64_t n_routed_experts = 0;
  int64_t n_shared_experts = 0;
  int64_t num_experts_per_tok = 0;
  int64_t moe_intermediate_size = 0;
  int64_t first_k_dense_replace = 0;  // layers [0, k) are dense, the rest MoE
  // transformers' DeepseekV3 ignores these three and implements only the values below, so an
  // absent key takes that value and any other value is rejected.
  int64_t moe_layer_freq = 0;         // 1
  std::string scoring_func;           // "sigmoid"
  std::string topk_method;            // "noaux_tc"
  int64_t n_group = 0;                // divides n_routed_experts
  int64_t topk_group = 0;             // <= n_group
  double routed_scaling_factor = 0;
  bool norm_topk_prob = false;

  // Multi-head latent attention: DeepseekV3ForCausalLM only (required there), zero otherwise.
  std::optional<int64_t> q_lora_rank;  // null: q_proj instead of q_a_proj/q_b_proj
  int64_t kv_lora_rank = 0;
  int64_t qk_nope_head_dim = 0;
  int64_t qk_rope_head_dim = 0;
  int64_t v_head_dim = 0;

  nlohmann::json raw;                                // the whole config.json
  std::optional<nlohmann::json> quantization_config;  // its `quantization_config` object
};

// Parses a config.json already read as JSON. `source` (the file name) starts every error
// message. Throws Error for anything wrong with the config, never another exception.
ModelConfig parse_model_config(const nlohmann::json& j, std::string_view source);

// Reads and parses `config_json` (a model directory means its config.json). Throws Error if
// the file is missing or unreadable, is not JSON (with the parser's line and column), is not
// an object, or fails parse_model_config.
ModelConfig load_model_config(const std::filesystem::path& config_json);

// Typed reads of the fields of one JSON object of a config file, shared by the config
// parsers. Every failure throws Error "SOURCE: 'PATH' ..." naming the file and the dotted
// field path, never nlohmann's type_error. A null value counts as absent.
class ConfigFields {
 public:
  static constexpr int64_t kMaxSize = (int64_t{1} << 31) - 1;
  // `object` must be a JSON object and outlive this; `path` is its dotted path ("" at top).
  ConfigFields(const nlohmann::json& object, std::string_view source, std::string path = "");

  const nlohmann::json* find(std::string_view key) const;  // nullptr if absent or null
  bool has(std::string_view key) const { return find(key) != nullptr; }
  std::string field(std::string_view key) const;  // dotted path of a field
  std::string_view source() const { return source_; }
  [[noreturn]] void fail(std::string_view key, std::string_view problem) const;

  // An integer in [min, max]: required, or `fallback` when absent.
  int64_t integer(std::string_view key, int64_t min, int64_t max) const;
  int64_t integer_or(std::string_view key, int64_t fallback, int64_t min, int64_t max) const;
  // A finite number (integer or float) in [min, max].
  double number(std::string_view key, double min, double max) const;
  double number_or(std::string_view key, double fallback, double min, double max) const;
  bool boolean(std::string_view key) const;
  bool boolean_or(std::string_view key, bool fallback) const;
  std::string string(std::string_view key) const;
  std::string string_or(std::string_view key, std::string_view fallback) const;
  std::vector<std::string> strings(std::string_view key) const;  // an array of strings
  ConfigFields object(std::string_view key) const;                // a nested object

  // A short description of a JSON value for messages: scalars as JSON (long strings cut),
  // "an array" / "an object" for containers (so no recursion on hostile nesting).
  static std::string describe(const nlohmann::json& value);
  // Throws Error if `j` nests arrays/objects deeper than `max_depth` (checked without
  // recursion, so that copying or comparing `j` afterwards cannot exhaust the stack).
  static void check_depth(const nlohmann::json& j, std::string_view source, int max_depth = 64);

 private:
  const nlohmann::json& object_;
  std::string source_;
  std::string path_;
};

}  // namespace finefp8
