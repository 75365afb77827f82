#include "io/model_config.h"

#include "io/json_file.h"

#include <array>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <utility>

#include "util/error.h"

namespace finefp8 {

// ---------------------------------------------------------------------------------------------
// ConfigFields

ConfigFields::ConfigFields(const nlohmann::json& object, std::string_view source,
                           std::string path)
    : object_(object), source_(source), path_(std::move(path)) {
  FINEFP8_ASSERT(object_.is_object());
}

const nlohmann::json* ConfigFields::find(std::string_view key) const {
  auto it = object_.find(key);
  if (it == object_.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string ConfigFields::field(std::string_view key) const {
  return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
}

void ConfigFields::fail(std::string_view key, std::string_view problem) const {
  finefp8::fail("{}: '{}' {}", source_, field(key), problem);
}

std::string ConfigFields::describe(const nlohmann::json& value) {
  if (value.is_array()) return "an array";
  if (value.is_object()) return "an object";
  if (value.is_discarded()) return "nothing";
  std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  constexpr size_t kMax = 64;
  if (text.size() > kMax) {
    size_t cut = kMax;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text = text.substr(0, cut) + "...";
  }
  return text;
}

void ConfigFields::check_depth(const nlohmann::json& j, std::string_view source, int max_depth) {
  std::vector<std::pair<const nlohmann::json*, int>> stack{{&j, 0}};
  while (!stack.empty()) {
    auto [value, depth] = stack.back();
    stack.pop_back();
    if (!value->is_structured()) continue;
    if (depth >= max_depth) {
      finefp8::fail("{}: JSON nests deeper than {} levels, which no config file does", source,
                    max_depth);
    }
    for (const auto& child : *value) stack.emplace_back(&child, depth + 1);
  }
}

int64_t ConfigFields::integer(std::string_view key, int64_t min, int64_t max) const {
  const nlohmann::json* v = find(key);
  if (!v) fail(key, "is missing (an integer is required)");
  auto out_of_range = [&] {
    fail(key, fmt::format("must be an integer in [{}, {}], got {}", min, max, describe(*v)));
  };
  if (v->is_number_unsigned()) {
    auto u = v->get<uint64_t>();
    if (u > static_cast<uint64_t>(max)) out_of_range();
    auto i = static_cast<int64_t>(u);
    if (i < min) out_of_range();
    return i;
  }
  if (v->is_number_integer()) {
    auto i = v->get<int64_t>();
    if (i < min || i > max) out_of_range();
    return i;
  }
  fail(key, fmt::format("must be an integer, got {}", describe(*v)));
}

int64_t ConfigFields::integer_or(std::string_view key, int64_t fallback, int64_t min,
                                 int64_t max) const {
  return has(key) ? integer(key, min, max) : fallback;
}

double ConfigFields::number(std::string_view key, double min, double max) const {
  const nlohmann::json* v = find(key);
  if (!v) fail(key, "is missing (a number is required)");
  if (!v->is_number()) fail(key, fmt::format("must be a number, got {}", describe(*v)));
  double d = v->get<double>();
  if (!std::isfinite(d) || d < min || d > max) {
    fail(key, fmt::format("must be a finite number in [{}, {}], got {}", min, max, describe(*v)));
  }
  return d;
}

double ConfigFields::number_or(std::string_view key, double fallback, double min,
                               double max) const {
  return has(key) ? number(key, min, max) : fallback;
}

bool ConfigFields::boolean(std::string_view key) const {
  const nlohmann::json* v = find(key);
  if (!v) fail(key, "is missing (true or false is required)");
  if (!v->is_boolean()) fail(key, fmt::format("must be true or false, got {}", describe(*v)));
  return v->get<bool>();
}

bool ConfigFields::boolean_or(std::string_view key, bool fallback) const {
  return has(key) ? boolean(key) : fallback;
}

std::string ConfigFields::string(std::string_view key) const {
  const nlohmann::json* v = find(key);
  if (!v) fail(key, "is missing (a string is required)");
  if (!v->is_string()) fail(key, fmt::format("must be a string, got {}", describe(*v)));
  return v->get<std::string>();
}

std::string ConfigFields::string_or(std::string_view key, std::string_view fallback) const {
  return has(key) ? string(key) : std::string(fallback);
}

std::vector<std::string> ConfigFields::strings(std::string_view key) const {
  const nlohmann::json* v = find(key);
  if (!v) fail(key, "is missing (a list of strings is required)");
  if (!v->is_array()) fail(key, fmt::format("must be a list of strings, got {}", describe(*v)));
  std::vector<std::string> out;
  out.reserve(v->size());
  for (size_t i = 0; i < v->size(); ++i) {
    const nlohmann::json& e = (*v)[i];
    if (!e.is_string()) {
      finefp8::fail("{}: '{}[{}]' must be a string, got {}", source_, field(key), i, describe(e));
    }
    out.push_back(e.get<std::string>());
  }
  return out;
}

ConfigFields ConfigFields::object(std::string_view key) const {
  const nlohmann::json* v = find(key);
  if (!v) fail(key, "is missing (an object is required)");
  if (!v->is_object()) fail(key, fmt::format("must be an object, got {}", describe(*v)));
  return ConfigFields(*v, source_, field(key));
}

// ---------------------------------------------------------------------------------------------
// ModelConfig

namespace {

constexpr int64_t kMax = ConfigFields::kMaxSize;

struct Architecture {
  std::string_view name;
  std::string_view model_type;
};
constexpr std::array<Architecture, 5> kArchitectures{{
    {"LlamaForCausalLM", "llama"},
    {"MistralForCausalLM", "mistral"},
    {"Qwen2ForCausalLM", "qwen2"},
    {"Qwen3ForCausalLM", "qwen3"},
    {"DeepseekV3ForCausalLM", "deepseek_v3"},
}};
constexpr std::string_view kDeepseekV3 = "DeepseekV3ForCausalLM";

std::string architecture_list() {
  std::string out;
  for (const auto& a : kArchitectures) out += (out.empty() ? "" : ", ") + std::string(a.name);
  return out;
}

// transformers' yarn_get_mscale.
double yarn_get_mscale(double scale, double mscale) {
  return scale <= 1 ? 1.0 : 0.1 * mscale * std::log(scale) + 1.0;
}

// Token ids are non-negative and below 2^31 (transformers only warns if outside the vocab).
int64_t token_id(const nlohmann::json& v, std::string_view source, std::string_view field) {
  if (v.is_number_unsigned() && v.get<uint64_t>() <= static_cast<uint64_t>(kMax)) {
    return static_cast<int64_t>(v.get<uint64_t>());
  }
  if (v.is_number_integer() && v.get<int64_t>() >= 0 && v.get<int64_t>() <= kMax) {
    return v.get<int64_t>();
  }
  fail("{}: '{}' must be a token id (an integer in [0, {}]), got {}", source, field, kMax,
       ConfigFields::describe(v));
}

// RoPE: transformers takes `rope_scaling` when non-empty, else `rope_parameters`; rope_theta
// from that dict, else the top-level key, else 10000; the type from `rope_type`, else `type`.
void parse_rope(const ConfigFields& top, ModelConfig& c) {
  const nlohmann::json* dict = nullptr;
  std::string dict_name;
  for (std::string_view key : {"rope_scaling", "rope_parameters"}) {
    const nlohmann::json* v = top.find(key);
    if (!v) continue;
    if (!v->is_object()) {
      top.fail(key, fmt::format("must be an object, got {}", ConfigFields::describe(*v)));
    }
    if (v->empty() && key == "rope_scaling") continue;  // `rope_scaling or rope_parameters`
    dict = v;
    dict_name = key;
    break;
  }
  c.rope_theta = top.number_or("rope_theta", 10000, 1e-30, 1e30);
  if (!dict) return;
  ConfigFields rope(*dict, top.source(), dict_name);
  for (const auto& [key, value] : dict->items()) {
    if (value.is_object()) {
      rope.fail(key, "is an object: RoPE parameters per layer type are not supported");
    }
  }
  c.rope_theta = rope.number_or("rope_theta", c.rope_theta, 1e-30, 1e30);
  const std::string type_key = rope.has("rope_type") ? "rope_type" : "type";
  const std::string type = rope.string_or(type_key, "default");
  RopeScaling& s = c.rope_scaling;
  if (type == "default" || type == "none") {
    s.type = "none";
    return;
  }
  if (type != "linear" && type != "dynamic" && type != "llama3" && type != "yarn") {
    rope.fail(type_key, fmt::format("is \"{}\", a RoPE type finefp8 does not support; known "
                                    "types: default (or none), linear, dynamic, llama3, yarn",
                                    type));
  }
  s.type = type;
  constexpr double kBig = 1e30;
  if (type == "yarn") {
    s.original_max_position_embeddings = rope.integer_or(
        "original_max_position_embeddings", c.max_position_embeddings, 1, kMax);
    // transformers requires the key; a null factor means max_position / original.
    if (!dict->contains("factor")) rope.fail("factor", "is missing (yarn needs it)");
    s.factor = rope.has("factor") ? rope.number("factor", 0, kBig)
                                  : static_cast<double>(c.max_position_embeddings) /
                                        static_cast<double>(s.original_max_position_embeddings);
    if (!(s.factor > 0)) rope.fail("factor", "must be positive");
    double beta_fast = rope.number_or("beta_fast", 0, -kBig, kBig);
    double beta_slow = rope.number_or("beta_slow", 0, -kBig, kBig);
    s.beta_fast = beta_fast != 0 ? beta_fast : 32;  // transformers: `get("beta_fast") or 32`
    s.beta_slow = beta_slow != 0 ? beta_slow : 1;
    bool has_mscale = rope.has("mscale"), has_all_dim = rope.has("mscale_all_dim");
    s.mscale = rope.number_or("mscale", 1, -kBig, kBig);
    s.mscale_all_dim = rope.number_or("mscale_all_dim", 0, -kBig, kBig);
    if (rope.has("attention_factor")) {
      s.attention_factor = rope.number("attention_factor", 0, kBig);
    } else if (has_mscale && has_all_dim && s.mscale != 0 && s.mscale_all_dim != 0) {
      s.attention_factor =
          yarn_get_mscale(s.factor, s.mscale) / yarn_get_mscale(s.factor, s.mscale_all_dim);
    } else {
      s.attention_factor = yarn_get_mscale(s.factor, 1);
    }
    if (!std::isfinite(s.attention_factor)) {
      rope.fail("mscale_all_dim", "gives a non-finite attention factor");
    }
    s.truncate = rope.boolean_or("truncate", true);
    return;
  }
  s.factor = rope.number("factor", 0, kBig);
  if (!(s.factor > 0)) rope.fail("factor", fmt::format("must be positive, got {}", s.factor));
  if (type == "llama3") {
    s.low_freq_factor = rope.number("low_freq_factor", 0, kBig);
    s.high_freq_factor = rope.number("high_freq_factor", 0, kBig);
    if (!(s.low_freq_factor > 0) || !(s.high_freq_factor > s.low_freq_factor)) {
      rope.fail("high_freq_factor",
                fmt::format("must be greater than low_freq_factor, both positive (llama3 "
                            "divides by their difference); got low {} high {}",
                            s.low_freq_factor, s.high_freq_factor));
    }
    s.original_max_position_embeddings = rope.integer_or(
        "original_max_position_embeddings", c.max_position_embeddings, 1, kMax);
  }
}

void parse_deepseek_v3(const ConfigFields& f, ModelConfig& c) {
  c.n_routed_experts = f.integer("n_routed_experts", 1, kMax);
  c.n_shared_experts = f.integer("n_shared_experts", 0, kMax);
  c.moe_intermediate_size = f.integer("moe_intermediate_size", 1, kMax);
  c.first_k_dense_replace = f.integer("first_k_dense_replace", 0, c.num_hidden_layers);
  c.n_group = f.integer("n_group", 1, c.n_routed_experts);
  if (c.n_routed_experts % c.n_group != 0) {
    f.fail("n_group", fmt::format("({}) must divide n_routed_experts ({})", c.n_group,
                                  c.n_routed_experts));
  }
  c.topk_group = f.integer("topk_group", 1, c.n_group);
  c.num_experts_per_tok =
      f.integer("num_experts_per_tok", 1, c.topk_group * (c.n_routed_experts / c.n_group));
  c.routed_scaling_factor = f.number("routed_scaling_factor", 0, 1e30);
  c.norm_topk_prob = f.boolean("norm_topk_prob");
  c.moe_layer_freq = f.integer_or("moe_layer_freq", 1, 1, kMax);
  if (c.moe_layer_freq != 1) {
    f.fail("moe_layer_freq", fmt::format("is {}; only 1 is supported (transformers' DeepseekV3 "
                                         "makes every layer from first_k_dense_replace on MoE)",
                                         c.moe_layer_freq));
  }
  c.scoring_func = f.string_or("scoring_func", "sigmoid");
  if (c.scoring_func != "sigmoid") {
    f.fail("scoring_func", fmt::format("is \"{}\"; DeepseekV3 supports only \"sigmoid\"",
                                       c.scoring_func));
  }
  c.topk_method = f.string_or("topk_method", "noaux_tc");
  if (c.topk_method != "noaux_tc") {
    f.fail("topk_method", fmt::format("is \"{}\"; DeepseekV3 supports only \"noaux_tc\"",
                                      c.topk_method));
  }
  // q_lora_rank must be written (null = no q LoRA): transformers' silent default is 1536.
  if (!c.raw.contains("q_lora_rank")) {
    f.fail("q_lora_rank", "is missing (an integer, or null for a plain q_proj, is required)");
  }
  if (f.has("q_lora_rank")) c.q_lora_rank = f.integer("q_lora_rank", 1, kMax);
  c.kv_lora_rank = f.integer("kv_lora_rank", 1, kMax);
  c.qk_nope_head_dim = f.integer("qk_nope_head_dim", 1, kMax);
  c.qk_rope_head_dim = f.integer("qk_rope_head_dim", 1, kMax);
  c.v_head_dim = f.integer("v_head_dim", 1, kMax);
  c.head_dim = c.qk_rope_head_dim;
}

}  // namespace

ModelConfig parse_model_config(const nlohmann::json& j, std::string_view source) {
  if (!j.is_object()) {
    fail("{}: a model config must be a JSON object, got {}", source, ConfigFields::describe(j));
  }
  ConfigFields::check_depth(j, source);
  try {
    ModelConfig c;
    c.raw = j;
    ConfigFields f(c.raw, source);

    const Architecture* arch = nullptr;
    if (!f.has("architectures")) {
      // transformers' config classes do not write `architectures` (only a saved model does);
      // AutoModelForCausalLM then picks the class from model_type, and so does this.
      const std::string type = f.string("model_type");
      for (const auto& a : kArchitectures) {
        if (a.model_type == type) arch = &a;
      }
      if (!arch) f.fail("architectures", fmt::format("is missing and model_type \"{}\" is not one of the supported ({})", type, architecture_list()));
      c.architecture = arch->name;
    } else {
      std::vector<std::string> archs = f.strings("architectures");
      if (archs.empty()) f.fail("architectures", "is empty (e.g. [\"LlamaForCausalLM\"])");
      c.architecture = archs[0];
    }
    for (const auto& a : kArchitectures) {
      if (a.name == c.architecture) arch = &a;
    }
    if (!arch) {
      fail("{}: architecture '{}' is not supported; finefp8 supports {}", source,
           c.architecture, architecture_list());
    }
    c.model_type = f.string("model_type");
    if (c.model_type != arch->model_type) {
      f.fail("model_type", fmt::format("is \"{}\" but architecture {} needs \"{}\"",
                                       c.model_type, arch->name, arch->model_type));
    }
    const bool deepseek = arch->name == kDeepseekV3;

    c.hidden_size = f.integer("hidden_size", 1, kMax);
    c.num_hidden_layers = f.integer("num_hidden_layers", 1, kMax);
    c.num_attention_heads = f.integer("num_attention_heads", 1, kMax);
    c.num_key_value_heads =
        f.integer_or("num_key_value_heads", c.num_attention_heads, 1, c.num_attention_heads);
    if (c.num_attention_heads % c.num_key_value_heads != 0) {
      f.fail("num_key_value_heads",
             fmt::format("({}) must divide num_attention_heads ({})", c.num_key_value_heads,
                         c.num_attention_heads));
    }
    c.intermediate_size = f.integer("intermediate_size", 1, kMax);
    c.vocab_size = f.integer("vocab_size", 1, kMax);
    c.max_position_embeddings = f.integer("max_position_embeddings", 1, kMax);

    if (deepseek) {
      parse_deepseek_v3(f, c);
    } else if (f.has("head_dim")) {
      c.head_dim = f.integer("head_dim", 1, kMax);
    } else {
      if (c.hidden_size % c.num_attention_heads != 0) {
        f.fail("hidden_size",
               fmt::format("({}) is not divisible by num_attention_heads ({}) and head_dim is "
                           "not given; add \"head_dim\"",
                           c.hidden_size, c.num_attention_heads));
      }
      c.head_dim = c.hidden_size / c.num_attention_heads;
    }
    // As transformers' validate_rope: a fully rotated head needs an even size.
    if (c.head_dim > 4 && c.head_dim % 2 != 0) {
      f.fail(deepseek ? "qk_rope_head_dim" : "head_dim",
             fmt::format("({}) must be even: RoPE rotates pairs", c.head_dim));
    }

    parse_rope(f, c);
    c.rms_norm_eps = f.number_or("rms_norm_eps", 1e-6, 0, 1);
    if (!(c.rms_norm_eps > 0)) f.fail("rms_norm_eps", "must be positive");
    c.tie_word_embeddings = f.boolean_or("tie_word_embeddings", false);
    c.torch_dtype = f.has("dtype") ? f.string("dtype") : f.string_or("torch_dtype", "float32");

    if (const nlohmann::json* bos = f.find("bos_token_id")) {
      c.bos_token_id = token_id(*bos, source, "bos_token_id");
    }
    if (const nlohmann::json* eos = f.find("eos_token_id")) {
      if (eos->is_array()) {
        for (size_t i = 0; i < eos->size(); ++i) {
          c.eos_token_ids.push_back(
              token_id((*eos)[i], source, fmt::format("eos_token_id[{}]", i)));
        }
      } else {
        c.eos_token_ids.push_back(token_id(*eos, source, "eos_token_id"));
      }
    }

    c.attention_bias = f.boolean_or("attention_bias", false);
    // Qwen2's attention has q/k/v biases whatever the config says (no attention_bias key).
    c.qkv_bias = c.attention_bias || arch->name == "Qwen2ForCausalLM";

    if (const nlohmann::json* qc = f.find("quantization_config")) {
      if (!qc->is_object()) {
        f.fail("quantization_config",
               fmt::format("must be an object, got {}", ConfigFields::describe(*qc)));
      }
      c.quantization_config = *qc;
    }
    return c;
  } catch (const nlohmann::json::exception& e) {
    // Not reached by any known input (every read is type-checked first); kept so that a
    // slip surfaces as an Error naming the file rather than an unknown exception.
    fail("{}: malformed config: {}", source, e.what());
  }
}

ModelConfig load_model_config(const std::filesystem::path& config_json) {
  std::filesystem::path path = config_json;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) path /= "config.json";
  const std::string name = path.string();
  if (!std::filesystem::exists(path, ec)) {
    fail("{}: no such file; a Hugging Face model directory holds config.json", name);
  }
  const nlohmann::json j = read_json_file(path);
  if (!j.is_object()) {
    fail("{}: a model config must be a JSON object, got {}", name, ConfigFields::describe(j));
  }
  return parse_model_config(j, name);
}

}  // namespace finefp8
