// `finefp8 generate -m MODEL -p PROMPT`: load (quantizing on load if asked), generate with
// streaming output, report speed and memory; optionally save the FP8 model.
#include <cstdio>
#include <optional>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/generate_options.h"
#include "model/causal_lm.h"
#include "model/chat_prompt.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"
#include "util/memory_usage.h"

namespace finefp8::cli {
namespace {


// Holds back output that might be the start of a stop string; reports a full match.
class StopFilter {
 public:
  explicit StopFilter(std::vector<std::string> stops) : stops_(std::move(stops)) {}
  // Appends text; returns what can be printed now. Sets stopped() when a stop string appears
  // (the text from it on is dropped).
  std::string push(const std::string& text) {
    pending_ += text;
    for (const auto& s : stops_) {
      const size_t at = pending_.find(s);
      if (!s.empty() && at != std::string::npos) {
        stopped_ = true;
        std::string out = pending_.substr(0, at);
        pending_.clear();
        return out;
      }
    }
    size_t keep = 0;  // longest suffix of pending_ that is a proper prefix of a stop string
    for (const auto& s : stops_) {
      for (size_t n = std::min(s.size() - (s.empty() ? 0 : 1), pending_.size()); n > keep; --n) {
        if (pending_.compare(pending_.size() - n, n, s, 0, n) == 0) {
          keep = n;
          break;
        }
      }
    }
    std::string out = pending_.substr(0, pending_.size() - keep);
    pending_.erase(0, pending_.size() - keep);
    return out;
  }
  std::string flush() { return std::exchange(pending_, {}); }
  bool stopped() const { return stopped_; }

