// quantization_config parsing and writing against what transformers (FineGrainedFP8Config)
// and compressed-tensors (FP8_BLOCK) write, and the skip-list rules against the oracles'
// own matching functions (tests/fixtures/configs/, tools/fixtures/gen_configs.py).
#include "io/quant_config.h"

#include <gtest/gtest.h>

#include <chrono>
#include <initializer_list>
#include <string>
#include <vector>

#include "fixtures.h"
#include "io/json_edit.h"
#include "util/error.h"

namespace finefp8 {
namespace {

using nlohmann::json;
using testing::fixture;

const json& fp8_fixture() { return fixture("configs/fp8_quantization_config.json"); }
const json& ct_fixture() { return fixture("configs/compressed_tensors_fp8_block.json"); }

const json& fp8_case(const std::string& name) {
  for (const json& c : fp8_fixture().at("cases")) {
    if (c.at("name") == name) return c;
  }
  throw std::runtime_error("no fixture case " + name);
}

Fp8QuantConfig parse(const json& j) { return parse_quant_config(j, "qc.json"); }

void expect_error(const json& j, std::initializer_list<std::string_view> parts) {
  testing::expect_parse_error(parse, "qc.json", j, parts);
}
using testing::with;

TEST(QuantConfig, DefaultStructWritesWhatTransformersWrites) {
  const json& c = fp8_case("default");
  EXPECT_EQ(to_transformers_json(Fp8QuantConfig{}), c.at("config_json"));
  // Byte for byte what FineGrainedFP8Config.to_json_string() prints (sorted keys, indent 2).
  EXPECT_EQ(to_transformers_json(Fp8QuantConfig{}).dump(2) + "\n",
            c.at("to_json_string").get<std::string>());
}

TEST(QuantConfig, VariantStructWritesWhatTransformersWrites) {
  Fp8QuantConfig v;
  v.weight_block_size = BlockShape{64, 128};
  v.modules_to_not_convert = std::vector<std::string>{"lm_head", "model.layers.0.mlp"};
  v.scale_fmt = "ue8m0";
  const json& c = fp8_case("variant");
  EXPECT_EQ(to_transformers_json(v), c.at("config_json"));
  EXPECT_EQ(to_transformers_json(v).dump(2) + "\n", c.at("to_json_string").get<std::string>());

  Fp8QuantConfig s;
  s.weight_block_size.reset();
  s.activation_scheme = "static";
  s.modules_to_not_convert = std::vector<std::string>{};
  s.dequantize = true;
  EXPECT_EQ(to_transformers_json(s), fp8_case("per_tensor_static").at("config_json"));
}

// What transformers wrote parses back to a config that writes the same JSON.
TEST(QuantConfig, TransformersJsonRoundTrips) {
  for (const json& c : fp8_fixture().at("cases")) {
    SCOPED_TRACE(c.at("name").get<std::string>());
    const json& written = c.at("config_json");
    EXPECT_EQ(to_transformers_json(parse(written)), written);
  }
  const Fp8QuantConfig d = parse(fp8_case("default").at("config_json"));
  EXPECT_EQ(d.quant_method, "fp8");
  EXPECT_EQ(d.activation_scheme, "dynamic");
  ASSERT_TRUE(d.weight_block_size.has_value());
  EXPECT_EQ(d.weight_block_size->rows, 128);
  EXPECT_EQ(d.weight_block_size->cols, 128);
  EXPECT_FALSE(d.modules_to_not_convert.has_value());
  EXPECT_FALSE(d.dequantize);
  EXPECT_EQ(d.scale_fmt, "float");
  EXPECT_EQ(d.fmt, "e4m3");
  EXPECT_EQ(d.scale_naming, ScaleNaming::kWeightScaleInv);
  const Fp8QuantConfig s = parse(fp8_case("per_tensor_static").at("config_json"));
  EXPECT_FALSE(s.weight_block_size.has_value());
  ASSERT_TRUE(s.modules_to_not_convert.has_value());
  EXPECT_TRUE(s.modules_to_not_convert->empty());
  EXPECT_EQ(s.activation_scheme, "static");
  EXPECT_TRUE(s.dequantize);
}

// A checkpoint's own dict (DeepSeek with `fmt`; MiniMax's `ignored_layers`, "Dynamic")
// becomes what transformers' from_dict makes of it.
TEST(QuantConfig, CheckpointDictsReadLikeTransformersFromDict) {
  for (const char* name : {"from_dict_deepseek", "from_dict_ignored_layers"}) {
    SCOPED_TRACE(name);
    const json& c = fp8_case(name);
    EXPECT_EQ(to_transformers_json(parse(c.at("input"))), c.at("config_json"));
  }
  // The same DeepSeek dict inside a whole config.json.
  const Fp8QuantConfig ds =
      parse(fixture("configs/deepseek_v3_legacy.json").at("quantization_config"));
  EXPECT_EQ(ds.fmt, "e4m3");
  EXPECT_EQ(ds.weight_block_size->rows, 128);
}

TEST(QuantConfig, CompressedTensorsFp8Block) {
  const json& qc = ct_fixture().at("quantization_config");
  const Fp8QuantConfig c = parse(qc);
  EXPECT_EQ(c.quant_method, "compressed-tensors");
  EXPECT_EQ(c.scale_naming, ScaleNaming::kWeightScale);
  ASSERT_TRUE(c.weight_block_size.has_value());
  EXPECT_EQ(c.weight_block_size->rows, 128);
  EXPECT_EQ(c.weight_block_size->cols, 128);
  EXPECT_EQ(c.activation_scheme, "dynamic");
  EXPECT_EQ(c.scale_fmt, "float");
  EXPECT_EQ(c.modules_to_not_convert, (std::vector<std::string>{"lm_head", "re:.*mlp.gate$"}));
  const json t = to_transformers_json(c);
  EXPECT_EQ(t.at("quant_method"), "fp8");
  EXPECT_EQ(t.at("modules_to_not_convert"), json({"lm_head", ".*mlp.gate$"}));
  EXPECT_EQ(t.at("weight_block_size"), json({128, 128}));
  // No `ignore`: nothing is skipped (an empty list, not transformers' lm_head default).
  json no_ignore = qc;
  no_ignore.erase("ignore");
  const Fp8QuantConfig n = parse(no_ignore);
  ASSERT_TRUE(n.modules_to_not_convert.has_value());
  EXPECT_FALSE(module_not_converted(n, "lm_head"));
  // Static per-tensor activations.
  json st = with(qc, "/config_groups/group_0/input_activations"_json_pointer,
                 {{"num_bits", 8}, {"type", "float"}, {"strategy", "tensor"}, {"dynamic", false},
                  {"symmetric", true}});
  EXPECT_EQ(parse(st).activation_scheme, "static");
}

// transformers' should_convert_module, decided by transformers itself for each case.
TEST(QuantConfig, TransformersSkipRuleMatchesOracle) {
  const json& m = fp8_fixture().at("module_matching");
  for (const json& c : m.at("cases")) {
    const std::string pattern = c.at("pattern");
    for (const json& name : m.at("names")) {
      bool want = false;
      for (const json& s : c.at("skipped")) want = want || s == name;
      EXPECT_EQ(transformers_pattern_matches(pattern, name.get<std::string>()), want)
          << "pattern '" << pattern << "' name " << name;
    }
  }
}

// compressed-tensors' match_name, decided by compressed-tensors itself.
TEST(QuantConfig, CompressedTensorsIgnoreRuleMatchesOracle) {
  const json& m = ct_fixture().at("_finefp8_ignore_matching");
  for (const json& c : m.at("cases")) {
    const std::string pattern = c.at("pattern");
    for (const json& name : m.at("names")) {
      bool want = false;
      for (const json& s : c.at("skipped")) want = want || s == name;
      EXPECT_EQ(compressed_tensors_pattern_matches(pattern, name.get<std::string>()), want)
          << "pattern '" << pattern << "' name " << name;
    }
  }
}

TEST(QuantConfig, ModuleNotConverted) {
  Fp8QuantConfig c;  // modules_to_not_convert null: transformers skips the output embedding
  EXPECT_TRUE(module_not_converted(c, "lm_head"));
  EXPECT_FALSE(module_not_converted(c, "model.layers.0.self_attn.q_proj"));
  c.modules_to_not_convert = std::vector<std::string>{};  // an empty list skips nothing
  EXPECT_FALSE(module_not_converted(c, "lm_head"));
  c.modules_to_not_convert = std::vector<std::string>{"lm_head", "model.layers.0.mlp"};
  EXPECT_TRUE(module_not_converted(c, "lm_head"));
  EXPECT_TRUE(module_not_converted(c, "model.layers.0.mlp.down_proj"));
  EXPECT_TRUE(module_not_converted(c, "layers.0.mlp.down_proj"));  // name without "model."
  EXPECT_FALSE(module_not_converted(c, "model.layers.0.mlp_extra"));
  EXPECT_FALSE(module_not_converted(c, "model.layers.01.mlp"));
  EXPECT_FALSE(module_not_converted(c, "model.layers.1.mlp.down_proj"));
  EXPECT_FALSE(module_not_converted(c, "model.layers.0.self_attn.q_proj"));
  c.modules_to_not_convert = std::vector<std::string>{"layers.3.self_attn"};  // pattern without
  EXPECT_TRUE(module_not_converted(c, "model.layers.3.self_attn.o_proj"));
  EXPECT_FALSE(module_not_converted(c, "model.layers.30.self_attn.o_proj"));
  c.modules_to_not_convert = std::vector<std::string>{"model.layers.*.mlp.gate"};
  EXPECT_TRUE(module_not_converted(c, "model.layers.17.mlp.gate"));
  EXPECT_FALSE(module_not_converted(c, "model.layers.17.mlp.gate_proj"));

  const Fp8QuantConfig ct = parse(ct_fixture().at("quantization_config"));
  EXPECT_TRUE(module_not_converted(ct, "lm_head"));
  EXPECT_TRUE(module_not_converted(ct, "model.layers.5.mlp.gate"));
  EXPECT_TRUE(module_not_converted(ct, "layers.5.mlp.gate"));
  EXPECT_FALSE(module_not_converted(ct, "model.layers.5.mlp.gate_proj"));
  EXPECT_FALSE(module_not_converted(ct, "model.lm_head_extra"));
}

TEST(QuantConfig, PatternSubset) {
  // Regex features against Python's re.match semantics (prefix match, any length).
  struct Case {
    const char* pattern;
    const char* name;
    bool match;
  };
  const Case cases[] = {
      {"re:a{2,3}b", "aab", true},       {"re:a{2,3}b", "ab", false},
      {"re:a{,2}b", "b", true},          {"re:x{", "x{", true},
      {"re:(?P<l>\\d+)x", "12x", true},  {"re:[^.]+\\.q", "abc.q", true},
      {"re:[^.]+\\.q", "a.b.q", false},  {"re:\\Aa$", "a", true},
      {"re:a$", "a\n", true},            {"re:a\\Z", "a\n", false},
      {"re:(a|b)*?c", "ababc", true},    {"re:[]a]+$", "]a]", true},
      {"re:[a-]+$", "a-a", true},        {"re:\\x41", "A", true},
      {"re:\\w+\\.\\d", "lm_head.3", true}, {"re:.", "\n", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(compressed_tensors_pattern_matches(c.pattern, c.name), c.match)
        << c.pattern << " on " << c.name;
  }
  for (const char* bad : {"(", ")", "a**", "*a", "[z-a]", "\\q", "(?=a", "\\1", "[abc",
                          "a{2,1}"}) {
    EXPECT_THROW(check_module_pattern(bad, "qc.json", "p"), Error) << bad;
    EXPECT_THROW(transformers_pattern_matches(bad, "abc"), Error) << bad;
  }
  // Python accepts look-around, inline flags, \b and possessive quantifiers; so do we.
  EXPECT_TRUE(compressed_tensors_pattern_matches("re:(?i)LM_HEAD\\b", "lm_head"));
  EXPECT_TRUE(compressed_tensors_pattern_matches("re:(?!x)a*+", "aaa"));
  // Bounded time: a pattern that backtracks exponentially either finishes or fails with an
  // Error from PCRE2's match limit, at once.
  const auto start = std::chrono::steady_clock::now();
  for (const auto& [p, s] : {std::pair<std::string, std::string>{"re:(a*)*b", std::string(5000, 'a')},
                             {"re:(a|aa)+$", std::string(4999, 'a') + "c"}}) {
    try {
      EXPECT_FALSE(compressed_tensors_pattern_matches(p, s));
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("too complex"), std::string::npos) << e.what();
    }
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  // Size limit: nested counted repeats.
  EXPECT_THROW(check_module_pattern("((a{1000}){1000}){1000}", "qc.json", "p"), Error);
}

TEST(QuantConfig, Fp8Errors) {
  const json base = fp8_case("variant").at("config_json");
  expect_error(json::array(), {"'quantization_config' must be an object"});
  json j = base;
  j.erase("quant_method");
  expect_error(j, {"'quantization_config.quant_method' is missing"});
  expect_error(with(base, "/quant_method"_json_pointer, "bitsandbytes"),
               {"'quantization_config.quant_method' is \"bitsandbytes\"", "\"fp8\"",
                "\"compressed-tensors\""});
  expect_error(with(base, "/quant_method"_json_pointer, 8),
               {"'quantization_config.quant_method' must be a string"});
  expect_error(with(base, "/fmt"_json_pointer, "e5m2"), {"'quantization_config.fmt'", "e5m2"});
  expect_error(with(base, "/activation_scheme"_json_pointer, "weird"),
               {"'quantization_config.activation_scheme' is \"weird\""});
  for (const json& bad : {json({128}), json({0, 128}), json({128, "a"}), json({128.0, 128}),
                          json("128x128"), json({1, 2, 3}), json({int64_t{1} << 31, 1}),
                          json({-128, 128}), json::object()}) {
    SCOPED_TRACE(bad.dump());
    expect_error(with(base, "/weight_block_size"_json_pointer, bad),
                 {"'quantization_config.weight_block_size"});
  }
  expect_error(with(base, "/scale_fmt"_json_pointer, "fp32"), {"'quantization_config.scale_fmt'"});
  expect_error(with(base, "/expert_dtype"_json_pointer, "fp4"),
               {"'quantization_config.expert_dtype' is \"fp4\""});
  expect_error(with(base, "/dequantize"_json_pointer, "no"),
               {"'quantization_config.dequantize' must be true or false"});
  expect_error(with(base, "/modules_to_not_convert"_json_pointer, "lm_head"),
               {"'quantization_config.modules_to_not_convert' must be a list of strings"});
  expect_error(with(base, "/modules_to_not_convert"_json_pointer, {"lm_head", 1}),
               {"'quantization_config.modules_to_not_convert[1]' must be a string"});
  expect_error(with(base, "/modules_to_not_convert"_json_pointer, {""}),
               {"'quantization_config.modules_to_not_convert[0]' is empty"});
  expect_error(with(base, "/modules_to_not_convert"_json_pointer, {"lm_head", "model.(layers"}),
               {"'quantization_config.modules_to_not_convert[1]'",
                "not a supported module pattern"});
  j = base;
  j.erase("modules_to_not_convert");
  j["ignored_layers"] = {"(?=x"};
  expect_error(j, {"'quantization_config.ignored_layers[0]'"});
  expect_error(with(base, "/modules_to_convert"_json_pointer, {""}),
               {"'quantization_config.modules_to_convert[0]' is empty"});
  // modules_to_convert entries are name suffixes, not regexes.
  EXPECT_EQ(parse(with(base, "/modules_to_convert"_json_pointer, {"[a"})).modules_to_convert,
            (std::vector<std::string>{"[a"}));
}

TEST(QuantConfig, CompressedTensorsErrors) {
  const json base = ct_fixture().at("quantization_config");
  const std::string g = "quantization_config.config_groups.group_0";
  json j = base;
  j.erase("config_groups");
  expect_error(j, {"'quantization_config.config_groups' is missing"});
  expect_error(with(base, "/config_groups"_json_pointer, json::object()),
               {"'quantization_config.config_groups' is empty"});
  expect_error(with(base, "/config_groups/group_0/weights/num_bits"_json_pointer, 4),
               {"'" + g + ".weights.num_bits' must be 8"});
  expect_error(with(base, "/config_groups/group_0/weights/type"_json_pointer, "int"),
               {"'" + g + ".weights.type' is \"int\""});
  expect_error(with(base, "/config_groups/group_0/weights/strategy"_json_pointer, "channel"),
               {"'" + g + ".weights.strategy' is \"channel\""});
  expect_error(with(base, "/config_groups/group_0/weights/block_structure"_json_pointer, nullptr),
               {"'" + g + ".weights.block_structure' is missing"});
  expect_error(with(base, "/config_groups/group_0/weights/block_structure"_json_pointer, {128}),
               {"'" + g + ".weights.block_structure'"});
  expect_error(with(base, "/config_groups/group_0/weights/dynamic"_json_pointer, true),
               {"'" + g + ".weights.dynamic'"});
  expect_error(with(base, "/config_groups/group_0/input_activations"_json_pointer, nullptr),
               {"'" + g + ".input_activations'", "weight-only"});
  expect_error(
      with(base, "/config_groups/group_0/input_activations/strategy"_json_pointer, "token"),
      {"'" + g + ".input_activations.strategy' is \"token\""});
  expect_error(with(base, "/config_groups/group_0/input_activations/group_size"_json_pointer, 64),
               {"'" + g + ".input_activations.strategy'", "group_size 128"});
  expect_error(with(base, "/config_groups/group_0/targets"_json_pointer, {"re:.*attn.*"}),
               {"'" + g + ".targets' must include \"Linear\""});
  json two = base;
  two["config_groups"]["group_1"] = base["config_groups"]["group_0"];
  two["config_groups"]["group_1"]["weights"]["block_structure"] = {64, 64};
  expect_error(two, {"'quantization_config.config_groups.group_1' differs"});
  expect_error(with(base, "/kv_cache_scheme"_json_pointer, {{"num_bits", 8}}),
               {"'quantization_config.kv_cache_scheme'"});
  expect_error(with(base, "/quantization_status"_json_pointer, "frozen"),
               {"'quantization_config.quantization_status' is \"frozen\""});
  expect_error(with(base, "/transform_config"_json_pointer, {{"config_groups", 1}}),
               {"'quantization_config.transform_config' must be empty"});
  expect_error(with(base, "/format"_json_pointer, "pack-quantized"),
               {"'quantization_config.format' is \"pack-quantized\""});
  expect_error(with(base, "/ignore"_json_pointer, {"lm_head", "LlamaDecoderLayer"}),
               {"'quantization_config.ignore[1]'", "class name"});
  expect_error(with(base, "/ignore"_json_pointer, {"re:("}),
               {"'quantization_config.ignore[0]'", "not a supported module pattern"});
  expect_error(with(base, "/ignore"_json_pointer, {"re:"}), {"'quantization_config.ignore[0]'"});
}

// Every field replaced by every JSON type: a value or an Error, never another exception.
TEST(QuantConfig, AnyValueOfAnyFieldGivesValueOrError) {
  const std::vector<json> values = {nullptr, "s", 1.5, -1, 0, 8, 128, true, json::array(),
                                    json::object(), json::array({1, "a"}), json({128, 128}),
                                    ~uint64_t{0}};
  std::vector<json> bases = {fp8_case("variant").at("config_json"),
                             ct_fixture().at("quantization_config")};
  for (const json& base : bases) {
    const json flat = base.flatten();
    for (const auto& ptr : flat.items()) {
      json::json_pointer p(ptr.key());
      for (json::json_pointer q = p; !q.empty(); q = q.parent_pointer()) {
        for (const json& v : values) {
          try {
            parse(with(base, q, v));
          } catch (const Error&) {
          } catch (const std::exception& e) {
            ADD_FAILURE() << q.to_string() << " = " << v.dump() << ": " << e.what();
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace finefp8
