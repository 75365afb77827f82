// Test driver for the runtime (tests/python/test_runtime_golden.py): loads a model as asked
// and prints, as one JSON object, the logits of every position of the first prompt and the
// greedy continuations of all prompts; or saves the loaded model.
//   finefp8_model_tool run DIR [--dtype f32|bf16|auto] [--quantize] [--mode w8a8|w8a16]
//                      [--dequantize] --prompt 1,2,3 [--prompt ...] [--steps N]
//   finefp8_model_tool save DIR OUT [--quantize]
#include <cstdio>
#include <sstream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "model/causal_lm.h"
#include "util/error.h"

using namespace finefp8;

namespace {

std::vector<int32_t> parse_ids(const std::string& s) {
  std::vector<int32_t> ids;
  std::stringstream in(s);
  std::string tok;
  while (std::getline(in, tok, ',')) ids.push_back(std::stoi(tok));
  return ids;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("finefp8 runtime test driver");
  app.require_subcommand(1);
  std::string dir, out, dtype = "auto", mode = "w8a8";
  std::vector<std::string> prompts;
  bool quantize = false, dequantize = false;
  size_t steps = 32;
  int threads = 0;
  auto* run = app.add_subcommand("run");
  run->add_option("dir", dir)->required();
  run->add_option("--dtype", dtype);
  run->add_flag("--quantize", quantize);
  run->add_flag("--dequantize", dequantize);
  run->add_option("--mode", mode);
  run->add_option("--prompt", prompts)->required();
  run->add_option("--steps", steps);
  run->add_option("--threads", threads);
  auto* save = app.add_subcommand("save");
  save->add_option("dir", dir)->required();
  save->add_option("out", out)->required();
  save->add_flag("--quantize", quantize);
  CLI11_PARSE(app, argc, argv);
  try {
    LoadOptions opt;
    opt.threads = threads;
    opt.dtype = dtype == "f32"    ? LoadOptions::DTypeRequest::kF32
                : dtype == "bf16" ? LoadOptions::DTypeRequest::kBF16
                                  : LoadOptions::DTypeRequest::kAuto;
    FineGrainedFP8Config q;
    q.mode = mode == "w8a16" ? cpu::Fp8Mode::kW8A16 : cpu::Fp8Mode::kW8A8;
    q.dequantize = dequantize;
    opt.quantization = q;  // used only for FP8 checkpoints unless --quantize
    if (!quantize) {
      // An unquantized checkpoint stays unquantized; an FP8 one takes mode/dequantize.
      opt.quantization = std::nullopt;
      if (std::filesystem::exists(std::filesystem::path(dir) / "config.json")) {
        auto cfg = load_model_config(std::filesystem::path(dir) / "config.json");
        if (cfg.quantization_config) opt.quantization = q;
      }
    }
    CausalLM model = CausalLM::from_pretrained(dir, opt);
    if (save->parsed()) {
      model.save_pretrained(out);
      return 0;
    }
    nlohmann::json j;
    const auto first = parse_ids(prompts.at(0));
    const auto logits = model.forward(first, true);
    const size_t V = size_t(model.config().vocab_size);
    nlohmann::json rows = nlohmann::json::array();
    for (size_t i = 0; i < first.size(); ++i) {
      rows.push_back(std::vector<float>(logits.begin() + long(i * V), logits.begin() + long((i + 1) * V)));
    }
    j["logits"] = rows;
    j["greedy"] = nlohmann::json::array();
    for (const auto& p : prompts) {
      GenerationConfig g;
      g.max_new_tokens = steps;
      g.ignore_eos = true;
      j["greedy"].push_back(model.generate(parse_ids(p), g));
    }
    const ModelMemory mem = model.memory();
    j["memory"] = {{"parameters", mem.parameters}, {"fp8_parameters", mem.fp8_parameters},
                   {"weight_bytes", mem.weight_bytes}, {"kv_cache_bytes", mem.kv_cache_bytes}};
    std::printf("%s\n", j.dump().c_str());
  } catch (const Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