 private:
  std::vector<std::string> stops_;
  std::string pending_;
  bool stopped_ = false;
};

}  // namespace

int run_generate(const GenerateCliOptions& c) {
  LoadOptions opt;
  opt.threads = c.threads;
  opt.context = c.context;
  opt.dtype = c.dtype == "bf16"  ? LoadOptions::DTypeRequest::kBF16
              : c.dtype == "f32" ? LoadOptions::DTypeRequest::kF32
                                 : LoadOptions::DTypeRequest::kAuto;
  FineGrainedFP8Config q;
  q.mode = c.mode == "w8a16" ? cpu::Fp8Mode::kW8A16 : cpu::Fp8Mode::kW8A8;
  q.dequantize = c.dequantize;
  q.weight_block_size = parse_block_shape(c.block);
  opt.quantization = q;  // for an FP8 checkpoint: the kernel mode; otherwise quantize on load
  const bool quantize_on_load = c.quantize == "fp8";

  const Tokenizer tok = Tokenizer::load(c.model);
  std::string text = c.prompt;
  const auto tmpl = tok.chat_template();
  const auto family = tmpl ? chat_family(*tmpl) : std::nullopt;
  if (c.chat == "on" && !family) {
    fail("--chat on: {} has {} chat template finefp8 knows (ChatML, Llama 3, Llama 2); use --chat off",
         c.model, tmpl ? "no" : "no chat template, so no");
  }
  const bool chat = c.chat == "on" || (c.chat == "auto" && family.has_value());
  if (chat) text = chat_prompt(*family, *tmpl, c.prompt, c.system);
  const std::vector<int32_t> prompt = tok.encode(text, {.add_special = !chat, .parse_special = chat});

  const auto cfg_probe = load_model_config(std::filesystem::path(c.model) / "config.json");
  if (!quantize_on_load && !cfg_probe.quantization_config) opt.quantization = std::nullopt;
  if (quantize_on_load && cfg_probe.quantization_config) {
    fail("--quantize fp8: {} is already an FP8 checkpoint", c.model);
  }
  if (!c.quiet) fmt::print(stderr, "loading {}{} ...\n", c.model, quantize_on_load ? " (quantizing to FP8 on load)" : "");
  CausalLM model = CausalLM::from_pretrained(c.model, opt);
  const ModelMemory mem = model.memory();
  if (!c.quiet) {
    const auto& qz = model.quantization();
    fmt::print(stderr, "model: {} ({} layers), {:.1f} M parameters, {:.1f} M in FP8 ({}), weights {:.1f} MB, "
               "KV cache {:.1f} MB for {} tokens, {} threads\n",
               model.config().architecture, model.config().num_hidden_layers, mem.parameters / 1e6,
               mem.fp8_parameters / 1e6,
               !qz ? "none" : qz->dequantize ? "dequantized to bf16" : qz->mode == cpu::Fp8Mode::kW8A8 ? "W8A8" : "W8A16",
               mem.weight_bytes / 1e6, mem.kv_cache_bytes / 1e6, model.context(), model.backend().threads());
  }
  if (!c.save.empty()) {
    model.save_pretrained(c.save, c.force);
    if (!c.quiet) fmt::print(stderr, "saved {}\n", c.save);
  }

  GenerationConfig g;
  g.max_new_tokens = c.max_new_tokens;
  g.ignore_eos = c.ignore_eos;
  g.sampling = model.default_sampling();
  g.sampling.seed = c.seed;
  if (c.temperature) g.sampling.temperature = *c.temperature;
  if (c.top_k) g.sampling.top_k = *c.top_k;
  if (c.top_p) g.sampling.top_p = *c.top_p;
  if (c.min_p) g.sampling.min_p = *c.min_p;
  if (c.repetition_penalty) g.sampling.repetition_penalty = *c.repetition_penalty;
  g.eos_ids = model.eos_ids();
  for (int32_t e : tok.eos_ids()) {
    if (std::find(g.eos_ids.begin(), g.eos_ids.end(), e) == g.eos_ids.end()) g.eos_ids.push_back(e);
  }

  StreamingDecoder decoder(tok, /*skip_special=*/true);
  StopFilter stop(c.stop);
  if (!chat) {
    std::fputs(c.prompt.c_str(), stdout);
  }
  std::fflush(stdout);
  GenerationStats st;
  model.generate(prompt, g, [&](int32_t id) {
    if (std::find(g.eos_ids.begin(), g.eos_ids.end(), id) != g.eos_ids.end() && !c.ignore_eos) return true;
    const std::string out = stop.push(decoder.push(id));
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
    return !stop.stopped();
  }, &st);
  if (!stop.stopped()) {
    const std::string rest = stop.push(decoder.flush()) + stop.flush();
    std::fwrite(rest.data(), 1, rest.size(), stdout);
  }
  std::fputs("\n", stdout);
  std::fflush(stdout);
  if (!c.quiet) {
    const MemoryUsage mu = memory_usage();
    fmt::print(stderr,
               "prompt: {} tokens in {:.2f} s ({:.1f} tokens/s); generation: {} tokens in {:.2f} s "
               "({:.1f} tokens/s); stop: {}; resident {:.0f} MB (peak {:.0f} MB)\n",
               st.prompt_tokens, st.prompt_seconds, st.prompt_tokens / std::max(st.prompt_seconds, 1e-9),
               st.generated_tokens, st.generation_seconds,
               st.generated_tokens / std::max(st.generation_seconds, 1e-9),
               stop.stopped() ? "stop string" : st.stop_reason, mu.resident_bytes / 1e6,
               mu.peak_resident_bytes / 1e6);
  }
  return 0;
}

Runner add_generate(CLI::App& app) {
  auto c = std::make_shared<GenerateCliOptions>();
  app.description(
      "Generate text with a Llama-family model (Llama 2/3, SmolLM2, Mistral, Qwen2, Qwen3) from a Hugging Face "
      "directory: an FP8 checkpoint as it is, or a bf16/fp16/fp32 one (quantized on load with --quantize fp8). "
      "Output streams to stdout; speed and memory go to stderr.");
  app.add_option("-m,--model", c->model, "Model directory (config.json, *.safetensors, tokenizer.json)")->required();
  app.add_option("-p,--prompt", c->prompt, "Prompt text")->required();
  app.add_option("-n,--max-new-tokens", c->max_new_tokens, "Maximum number of tokens to generate")->capture_default_str();
  app.add_option("--quantize", c->quantize, "fp8: quantize an unquantized checkpoint on load (fine-grained FP8, like FineGrainedFP8Config)")
      ->check(CLI::IsMember({"none", "fp8"}))->capture_default_str();
  app.add_option("--block", c->block, "FP8 weight block size with --quantize fp8, ROWSxCOLS")->capture_default_str();
  app.add_option("--mode", c->mode, "FP8 kernels: w8a8 (activations quantized per token group of 128, as transformers on GPU) "
                 "or w8a16 (bf16 activations)")->check(CLI::IsMember({"w8a8", "w8a16"}))->capture_default_str();
  app.add_flag("--dequantize", c->dequantize, "Dequantize FP8 weights to bf16 on load (transformers' dequantize=True)");
  app.add_option("--dtype", c->dtype, "Dtype of unquantized weights and activations: auto (the checkpoint's), bf16, f32")
      ->check(CLI::IsMember({"auto", "bf16", "f32"}))->capture_default_str();
  app.add_option("--chat", c->chat, "Wrap the prompt in the model's chat template: auto (if it has a known one), on, off")
      ->check(CLI::IsMember({"auto", "on", "off"}))->capture_default_str();
  app.add_option("--system", c->system, "System prompt for --chat (default: the template's own, if any)");
  app.add_option("--temperature,--temp", c->temperature, "Sampling temperature; 0 = greedy (default: generation_config.json, else greedy)");
  app.add_option("--top-k", c->top_k, "Keep the k most likely tokens (0 = off)");
  app.add_option("--top-p", c->top_p, "Nucleus sampling mass (1 = off)");
  app.add_option("--min-p", c->min_p, "Drop tokens below min_p x the top probability (0 = off)");
  app.add_option("--repeat-penalty,--repetition-penalty", c->repetition_penalty, "Repetition penalty (1 = off)");
  app.add_option("--seed", c->seed, "Random seed for sampling")->capture_default_str();
  app.add_option("--stop", c->stop, "Stop when this text is generated (repeatable; not printed)");
  app.add_flag("--ignore-eos", c->ignore_eos, "Do not stop at the model's end-of-sequence tokens");
  app.add_option("-t,--threads", c->threads, "Threads (0 = all cores)")->capture_default_str();
  app.add_option("-c,--ctx", c->context, "Context size in tokens for the KV cache (0 = min(model max, 4096))")->capture_default_str();
  app.add_option("--save", c->save, "Save the (quantized) model to this directory, as `finefp8 quantize` would");
  app.add_flag("-f,--force", c->force, "Let --save replace an existing directory");
  app.add_flag("-q,--quiet", c->quiet, "No progress, speed or memory report on stderr");
  return [c] { return run_generate(*c); };
}

}  // namespace finefp8::cli
