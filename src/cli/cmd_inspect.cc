// `finefp8 inspect PATH`: tensors, dtype totals, architecture and FP8 summary of a
// .safetensors file or a Hugging Face model directory. Reads headers only.
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

nlohmann::json config_summary(const nlohmann::json& c) {
  nlohmann::json out = nlohmann::json::object();
  for (const char* key : {"architectures", "model_type", "hidden_size", "num_hidden_layers",
                          "num_attention_heads", "num_key_value_heads", "head_dim",
                          "intermediate_size", "vocab_size", "torch_dtype", "dtype",
                          "tie_word_embeddings", "n_routed_experts", "kv_lora_rank"}) {
    if (c.contains(key) && !c.at(key).is_null()) out[key] = c.at(key);
  }
  return out;
}

int run_inspect(const InspectOptions& o) {
  const Checkpoint ckpt = Checkpoint::open(o.path);
  const CheckpointSummary s = summarize_checkpoint(ckpt);
  std::vector<std::string> shard_names;
  for (const auto& f : ckpt.shards()) shard_names.push_back(std::filesystem::path(f.path()).filename().string());
  const nlohmann::json quant_cfg =
      s.config && s.config->contains("quantization_config") ? s.config->at("quantization_config")
                                                             : nlohmann::json();

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
    nlohmann::json q;
    q["quantization_config"] = quant_cfg;
    q["fp8_linears"] = s.fp8_linears.size();
    std::map<std::string, size_t> scale_dtypes;
    for (const auto& l : s.fp8_linears) ++scale_dtypes[std::string(dtype_name(l.scale_dtype))];
    q["scale_dtypes"] = scale_dtypes;
    q["fp8_without_scale"] = s.fp8_without_scale;
    q["unquantized_2d_weights"] = s.unquantized_2d_weights;
    j["quantization"] = q;
    fmt::print("{}\n", j.dump(2));
    return 0;
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
    fmt::print("\narchitecture: no config.json next to the weights\n");
  }
  fmt::print("\nquantization: ");
  if (s.fp8_linears.empty() && s.fp8_without_scale.empty()) {
    fmt::print("none (no FP8 weights)\n");
  } else {
    std::map<std::string, size_t> scale_dtypes;
    for (const auto& l : s.fp8_linears) ++scale_dtypes[std::string(dtype_name(l.scale_dtype))];
    fmt::print("{} FP8 linear weight(s), scales {}\n", s.fp8_linears.size(), scale_dtypes);
    if (!quant_cfg.is_null()) fmt::print("  quantization_config: {}\n", quant_cfg.dump());
    if (!s.fp8_without_scale.empty()) {
      fmt::print("  WARNING: {} FP8 weight(s) without a scale tensor: {}\n",
                 s.fp8_without_scale.size(), fmt::join(s.fp8_without_scale, ", "));
    }
  }
  fmt::print("  left unquantized (2-D float weights): {}\n",
             s.unquantized_2d_weights.empty() ? "none" : fmt::format("{}", fmt::join(s.unquantized_2d_weights, ", ")));
  return 0;
}

}  // namespace

Runner add_inspect(CLI::App& app) {
  auto o = std::make_shared<InspectOptions>();
  app.add_option("path", o->path, "A .safetensors file or a Hugging Face model directory")
      ->required();
  app.add_flag("--json", o->json, "Print everything as JSON");
  app.add_flag("--no-tensors", o->no_tensors, "Omit the per-tensor table");
  return [o] { return run_inspect(*o); };
}

}  // namespace finefp8::cli
