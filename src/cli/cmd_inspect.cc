// `finefp8 inspect PATH`: tensors, dtype totals, architecture and FP8 summary of a
// .safetensors file or a Hugging Face model directory (headers only); metadata and tensors of
// a .gguf file (cmd_inspect_gguf.cc).
#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "io/checkpoint.h"
#include "io/checkpoint_summary.h"

namespace finefp8::cli {
namespace {

struct InspectOptions {
  std::string path;
  bool json = false;
  bool no_tensors = false;
};

std::string human_bytes(uint64_t b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = double(b);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", b) : fmt::format("{:.2f} {}", v, units[u]);
}

std::string shape_str(const std::vector<uint64_t>& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

nlohmann::ordered_json config_summary(const ModelConfig& c) {
  nlohmann::ordered_json out = {
      {"architecture", c.architecture}, {"hidden_size", c.hidden_size},
      {"num_hidden_layers", c.num_hidden_layers}, {"num_attention_heads", c.num_attention_heads},
      {"num_key_value_heads", c.num_key_value_heads}, {"head_dim", c.head_dim},
      {"intermediate_size", c.intermediate_size}, {"vocab_size", c.vocab_size},
      {"max_position_embeddings", c.max_position_embeddings}, {"rope_theta", c.rope_theta},
      {"rope_scaling", c.rope_scaling.type}, {"tie_word_embeddings", c.tie_word_embeddings},
      {"dtype", c.torch_dtype}};
  if (c.n_routed_experts > 0) {
    out["experts"] = {{"routed", c.n_routed_experts}, {"shared", c.n_shared_experts},
                      {"per_token", c.num_experts_per_tok}};
  }
  if (c.kv_lora_rank > 0) out["mla"] = {{"kv_lora_rank", c.kv_lora_rank}, {"q_lora_rank", c.q_lora_rank ? nlohmann::json(*c.q_lora_rank) : nlohmann::json()}};
  return out;
}

std::string describe_quant(const Fp8QuantConfig& q) {
  const std::string block = q.weight_block_size ? fmt::format("{}x{} blocks", q.weight_block_size->rows,
                                                              q.weight_block_size->cols)
                                                : std::string("per-tensor scales");
  return fmt::format("{} ({}), activations {}, scale_fmt {}, scales named *.weight{}, "
                     "modules_to_not_convert {}",
                     q.quant_method, block, q.activation_scheme, q.scale_fmt,
                     q.scale_naming == ScaleNaming::kWeightScale ? "_scale" : "_scale_inv",
                     q.modules_to_not_convert ? nlohmann::json(*q.modules_to_not_convert).dump()
                                              : std::string("null (lm_head)"));
}

int run_inspect(const InspectOptions& o) {
  if (o.path.ends_with(".gguf")) return run_inspect_gguf(o.path, o.json, o.no_tensors);
  const Checkpoint ckpt = Checkpoint::open(o.path);
  const CheckpointSummary s = summarize_checkpoint(ckpt);
  std::vector<std::string> shard_names;
  for (const auto& f : ckpt.shards()) shard_names.push_back(std::filesystem::path(f.path()).filename().string());

  if (o.json) {
    nlohmann::ordered_json j;
    j["path"] = o.path;
    j["shards"] = nlohmann::json::array();
    for (const auto& f : ckpt.shards()) {
      j["shards"].push_back({{"file", std::filesystem::path(f.path()).filename().string()},
                             {"bytes", f.file_size()}, {"tensors", f.tensors().size()}});
    }
    if (!o.no_tensors) {
      j["tensors"] = nlohmann::json::array();
      for (const auto& e : ckpt.tensors()) {
        j["tensors"].push_back({{"name", e.info->name}, {"dtype", dtype_name(e.info->dtype)},
                                {"shape", e.info->shape}, {"bytes", e.info->bytes()},
                                {"shard", shard_names[e.shard]}});
      }
    }
    for (const auto& [dt, t] : s.by_dtype) {
      j["dtype_totals"][std::string(dtype_name(dt))] = {
          {"tensors", t.tensors}, {"elements", t.elements}, {"bytes", t.bytes}};
    }
    j["total_bytes"] = s.total_bytes;
    j["total_elements"] = s.total_elements;
    if (s.config) j["config"] = config_summary(*s.config);
    if (!s.config_error.empty()) j["config_error"] = s.config_error;
    nlohmann::json q;
    q["quantization_config"] = s.quant ? to_transformers_json(*s.quant) : nlohmann::json();
    q["fp8_check"] = s.fp8_error.empty() ? "ok" : s.fp8_error;
    q["fp8_linears"] = s.fp8_linears.size();
    std::map<std::string, size_t> scale_dtypes;
    for (const auto& l : s.fp8_linears) ++scale_dtypes[std::string(dtype_name(l.scale_dtype))];
    q["scale_dtypes"] = scale_dtypes;
    q["fp8_without_scale"] = s.fp8_without_scale;
    q["unquantized_2d_weights"] = s.unquantized_2d_weights;
    j["quantization"] = q;
    fmt::print("{}\n", j.dump(2));
    return s.fp8_error.empty() ? 0 : 1;
  }

  fmt::print("{}: {} tensor(s) in {} shard(s), {} of tensor data, {:.3f} B parameters\n", o.path,
             ckpt.tensors().size(), ckpt.shards().size(), human_bytes(s.total_bytes),
             double(s.total_elements) / 1e9);
  if (!o.no_tensors) {
    size_t width = 4;
    for (const auto& e : ckpt.tensors()) width = std::max(width, e.info->name.size());
    fmt::print("\n{:<{}}  {:<8} {:<20} {:>12}  {}\n", "name", width, "dtype", "shape", "bytes", "shard");
    for (const auto& e : ckpt.tensors()) {
      fmt::print("{:<{}}  {:<8} {:<20} {:>12}  {}\n", e.info->name, width, dtype_name(e.info->dtype),
                 shape_str(e.info->shape), e.info->bytes(), shard_names[e.shard]);
    }
  }
  fmt::print("\ndtype totals:\n");
  for (const auto& [dt, t] : s.by_dtype) {
    fmt::print("  {:<8} {:>6} tensors {:>16} elements {:>12}\n", dtype_name(dt), t.tensors,
               t.elements, human_bytes(t.bytes));
  }
  if (s.config) {
    fmt::print("\narchitecture: {}\n", config_summary(*s.config).dump());
  } else {
    fmt::print("\narchitecture: unknown: {}\n", s.config_error);
  }
  fmt::print("\nquantization: ");
  if (s.fp8_linears.empty() && s.fp8_without_scale.empty()) {
    fmt::print("none (no FP8 weights)\n");
  } else {
    std::map<std::string, size_t> scale_dtypes;
    for (const auto& l : s.fp8_linears) ++scale_dtypes[std::string(dtype_name(l.scale_dtype))];
    fmt::print("{} FP8 linear weight(s), scales {}\n", s.fp8_linears.size(), scale_dtypes);
    if (s.quant) fmt::print("  config: {}\n", describe_quant(*s.quant));
  }
  fmt::print("  left unquantized (2-D float weights): {}\n",
             s.unquantized_2d_weights.empty() ? "none" : fmt::format("{}", fmt::join(s.unquantized_2d_weights, ", ")));
  if (!s.fp8_linears.empty() || !s.fp8_without_scale.empty()) {
    if (s.fp8_error.empty()) {
      fmt::print("  FP8 check: ok (every FP8 weight has a finite positive scale on the ceil grid)\n");
    } else {
      fmt::print(stderr, "finefp8 inspect: error: FP8 check failed: {}\n", s.fp8_error);
      return 1;
    }
  }
  return 0;
}

}  // namespace

Runner add_inspect(CLI::App& app) {
  auto o = std::make_shared<InspectOptions>();
  app.add_option("path", o->path, "A .safetensors file, a Hugging Face model directory or a .gguf file")
      ->required();
  app.add_flag("--json", o->json, "Print everything as JSON");
  app.add_flag("--no-tensors", o->no_tensors, "Omit the per-tensor table");
  return [o] { return run_inspect(*o); };
}

}  // namespace finefp8::cli
