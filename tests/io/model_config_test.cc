// config.json parsing against configs written by transformers' own config classes
// (tests/fixtures/configs/, tools/fixtures/gen_configs.py), in both the transformers v5
// format and the older one real checkpoints ship, plus every error path.
#include "io/model_config.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

#include <unistd.h>

#include "fixtures.h"
#include "io/json_edit.h"
#include "util/error.h"

namespace finefp8 {
namespace {

using nlohmann::json;
using testing::fixture;

const json& config(const std::string& name) { return fixture("configs/" + name + ".json"); }

ModelConfig parse(const json& j) { return parse_model_config(j, "cfg.json"); }

// parse_model_config(j) must throw Error naming the source and containing every `part`.
void expect_error(const json& j, std::initializer_list<std::string_view> parts) {
  testing::expect_parse_error(parse, "cfg.json", j, parts);
}
using testing::with;
using testing::without;

TEST(ModelConfig, Llama3Tiny) {
  const ModelConfig c = parse(config("llama3_tiny"));
  EXPECT_EQ(c.architecture, "LlamaForCausalLM");
  EXPECT_EQ(c.model_type, "llama");
  EXPECT_EQ(c.hidden_size, 64);
  EXPECT_EQ(c.num_hidden_layers, 2);
  EXPECT_EQ(c.num_attention_heads, 4);
  EXPECT_EQ(c.num_key_value_heads, 2);
  EXPECT_EQ(c.head_dim, 16);
  EXPECT_EQ(c.intermediate_size, 256);
  EXPECT_EQ(c.vocab_size, 128256);
  EXPECT_EQ(c.max_position_embeddings, 131072);
  EXPECT_EQ(c.rope_theta, 500000.0);
  EXPECT_EQ(c.rope_scaling.type, "llama3");
  EXPECT_EQ(c.rope_scaling.factor, 32.0);
  EXPECT_EQ(c.rope_scaling.low_freq_factor, 1.0);
  EXPECT_EQ(c.rope_scaling.high_freq_factor, 4.0);
  EXPECT_EQ(c.rope_scaling.original_max_position_embeddings, 8192);
  EXPECT_EQ(c.rms_norm_eps, 1e-5);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_EQ(c.torch_dtype, "bfloat16");
  EXPECT_EQ(c.bos_token_id, 128000);
  EXPECT_EQ(c.eos_token_ids, (std::vector<int64_t>{128001, 128008, 128009}));
  EXPECT_FALSE(c.attention_bias);
  EXPECT_FALSE(c.qkv_bias);
  EXPECT_EQ(c.n_routed_experts, 0);
  EXPECT_EQ(c.kv_lora_rank, 0);
  EXPECT_FALSE(c.q_lora_rank.has_value());
  EXPECT_EQ(c.raw, config("llama3_tiny"));
  EXPECT_FALSE(c.quantization_config.has_value());
}

TEST(ModelConfig, MistralTiny) {
  const ModelConfig c = parse(config("mistral_tiny"));
  EXPECT_EQ(c.architecture, "MistralForCausalLM");
  EXPECT_EQ(c.num_key_value_heads, 1);
  EXPECT_EQ(c.head_dim, 16);
  EXPECT_EQ(c.rope_theta, 1e6);
  EXPECT_EQ(c.rope_scaling.type, "none");
  EXPECT_EQ(c.rms_norm_eps, 1e-6);
  EXPECT_FALSE(c.tie_word_embeddings);
  EXPECT_EQ(c.bos_token_id, 1);
  EXPECT_EQ(c.eos_token_ids, (std::vector<int64_t>{2}));
  EXPECT_FALSE(c.qkv_bias);
}

TEST(ModelConfig, Qwen2TinyHasQkvBiasAndDerivedHeadDim) {
  const json& j = config("qwen2_tiny");
  ASSERT_FALSE(j.contains("head_dim"));
  ASSERT_FALSE(j.contains("attention_bias"));
  const ModelConfig c = parse(j);
  EXPECT_EQ(c.model_type, "qwen2");
  EXPECT_EQ(c.head_dim, 16);
  EXPECT_FALSE(c.attention_bias);
  EXPECT_TRUE(c.qkv_bias);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_EQ(c.bos_token_id, 151643);
  EXPECT_EQ(c.eos_token_ids, (std::vector<int64_t>{151645}));
}

TEST(ModelConfig, Qwen3TinyExplicitHeadDimAndDefaults) {
  const ModelConfig c = parse(config("qwen3_tiny"));
  EXPECT_EQ(c.hidden_size, 64);
  EXPECT_EQ(c.head_dim, 32);  // != 64 / 4
  EXPECT_EQ(c.torch_dtype, "float32");  // no dtype written
  EXPECT_FALSE(c.bos_token_id.has_value());
  EXPECT_TRUE(c.eos_token_ids.empty());
  EXPECT_EQ(c.rope_theta, 10000.0);
  EXPECT_FALSE(c.qkv_bias);
}

TEST(ModelConfig, DeepseekV3Tiny) {
  const ModelConfig c = parse(config("deepseek_v3_tiny"));
  EXPECT_EQ(c.architecture, "DeepseekV3ForCausalLM");
  EXPECT_EQ(c.model_type, "deepseek_v3");
  EXPECT_EQ(c.n_routed_experts, 8);
  EXPECT_EQ(c.n_shared_experts, 1);
  EXPECT_EQ(c.num_experts_per_tok, 2);
  EXPECT_EQ(c.moe_intermediate_size, 32);
  EXPECT_EQ(c.first_k_dense_replace, 1);
  EXPECT_EQ(c.moe_layer_freq, 1);        // not written by transformers v5
  EXPECT_EQ(c.scoring_func, "sigmoid");  // idem
  EXPECT_EQ(c.topk_method, "noaux_tc");  // idem
  EXPECT_EQ(c.n_group, 4);
  EXPECT_EQ(c.topk_group, 2);
  EXPECT_EQ(c.routed_scaling_factor, 2.5);
  EXPECT_TRUE(c.norm_topk_prob);
  EXPECT_FALSE(c.q_lora_rank.has_value());
  EXPECT_EQ(c.kv_lora_rank, 32);
  EXPECT_EQ(c.qk_nope_head_dim, 32);
  EXPECT_EQ(c.qk_rope_head_dim, 16);
  EXPECT_EQ(c.v_head_dim, 32);
  EXPECT_EQ(c.head_dim, 16);  // transformers: qk_rope_head_dim
  EXPECT_EQ(c.rope_scaling.type, "yarn");
  EXPECT_EQ(c.rope_scaling.factor, 40.0);
  EXPECT_EQ(c.rope_scaling.original_max_position_embeddings, 4096);
  EXPECT_EQ(c.rope_scaling.beta_fast, 32.0);
  EXPECT_EQ(c.rope_scaling.beta_slow, 1.0);
  EXPECT_EQ(c.rope_scaling.mscale, 1.0);
  EXPECT_EQ(c.rope_scaling.mscale_all_dim, 1.0);
  EXPECT_EQ(c.rope_scaling.attention_factor, 1.0);  // get_mscale(40, 1) / get_mscale(40, 1)
  EXPECT_TRUE(c.rope_scaling.truncate);
  EXPECT_EQ(c.bos_token_id, 0);
  EXPECT_EQ(c.eos_token_ids, (std::vector<int64_t>{1}));
}

void expect_same_model(const ModelConfig& a, const ModelConfig& b) {
  EXPECT_EQ(a.architecture, b.architecture);
  EXPECT_EQ(a.model_type, b.model_type);
  EXPECT_EQ(a.hidden_size, b.hidden_size);
  EXPECT_EQ(a.num_hidden_layers, b.num_hidden_layers);
  EXPECT_EQ(a.num_attention_heads, b.num_attention_heads);
  EXPECT_EQ(a.num_key_value_heads, b.num_key_value_heads);
  EXPECT_EQ(a.head_dim, b.head_dim);
  EXPECT_EQ(a.intermediate_size, b.intermediate_size);
  EXPECT_EQ(a.vocab_size, b.vocab_size);
  EXPECT_EQ(a.max_position_embeddings, b.max_position_embeddings);
  EXPECT_EQ(a.rope_theta, b.rope_theta);
  const RopeScaling &ra = a.rope_scaling, &rb = b.rope_scaling;
  EXPECT_EQ(ra.type, rb.type);
  EXPECT_EQ(ra.factor, rb.factor);
  EXPECT_EQ(ra.low_freq_factor, rb.low_freq_factor);
  EXPECT_EQ(ra.high_freq_factor, rb.high_freq_factor);
  EXPECT_EQ(ra.original_max_position_embeddings, rb.original_max_position_embeddings);
  EXPECT_EQ(ra.beta_fast, rb.beta_fast);
  EXPECT_EQ(ra.beta_slow, rb.beta_slow);
  EXPECT_EQ(ra.mscale, rb.mscale);
  EXPECT_EQ(ra.mscale_all_dim, rb.mscale_all_dim);
  EXPECT_EQ(ra.attention_factor, rb.attention_factor);
  EXPECT_EQ(ra.truncate, rb.truncate);
  EXPECT_EQ(a.rms_norm_eps, b.rms_norm_eps);
  EXPECT_EQ(a.tie_word_embeddings, b.tie_word_embeddings);
  EXPECT_EQ(a.torch_dtype, b.torch_dtype);
  EXPECT_EQ(a.bos_token_id, b.bos_token_id);
  EXPECT_EQ(a.eos_token_ids, b.eos_token_ids);
  EXPECT_EQ(a.attention_bias, b.attention_bias);
  EXPECT_EQ(a.qkv_bias, b.qkv_bias);
  EXPECT_EQ(a.n_routed_experts, b.n_routed_experts);
  EXPECT_EQ(a.n_shared_experts, b.n_shared_experts);
  EXPECT_EQ(a.num_experts_per_tok, b.num_experts_per_tok);
  EXPECT_EQ(a.moe_intermediate_size, b.moe_intermediate_size);
  EXPECT_EQ(a.first_k_dense_replace, b.first_k_dense_replace);
  EXPECT_EQ(a.moe_layer_freq, b.moe_layer_freq);
  EXPECT_EQ(a.scoring_func, b.scoring_func);
  EXPECT_EQ(a.topk_method, b.topk_method);
  EXPECT_EQ(a.n_group, b.n_group);
  EXPECT_EQ(a.topk_group, b.topk_group);
  EXPECT_EQ(a.routed_scaling_factor, b.routed_scaling_factor);
  EXPECT_EQ(a.norm_topk_prob, b.norm_topk_prob);
  EXPECT_EQ(a.q_lora_rank, b.q_lora_rank);
  EXPECT_EQ(a.kv_lora_rank, b.kv_lora_rank);
  EXPECT_EQ(a.qk_nope_head_dim, b.qk_nope_head_dim);
  EXPECT_EQ(a.qk_rope_head_dim, b.qk_rope_head_dim);
  EXPECT_EQ(a.v_head_dim, b.v_head_dim);
  EXPECT_EQ(a.quantization_config, b.quantization_config);
}

// The older format (rope_scaling + top-level rope_theta + torch_dtype) reads to the same
// model as transformers' own re-save of it (rope_parameters + dtype).
TEST(ModelConfig, LegacyFormatReadsLikeTransformersResave) {
  for (const char* name : {"llama3_legacy", "deepseek_v3_legacy"}) {
    SCOPED_TRACE(name);
    const json& legacy = config(name);
    const json& resaved = config(std::string(name) + "_resaved");
    ASSERT_TRUE(legacy.contains("rope_scaling") && legacy.contains("torch_dtype"));
    ASSERT_TRUE(resaved.contains("rope_parameters") && resaved.contains("dtype"));
    expect_same_model(parse(legacy), parse(resaved));
  }
  const ModelConfig ds = parse(config("deepseek_v3_legacy"));
  EXPECT_EQ(ds.q_lora_rank, 48);
  EXPECT_EQ(ds.rope_scaling.type, "yarn");  // legacy key `type`
  EXPECT_EQ(ds.rope_theta, 10000.0);
  EXPECT_EQ(ds.torch_dtype, "bfloat16");
  ASSERT_TRUE(ds.quantization_config.has_value());
  EXPECT_EQ((*ds.quantization_config)["quant_method"], "fp8");
  EXPECT_EQ(ds.raw.at("ep_size"), 1);  // unknown keys kept in raw
}

TEST(ModelConfig, RopeSources) {
  const json& llama = config("llama3_legacy");
  // An empty rope_scaling falls through to rope_parameters (transformers: `a or b`).
  json j = with(llama, "/rope_scaling"_json_pointer, json::object());
  j["rope_parameters"] = {{"rope_type", "linear"}, {"factor", 2.0}, {"rope_theta", 1234.0}};
  ModelConfig c = parse(j);
  EXPECT_EQ(c.rope_scaling.type, "linear");
  EXPECT_EQ(c.rope_scaling.factor, 2.0);
  EXPECT_EQ(c.rope_theta, 1234.0);  // the dict's theta wins over the top-level one
  // rope_type wins over type; "default" and "none" mean no scaling.
  j = with(llama, "/rope_scaling"_json_pointer,
           {{"type", "yarn"}, {"rope_type", "dynamic"}, {"factor", 3}});
  EXPECT_EQ(parse(j).rope_scaling.type, "dynamic");
  for (const char* none : {"default", "none"}) {
    j = with(llama, "/rope_scaling"_json_pointer, {{"type", none}});
    EXPECT_EQ(parse(j).rope_scaling.type, "none");
  }
  // No rope keys at all: theta 10000, no scaling.
  j = without(without(llama, "/rope_scaling"_json_pointer), "/rope_theta"_json_pointer);
  c = parse(j);
  EXPECT_EQ(c.rope_theta, 10000.0);
  EXPECT_EQ(c.rope_scaling.type, "none");
  // llama3 without original_max_position_embeddings: max_position_embeddings (transformers).
  j = without(llama, "/rope_scaling/original_max_position_embeddings"_json_pointer);
  EXPECT_EQ(parse(j).rope_scaling.original_max_position_embeddings, 131072);
}

TEST(ModelConfig, YarnAttentionFactorAsTransformers) {
  const json& ds = config("deepseek_v3_legacy");
  auto yarn = [&](const json& rope) {
    return parse(with(ds, "/rope_scaling"_json_pointer, rope)).rope_scaling;
  };
  const double l40 = std::log(40.0);
  RopeScaling s = yarn({{"type", "yarn"}, {"factor", 40}, {"mscale", 0.707},
                        {"mscale_all_dim", 1.0}, {"original_max_position_embeddings", 4096}});
  EXPECT_DOUBLE_EQ(s.attention_factor, (0.1 * 0.707 * l40 + 1) / (0.1 * l40 + 1));
  s = yarn({{"type", "yarn"}, {"factor", 40}, {"original_max_position_embeddings", 4096}});
  EXPECT_DOUBLE_EQ(s.attention_factor, 0.1 * l40 + 1);
  EXPECT_EQ(s.beta_fast, 32.0);
  EXPECT_EQ(s.beta_slow, 1.0);
  EXPECT_EQ(s.mscale_all_dim, 0.0);
  s = yarn({{"type", "yarn"}, {"factor", 40}, {"attention_factor", 0.5}, {"beta_fast", 0},
            {"truncate", false}});
  EXPECT_EQ(s.attention_factor, 0.5);
  EXPECT_EQ(s.beta_fast, 32.0);  // `get("beta_fast") or 32`
  EXPECT_FALSE(s.truncate);
  EXPECT_EQ(s.original_max_position_embeddings, 163840);  // max_position_embeddings
  // A null factor is max_position_embeddings / original_max_position_embeddings.
  s = yarn({{"type", "yarn"}, {"factor", nullptr}, {"original_max_position_embeddings", 4096}});
  EXPECT_EQ(s.factor, 40.0);
}

TEST(ModelConfig, EosAndBosForms) {
  const json& base = config("mistral_tiny");
  EXPECT_EQ(parse(with(base, "/eos_token_id"_json_pointer, 7)).eos_token_ids,
            (std::vector<int64_t>{7}));
  EXPECT_EQ(parse(with(base, "/eos_token_id"_json_pointer, {7, 8})).eos_token_ids,
            (std::vector<int64_t>{7, 8}));
  EXPECT_TRUE(parse(with(base, "/eos_token_id"_json_pointer, nullptr)).eos_token_ids.empty());
  EXPECT_TRUE(parse(without(base, "/eos_token_id"_json_pointer)).eos_token_ids.empty());
  EXPECT_FALSE(parse(with(base, "/bos_token_id"_json_pointer, nullptr)).bos_token_id);
  // torch_dtype when there is no dtype; dtype wins when both are there.
  json j = without(base, "/dtype"_json_pointer);
  j["torch_dtype"] = "float16";
  EXPECT_EQ(parse(j).torch_dtype, "float16");
  j["dtype"] = "bfloat16";
  EXPECT_EQ(parse(j).torch_dtype, "bfloat16");
  // attention_bias given: q/k/v have biases.
  EXPECT_TRUE(parse(with(base, "/attention_bias"_json_pointer, true)).qkv_bias);
}

TEST(ModelConfig, ErrorsNameFieldAndSource) {
  const json& l = config("llama3_tiny");
  expect_error(without(l, "/hidden_size"_json_pointer), {"'hidden_size' is missing"});
  expect_error(with(l, "/hidden_size"_json_pointer, "64"),
               {"'hidden_size' must be an integer", "\"64\""});
  expect_error(with(l, "/hidden_size"_json_pointer, 64.0), {"'hidden_size' must be an integer"});
  expect_error(with(l, "/hidden_size"_json_pointer, 0), {"'hidden_size'", "[1, 2147483647]"});
  expect_error(with(l, "/vocab_size"_json_pointer, -5), {"'vocab_size'", "got -5"});
  expect_error(with(l, "/vocab_size"_json_pointer, int64_t{1} << 31), {"'vocab_size'"});
  expect_error(with(l, "/num_hidden_layers"_json_pointer, ~uint64_t{0}),
               {"'num_hidden_layers'", "18446744073709551615"});
  expect_error(with(l, "/max_position_embeddings"_json_pointer, nullptr),
               {"'max_position_embeddings' is missing"});
  expect_error(without(l, "/intermediate_size"_json_pointer), {"'intermediate_size'"});
  EXPECT_EQ(parse_model_config(without(l, "/architectures"_json_pointer), "c").architecture,
            "LlamaForCausalLM");  // from model_type, as AutoModelForCausalLM does
  expect_error(without(with(l, "/model_type"_json_pointer, "gpt2"), "/architectures"_json_pointer),
               {"'architectures' is missing and model_type \"gpt2\""});
  expect_error(with(l, "/architectures"_json_pointer, "LlamaForCausalLM"),
               {"'architectures' must be a list of strings"});
  expect_error(with(l, "/architectures"_json_pointer, json::array()), {"'architectures' is empty"});
  expect_error(with(l, "/architectures"_json_pointer, {"LlamaForCausalLM", 3}),
               {"'architectures[1]' must be a string"});
  expect_error(with(l, "/architectures"_json_pointer, {"GPT2LMHeadModel"}),
               {"architecture 'GPT2LMHeadModel' is not supported",
                "LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM, "
                "DeepseekV3ForCausalLM"});
  expect_error(with(l, "/model_type"_json_pointer, "qwen2"),
               {"'model_type' is \"qwen2\"", "needs \"llama\""});
  expect_error(without(l, "/model_type"_json_pointer), {"'model_type' is missing"});
  expect_error(with(l, "/num_key_value_heads"_json_pointer, 3),
               {"'num_key_value_heads'", "(3) must divide num_attention_heads (4)"});
  expect_error(with(l, "/num_key_value_heads"_json_pointer, 8),
               {"'num_key_value_heads'", "[1, 4]"});
  json j = without(l, "/head_dim"_json_pointer);
  j["hidden_size"] = 66;
  expect_error(j, {"'hidden_size'", "not divisible by num_attention_heads", "head_dim"});
  expect_error(with(l, "/head_dim"_json_pointer, 7), {"'head_dim'", "even"});
  EXPECT_EQ(parse(with(l, "/head_dim"_json_pointer, 3)).head_dim, 3);  // tiny: as transformers
  expect_error(with(l, "/rms_norm_eps"_json_pointer, -1e-6), {"'rms_norm_eps'"});
  expect_error(with(l, "/rms_norm_eps"_json_pointer, "1e-6"), {"'rms_norm_eps' must be a number"});
  expect_error(with(l, "/tie_word_embeddings"_json_pointer, "yes"),
               {"'tie_word_embeddings' must be true or false"});
  expect_error(with(l, "/dtype"_json_pointer, 16), {"'dtype' must be a string"});
  expect_error(with(l, "/eos_token_id"_json_pointer, {1, "2"}), {"'eos_token_id[1]'", "token id"});
  expect_error(with(l, "/eos_token_id"_json_pointer, -1), {"'eos_token_id'", "token id"});
  expect_error(with(l, "/bos_token_id"_json_pointer, 1.5), {"'bos_token_id'"});
  expect_error(with(l, "/attention_bias"_json_pointer, 1), {"'attention_bias'"});
  expect_error(with(l, "/quantization_config"_json_pointer, "fp8"),
               {"'quantization_config' must be an object"});
  expect_error(json::array({1, 2}), {"must be a JSON object", "an array"});
  json deep = json::array();
  for (int i = 0; i < 100; ++i) deep = json::array({deep});
  expect_error(with(l, "/extra"_json_pointer, deep), {"nests deeper than 64"});
}

TEST(ModelConfig, RopeErrors) {
  const json& l = config("llama3_tiny");
  expect_error(with(l, "/rope_parameters/rope_type"_json_pointer, "longrope"),
               {"'rope_parameters.rope_type' is \"longrope\"",
                "default (or none), linear, dynamic, llama3, yarn"});
  expect_error(with(l, "/rope_parameters"_json_pointer, {1, 2}),
               {"'rope_parameters' must be an object"});
  expect_error(without(l, "/rope_parameters/low_freq_factor"_json_pointer),
               {"'rope_parameters.low_freq_factor' is missing"});
  expect_error(with(l, "/rope_parameters/factor"_json_pointer, "32"),
               {"'rope_parameters.factor' must be a number"});
  expect_error(with(l, "/rope_parameters/factor"_json_pointer, 0), {"'rope_parameters.factor'"});
  expect_error(with(l, "/rope_parameters/high_freq_factor"_json_pointer, 1.0),
               {"'rope_parameters.high_freq_factor'", "greater than low_freq_factor"});
  expect_error(with(l, "/rope_parameters/rope_theta"_json_pointer, -1),
               {"'rope_parameters.rope_theta'"});
  expect_error(with(l, "/rope_parameters/rope_type"_json_pointer, 3),
               {"'rope_parameters.rope_type' must be a string"});
  expect_error(with(l, "/rope_parameters/full_attention"_json_pointer, {{"rope_type", "default"}}),
               {"'rope_parameters.full_attention'", "per layer type"});
  const json& legacy = config("llama3_legacy");
  expect_error(with(legacy, "/rope_scaling"_json_pointer, {{"type", "dynamic"}}),
               {"'rope_scaling.factor' is missing"});
  expect_error(with(legacy, "/rope_scaling"_json_pointer, {{"type", "yarn"}}),
               {"'rope_scaling.factor' is missing"});
  expect_error(with(legacy, "/rope_scaling"_json_pointer, {{"type", "su"}}),
               {"'rope_scaling.type' is \"su\""});
  expect_error(with(legacy, "/rope_theta"_json_pointer, "big"), {"'rope_theta'"});
}

TEST(ModelConfig, DeepseekV3Errors) {
  const json& d = config("deepseek_v3_legacy");
  for (const char* key : {"n_routed_experts", "n_shared_experts", "num_experts_per_tok",
                          "moe_intermediate_size", "first_k_dense_replace", "n_group",
                          "topk_group", "routed_scaling_factor", "norm_topk_prob", "q_lora_rank",
                          "kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim"}) {
    SCOPED_TRACE(key);
    const std::string missing = fmt::format("'{}' is missing", key);
    expect_error(without(d, json::json_pointer(fmt::format("/{}", key))), {missing});
  }
  expect_error(with(d, "/n_group"_json_pointer, 3),
               {"'n_group'", "(3) must divide n_routed_experts (8)"});
  expect_error(with(d, "/topk_group"_json_pointer, 5), {"'topk_group'", "[1, 4]"});
  expect_error(with(d, "/num_experts_per_tok"_json_pointer, 5),
               {"'num_experts_per_tok'", "[1, 4]"});
  expect_error(with(d, "/first_k_dense_replace"_json_pointer, 4), {"'first_k_dense_replace'"});
  expect_error(with(d, "/scoring_func"_json_pointer, "softmax"), {"'scoring_func'", "sigmoid"});
  expect_error(with(d, "/topk_method"_json_pointer, "greedy"), {"'topk_method'", "noaux_tc"});
  expect_error(with(d, "/moe_layer_freq"_json_pointer, 2), {"'moe_layer_freq' is 2"});
  expect_error(with(d, "/qk_rope_head_dim"_json_pointer, 15), {"'qk_rope_head_dim'", "even"});
  expect_error(with(d, "/q_lora_rank"_json_pointer, 0), {"'q_lora_rank'"});
  EXPECT_FALSE(parse(with(d, "/q_lora_rank"_json_pointer, nullptr)).q_lora_rank.has_value());
}

// Every field of the fixtures replaced by every JSON type: either a value or an Error, never
// another exception (nlohmann's type_error) or a crash.
TEST(ModelConfig, AnyValueOfAnyFieldGivesValueOrError) {
  const std::vector<json> values = {nullptr, "s", 1.5, -1, 0, 3, true, json::array(),
                                    json::object(), json::array({1, "a"}), 1e308,
                                    ~uint64_t{0}};
  for (const char* name : {"llama3_tiny", "deepseek_v3_tiny", "deepseek_v3_legacy"}) {
    const json& base = config(name);
    std::vector<json::json_pointer> ptrs;
    for (const auto& [key, value] : base.items()) {
      ptrs.emplace_back("/" + key);
      if (value.is_object()) {
        for (const auto& [sub, unused] : value.items()) ptrs.emplace_back("/" + key + "/" + sub);
      }
    }
    for (const auto& ptr : ptrs) {
      for (const json& v : values) {
        try {
          parse(with(base, ptr, v));
        } catch (const Error&) {
        } catch (const std::exception& e) {
          ADD_FAILURE() << name << ptr.to_string() << " = " << v.dump() << ": " << e.what();
        }
      }
    }
  }
}

class ModelConfigLoad : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("finefp8_model_config_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }
  std::string error_of(const std::filesystem::path& p) {
    try {
      load_model_config(p);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }
  std::filesystem::path dir_;
};

TEST_F(ModelConfigLoad, ReadsFileOrDirectory) {
  const auto p = write("config.json", config("qwen3_tiny").dump(2));
  EXPECT_EQ(load_model_config(p).head_dim, 32);
  EXPECT_EQ(load_model_config(dir_).head_dim, 32);  // a model directory
}

TEST_F(ModelConfigLoad, Errors) {
  std::string m = error_of(dir_ / "nope.json");
  EXPECT_NE(m.find("nope.json: no such file"), std::string::npos) << m;
  m = error_of(write("bad.json", "{\n  \"hidden_size\": 64,\n  oops\n}"));
  EXPECT_NE(m.find("bad.json: not valid JSON"), std::string::npos) << m;
  EXPECT_NE(m.find("line 3"), std::string::npos) << m;
  m = error_of(write("list.json", "[1, 2]"));
  EXPECT_NE(m.find("list.json: a model config must be a JSON object"), std::string::npos) << m;
  json j = config("qwen3_tiny");
  j.erase("vocab_size");
  m = error_of(write("missing.json", j.dump()));
  EXPECT_NE(m.find("missing.json: 'vocab_size' is missing"), std::string::npos) << m;
}

}  // namespace
}  // namespace finefp8
