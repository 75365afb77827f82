#include "io/quant_config.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include <fmt/format.h>

#include "io/model_config.h"
#include "io/module_pattern.h"
#include "util/error.h"

namespace finefp8 {
namespace {

std::string_view strip_re(std::string_view target) {
  return target.substr(3);
}

bool is_re(std::string_view target) { return target.starts_with("re:"); }

// ---------------------------------------------------------------------------------------------
// Parsing

constexpr int64_t kMaxBlock = ConfigFields::kMaxSize;

BlockShape block_shape(const ConfigFields& f, std::string_view key, bool null_allowed) {
  const nlohmann::json* v = f.find(key);
  FINEFP8_ASSERT(v != nullptr);
  if (!v->is_array() || v->size() != 2) {
    f.fail(key, fmt::format("must be two positive integers [rows, cols]{}, got {}",
                            null_allowed ? " (or null for one scale per tensor)" : "",
                            v->is_array() ? fmt::format("{} entries", v->size())
                                          : ConfigFields::describe(*v)));
  }
  int dims[2] = {0, 0};
  for (size_t i = 0; i < 2; ++i) {
    const nlohmann::json& e = (*v)[i];
    bool ok = (e.is_number_unsigned() && e.get<uint64_t>() >= 1 &&
               e.get<uint64_t>() <= static_cast<uint64_t>(kMaxBlock)) ||
              (e.is_number_integer() && !e.is_number_unsigned() && e.get<int64_t>() >= 1 &&
               e.get<int64_t>() <= kMaxBlock);
    if (!ok) {
      fail("{}: '{}[{}]' must be a positive integer below 2^31, got {}", f.source(),
           f.field(key), i, ConfigFields::describe(e));
    }
    dims[i] = static_cast<int>(e.get<int64_t>());
  }
  return BlockShape{dims[0], dims[1]};
}

// `fp8` dialect skip patterns: Python regexes; an empty one would skip every module.
std::vector<std::string> fp8_patterns(const ConfigFields& f, std::string_view key) {
  std::vector<std::string> out = f.strings(key);
  for (size_t i = 0; i < out.size(); ++i) {
    const std::string field = fmt::format("{}[{}]", f.field(key), i);
    if (out[i].empty()) {
      fail("{}: '{}' is empty; transformers would then skip every module (any name ends with "
           "\"\"); remove it",
           f.source(), field);
    }
    check_module_pattern(out[i], f.source(), field);
  }
  return out;
}

Fp8QuantConfig parse_fp8(const ConfigFields& f, const nlohmann::json& qc) {
  Fp8QuantConfig c;
  c.quant_method = "fp8";
  c.fmt = f.string_or("fmt", "e4m3");
  if (c.fmt != "e4m3") {
    f.fail("fmt", fmt::format("is \"{}\"; fine-grained FP8 checkpoints use \"e4m3\"", c.fmt));
  }
  c.activation_scheme = f.string_or("activation_scheme", "dynamic");
  for (char& ch : c.activation_scheme) {  // transformers lower-cases it
    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  if (c.activation_scheme != "dynamic" && c.activation_scheme != "static") {
    f.fail("activation_scheme",
           fmt::format("is \"{}\"; must be \"dynamic\" or \"static\"", c.activation_scheme));
  }
  // Absent: the default 128x128 blocks; present and null: one scale per tensor.
  auto block = qc.find("weight_block_size");
  if (block != qc.end()) {
    if (block->is_null()) {
      c.weight_block_size.reset();
    } else {
      c.weight_block_size = block_shape(f, "weight_block_size", true);
    }
  }
  c.dequantize = f.boolean_or("dequantize", false);
  c.scale_fmt = f.string_or("scale_fmt", "float");
  if (c.scale_fmt != "float" && c.scale_fmt != "ue8m0") {
    f.fail("scale_fmt", fmt::format("is \"{}\"; must be \"float\" or \"ue8m0\"", c.scale_fmt));
  }
  c.expert_dtype = f.string_or("expert_dtype", "fp8");
  if (c.expert_dtype != "fp8") {
    f.fail("expert_dtype",
           fmt::format("is \"{}\"; finefp8 reads only \"fp8\" experts (\"fp4\" is DeepSeek-V4's "
                       "packed FP4, not supported)",
                       c.expert_dtype));
  }
  // transformers: `ignored_layers` (MiniMax) only when modules_to_not_convert is None.
  if (f.has("modules_to_not_convert")) {
    c.modules_to_not_convert = fp8_patterns(f, "modules_to_not_convert");
  } else if (f.has("ignored_layers")) {
    c.modules_to_not_convert = fp8_patterns(f, "ignored_layers");
  }
  if (f.has("modules_to_convert")) {  // plain name suffixes, not regexes
    c.modules_to_convert = f.strings("modules_to_convert");
    for (size_t i = 0; i < c.modules_to_convert->size(); ++i) {
      if ((*c.modules_to_convert)[i].empty()) {
        fail("{}: '{}[{}]' is empty, which would convert every embedding table; remove it",
             f.source(), f.field("modules_to_convert"), i);
      }
    }
  }
  c.scale_naming = ScaleNaming::kWeightScaleInv;
  return c;
}

void expect_string(const ConfigFields& f, std::string_view key, std::string_view want) {
  std::string got = f.string(key);
  if (got != want) {
    f.fail(key, fmt::format("is \"{}\"; an FP8 block scheme has \"{}\"", got, want));
  }
}

// One compressed-tensors config group -> (block, activation scheme).
std::pair<BlockShape, std::string> parse_ct_group(const ConfigFields& g) {
  if (g.has("targets")) {
    std::vector<std::string> targets = g.strings("targets");
    if (std::find(targets.begin(), targets.end(), "Linear") == targets.end()) {
      g.fail("targets", "must include \"Linear\": finefp8 reads FP8 block schemes applied to "
                        "every Linear layer");
    }
  }
  if (g.has("format") && g.string("format") != "float-quantized") {
    g.fail("format", fmt::format("is \"{}\"; FP8 block weights are \"float-quantized\"",
                                 g.string("format")));
  }
  if (g.has("output_activations")) g.fail("output_activations", "must be null");
  ConfigFields w = g.object("weights");
  if (w.integer("num_bits", 0, 1 << 20) != 8) w.fail("num_bits", "must be 8 for FP8");
  expect_string(w, "type", "float");
  expect_string(w, "strategy", "block");
  if (!w.boolean_or("symmetric", true)) w.fail("symmetric", "must be true for FP8");
  if (w.boolean_or("dynamic", false)) {
    w.fail("dynamic", "must be false (weights have stored scales)");
  }
  if (!w.has("block_structure")) w.fail("block_structure", "is missing (e.g. [128, 128])");
  BlockShape block = block_shape(w, "block_structure", false);

  if (!g.has("input_activations")) {
    g.fail("input_activations",
           "is missing or null: weight-only FP8 block schemes are not supported");
  }
  ConfigFields a = g.object("input_activations");
  if (a.integer("num_bits", 0, 1 << 20) != 8) a.fail("num_bits", "must be 8 for FP8");
  expect_string(a, "type", "float");
  if (!a.boolean_or("symmetric", true)) a.fail("symmetric", "must be true for FP8");
  std::string strategy = a.string("strategy");
  if (a.boolean("dynamic")) {
    if (strategy != "group" || a.integer("group_size", 1, kMaxBlock) != 128) {
      a.fail("strategy", fmt::format("is \"{}\"; dynamic activations must be per-token groups "
                                     "(\"group\", group_size 128)",
                                     strategy));
    }
    return {block, "dynamic"};
  }
  if (strategy != "tensor") {
    a.fail("strategy", fmt::format("is \"{}\"; static activations must be per \"tensor\"",
                                   strategy));
  }
  return {block, "static"};
}

Fp8QuantConfig parse_compressed_tensors(const ConfigFields& f) {
  Fp8QuantConfig c;
  c.quant_method = "compressed-tensors";
  c.scale_naming = ScaleNaming::kWeightScale;
  if (f.has("format")) {
    std::string format = f.string("format");
    if (format != "float-quantized" && format != "mixed-precision") {
      f.fail("format", fmt::format("is \"{}\"; FP8 block checkpoints are \"float-quantized\"",
                                   format));
    }
  }
  if (f.has("quantization_status") && f.string("quantization_status") != "compressed") {
    f.fail("quantization_status",
           fmt::format("is \"{}\"; only \"compressed\" checkpoints hold FP8 weights",
                       f.string("quantization_status")));
  }
  if (f.has("kv_cache_scheme")) {
    f.fail("kv_cache_scheme", "must be null (FP8 KV cache is not supported)");
  }
  for (std::string_view key : {"sparsity_config", "transform_config", "moe_sparsity_config"}) {
    if (!f.has(key)) continue;
    const ConfigFields s = f.object(key);
    const bool dense = key == "sparsity_config" && s.string_or("format", "") == "dense";
    if (!f.find(key)->empty() && !dense) {
      f.fail(key, "must be empty: sparse or transformed weights are not supported");
    }
  }
  ConfigFields groups = f.object("config_groups");
  const nlohmann::json& gj = *f.find("config_groups");
  if (gj.empty()) f.fail("config_groups", "is empty");
  bool first = true;
  for (const auto& [name, value] : gj.items()) {
    (void)value;
    auto [block, scheme] = parse_ct_group(groups.object(name));
    if (first) {
      c.weight_block_size = block;
      c.activation_scheme = scheme;
      first = false;
    } else if (block.rows != c.weight_block_size->rows ||
               block.cols != c.weight_block_size->cols || scheme != c.activation_scheme) {
      groups.fail(name, "differs from the first group: mixed schemes are not supported");
    }
  }
  std::vector<std::string> ignore;
  if (f.has("ignore")) ignore = f.strings("ignore");
  for (size_t i = 0; i < ignore.size(); ++i) {
    const std::string field = fmt::format("{}[{}]", f.field("ignore"), i);
    const std::string& e = ignore[i];
    if (is_re(e)) {
      if (e.size() == 3) {
        fail("{}: '{}' is \"re:\" with an empty pattern, which ignores every module; remove it",
             f.source(), field);
      }
      check_module_pattern(strip_re(e), f.source(), field);
    } else if (e.find('.') == std::string::npos &&
               std::any_of(e.begin(), e.end(),
                           [](char ch) { return std::isupper(static_cast<unsigned char>(ch)); })) {
      fail("{}: '{}' = {} looks like a module class name; finefp8 matches module names "
           "only (list them, or use \"re:\")",
           f.source(), field, ConfigFields::describe(nlohmann::json(e)));
    }
  }
  c.modules_to_not_convert = std::move(ignore);
  return c;
}

}  // namespace

void check_module_pattern(std::string_view pattern, std::string_view source,
                          std::string_view field) {
  (void)ModulePattern(pattern, fmt::format("{}: '{}' = {}", source, field,
                                           ConfigFields::describe(nlohmann::json(std::string(pattern)))));
}

bool transformers_pattern_matches(std::string_view pattern, std::string_view name) {
  // transformers' should_convert_module, verbatim:
  //   re.match(rf"(?:{pattern})(?:(?<=\.)|(?=\.|$))", name) or name.endswith(pattern)
  if (name.ends_with(pattern)) return true;
  const std::string what =
      fmt::format("module pattern {}", ConfigFields::describe(nlohmann::json(std::string(pattern))));
  (void)ModulePattern(pattern, what);  // so a bad pattern's error shows the pattern alone
  const ModulePattern re("(?:" + std::string(pattern) + ")(?:(?<=\\.)|(?=\\.|$))", what);
  return re.match_prefix(name);
}

bool compressed_tensors_pattern_matches(std::string_view target, std::string_view name) {
  // compressed-tensors match_name: "re:P" -> re.match(P, name); otherwise exact equality.
  if (!is_re(target)) return target == name;
  const ModulePattern re(strip_re(target),
                         fmt::format("ignore pattern {}",
                                     ConfigFields::describe(nlohmann::json(std::string(target)))));
  return re.match_prefix(name);
}

bool module_not_converted(const Fp8QuantConfig& cfg, std::string_view module_name) {
  const bool ct = cfg.quant_method == "compressed-tensors";
  // transformers' default skip list (get_keys_to_not_convert) for a causal LM: the output
  // embedding. compressed-tensors: no `ignore`, nothing skipped.
  static const std::vector<std::string> kDefaultSkips{"lm_head"}, kNone;
  const std::vector<std::string>& patterns =
      cfg.modules_to_not_convert ? *cfg.modules_to_not_convert : (ct ? kNone : kDefaultSkips);
  constexpr std::string_view kPrefix = "model.";
  const std::string other = module_name.starts_with(kPrefix)
                                ? std::string(module_name.substr(kPrefix.size()))
                                : std::string(kPrefix) + std::string(module_name);
  for (const std::string& p : patterns) {
    for (std::string_view name : {module_name, std::string_view(other)}) {
      if (ct ? compressed_tensors_pattern_matches(p, name)
             : transformers_pattern_matches(p, name)) {
        return true;
      }
    }
  }
  return false;
}

Fp8QuantConfig parse_quant_config(const nlohmann::json& qc, std::string_view source) {
  if (!qc.is_object()) {
    fail("{}: 'quantization_config' must be an object, got {}", source,
         ConfigFields::describe(qc));
  }
  ConfigFields::check_depth(qc, source);
  try {
    ConfigFields f(qc, source, "quantization_config");
    const std::string method = f.string("quant_method");
    if (method == "fp8") return parse_fp8(f, qc);
    if (method == "compressed-tensors") return parse_compressed_tensors(f);
    f.fail("quant_method", fmt::format("is \"{}\"; finefp8 reads fine-grained FP8 checkpoints: "
                                       "\"fp8\" or \"compressed-tensors\" (FP8 block scheme)",
                                       method));
  } catch (const nlohmann::json::exception& e) {
    fail("{}: malformed quantization_config: {}", source, e.what());
  }
}

nlohmann::json to_transformers_json(const Fp8QuantConfig& cfg) {
  auto patterns = [&](const std::optional<std::vector<std::string>>& list) {
    if (!list) return nlohmann::json(nullptr);
    nlohmann::json out = nlohmann::json::array();
    for (const std::string& p : *list) {
      out.push_back(cfg.quant_method == "compressed-tensors" && is_re(p) ? std::string(strip_re(p))
                                                                         : p);
    }
    return out;
  };
  nlohmann::json j = nlohmann::json::object();
  j["quant_method"] = "fp8";
  j["activation_scheme"] = cfg.activation_scheme;
  j["weight_block_size"] =
      cfg.weight_block_size
          ? nlohmann::json::array({cfg.weight_block_size->rows, cfg.weight_block_size->cols})
          : nlohmann::json(nullptr);
  j["dequantize"] = cfg.dequantize;
  j["scale_fmt"] = cfg.scale_fmt;
  j["expert_dtype"] = cfg.expert_dtype;
  j["modules_to_not_convert"] = patterns(cfg.modules_to_not_convert);
  j["modules_to_convert"] = patterns(cfg.modules_to_convert);
  return j;
}

}  // namespace finefp8
