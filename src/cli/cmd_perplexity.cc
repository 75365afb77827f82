// `finefp8 perplexity -m MODEL -f TEXT`: llama.cpp-style perplexity over non-overlapping
// windows (src/eval/perplexity.h), of one model or, with --compare, of the bf16 baseline and
// the FP8 configs side by side with KL divergence and top-1 agreement against the baseline.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/model_variants.h"
#include "eval/perplexity.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"
#include "util/memory_usage.h"

namespace finefp8::cli {
namespace {

struct PerplexityCliOptions {
  ModelFlags m;
  std::string text;
  size_t ctx = 512, chunks = 0;
  bool compare = false, json = false;
};

// One model under evaluation and its statistics so far.
struct Evaluated {
  std::string config;  // "bf16", "w8a16", "w8a8", or the label of the single model
  CausalLM model;
  eval::NllAccumulator nll;
  eval::ComparisonAccumulator vs_base;  // empty for the baseline and a single model
  std::vector<double> chunk_ppl;        // cumulative PPL after each chunk
};

std::string read_text_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) fail("{}: no such text file", path);
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  if (!in) fail("{}: cannot read the text file", path);
  return s.str();
}

// The BOS id if the tokenizer adds one (llama.cpp then starts each window with it).
std::optional<int32_t> added_bos(const Tokenizer& tok) {
  const auto probe = tok.encode("", {.add_special = true});
  const auto bos = tok.bos_id();
  if (bos && !probe.empty() && probe.front() == *bos) return bos;
  return std::nullopt;
}

std::vector<Evaluated> load_models(const PerplexityCliOptions& c) {
  std::vector<Evaluated> out;
  auto load = [&](const std::string& config, const LoadOptions& opt) {
    if (!c.json) fmt::print(stderr, "loading {} as {} ...\n", c.m.model, config);
    CausalLM m = CausalLM::from_pretrained(c.m.model, opt);
    out.push_back({config == "model" ? quantization_label(m) : config, std::move(m), {}, {}, {}});
  };
  if (!c.compare) {
    load("model", single_load_options(c.m, c.ctx));
  } else {
    const bool fp8_source = is_fp8_checkpoint(c.m.model);
    for (const auto& cfg : kCompareConfigs) load(cfg, config_load_options(cfg, fp8_source, c.m, c.ctx));
  }
  const size_t max_pos = out.front().model.config().max_position_embeddings;
  if (max_pos > 0 && c.ctx > max_pos) {
    fmt::print(stderr, "warning: --ctx {} is longer than the model's max_position_embeddings {}\n", c.ctx, max_pos);
  }
  return out;
}

// Runs window `chunk` through every model; the first is the baseline the others are
// compared with (a model's logits stay valid until its own next forward).
void evaluate_chunk(std::vector<Evaluated>& models, const std::vector<int32_t>& window,
                    const eval::ChunkPlan& plan) {
  std::span<const float> base;
  size_t vocab = 0;
  for (size_t i = 0; i < models.size(); ++i) {
    Evaluated& e = models[i];
    e.model.reset();
    const std::span<const float> logits = e.model.forward(window, /*all_logits=*/true);
    vocab = logits.size() / window.size();
    e.nll.add(eval::score_window(logits, vocab, window, plan));
    e.chunk_ppl.push_back(e.nll.ppl());
    if (i == 0) {
      base = logits;
      continue;
    }
    for (size_t pos = plan.first; pos + 1 < plan.n_ctx; ++pos) {
      e.vs_base.add(eval::compare_rows(base.subspan(pos * vocab, vocab), logits.subspan(pos * vocab, vocab)));
    }
  }
}

void print_compare_table(const std::vector<Evaluated>& models) {
  fmt::print("| config | PPL | ratio | mean KL | 99.9% KL | top-1 agree |\n");
  fmt::print("|---|---:|---:|---:|---:|---:|\n");
  const double base_ppl = models.front().nll.ppl();
  for (size_t i = 0; i < models.size(); ++i) {
    const Evaluated& e = models[i];
    const bool b = i == 0;
    fmt::print("| {} | {:.4f} ± {:.5f} | {:.4f} | {:.6f} | {:.6f} | {:.3f}% |\n", e.config, e.nll.ppl(),
               e.nll.ppl_sd(), e.nll.ppl() / base_ppl, b ? 0.0 : e.vs_base.mean_kl(),
               b ? 0.0 : e.vs_base.kl_percentile(0.999), b ? 100.0 : 100 * e.vs_base.top1_agreement());
  }
}

nlohmann::json model_json(const Evaluated& e, const Evaluated& base, bool compare) {
  nlohmann::json j = {{"config", e.config}, {"ppl", e.nll.ppl()}, {"ppl_sd", e.nll.ppl_sd()},
                      {"nll_mean", e.nll.mean()}, {"chunk_ppl", e.chunk_ppl}};
  if (compare) {
    const bool b = &e == &base;
    j["ppl_ratio"] = e.nll.ppl() / base.nll.ppl();
    j["kl_mean"] = b ? 0.0 : e.vs_base.mean_kl();
    j["kl_p999"] = b ? 0.0 : e.vs_base.kl_percentile(0.999);
    j["top1_agreement"] = b ? 1.0 : e.vs_base.top1_agreement();
  }
  return j;
}

int run_perplexity(const PerplexityCliOptions& c) {
  if (c.compare && ((c.m.quantize_opt->count() > 0) || (c.m.mode_opt->count() > 0) || c.m.dequantize)) {
    fail("--compare loads its own configs (bf16, w8a16, w8a8): drop --quantize, --mode and --dequantize");
  }
  const std::string text = read_text_file(c.text);
  const Tokenizer tok = Tokenizer::load(c.m.model);
  const std::optional<int32_t> bos = added_bos(tok);
  const std::vector<int32_t> tokens = tok.encode(text, {.add_special = true});
  const eval::ChunkPlan plan = eval::plan_chunks(tokens.size(), c.ctx, c.chunks);
  std::vector<Evaluated> models = load_models(c);
  if (!c.json) {
    fmt::print(stderr, "perplexity: {} tokens{}, {} chunks of {} tokens, scoring the last {} of each\n",
               tokens.size(), bos ? " (BOS at the start of each chunk)" : "", plan.n_chunks, plan.n_ctx,
               plan.scored_per_chunk());
  }

  const auto t0 = std::chrono::steady_clock::now();
  for (size_t chunk = 0; chunk < plan.n_chunks; ++chunk) {
    evaluate_chunk(models, eval::chunk_window(tokens, plan, chunk, bos), plan);
    if (c.json) continue;
    if (!c.compare) {
      fmt::print("[{}]{:.4f},", chunk + 1, models.front().chunk_ppl.back());
      std::fflush(stdout);
    } else {
      std::string line = fmt::format("[{}]", chunk + 1);
      for (const auto& e : models) line += fmt::format(" {} {:.4f}", e.config, e.chunk_ppl.back());
      fmt::print(stderr, "{}\n", line);
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double tps = double(plan.n_chunks * plan.n_ctx * models.size()) / seconds;
  const MemoryUsage mu = memory_usage();
  const size_t scored = models.front().nll.count();

  if (c.json) {
    nlohmann::json j = {{"model", c.m.model}, {"text", c.text}, {"ctx", plan.n_ctx}, {"chunks", plan.n_chunks},
                        {"tokens_scored", scored}, {"bos", bos.has_value()}, {"seconds", seconds},
                        {"tokens_per_second", tps}, {"rss_bytes", mu.resident_bytes},
                        {"peak_rss_bytes", mu.peak_resident_bytes}};
    if (!c.compare) {
      j.update(model_json(models.front(), models.front(), false));
    } else {
      j["variants"] = nlohmann::json::array();
      for (const auto& e : models) j["variants"].push_back(model_json(e, models.front(), true));
    }
    fmt::print("{}\n", j.dump(2));
    return 0;
  }
  if (!c.compare) {
    fmt::print("\nFinal estimate: PPL = {:.4f} +/- {:.5f}\n", models.front().nll.ppl(), models.front().nll.ppl_sd());
  } else {
    print_compare_table(models);
  }
  fmt::print(stderr, "{} tokens scored per model; {:.2f} s, {:.1f} tokens/s evaluated; resident {:.0f} MB (peak {:.0f} MB)\n",
             scored, seconds, tps, mu.resident_bytes / 1e6, mu.peak_resident_bytes / 1e6);
  return 0;
}

}  // namespace

Runner add_perplexity(CLI::App& app) {
  auto c = std::make_shared<PerplexityCliOptions>();
  app.description(
      "Perplexity of a model on a text file, computed as llama.cpp's `perplexity` does: the text is tokenized "
      "(with BOS if the tokenizer adds one) and cut into non-overlapping windows of --ctx tokens; each window "
      "(its first token replaced by BOS, if any) is one forward pass, and only its second half is scored, so "
      "every scored token sees at least ctx/2 tokens of context. Prints the running PPL after each chunk as "
      "[1]x,[2]y,... and `Final estimate: PPL = P +/- E` (E: the standard error of the mean negative "
      "log-likelihood, times P). The text must hold at least one window. scripts/fetch_eval_text.sh fetches "
      "the standard evaluation text (docs/EVALUATION.md).\n"
      "--compare runs the same windows through the baseline and both FP8 configs and prints a table: PPL, "
      "ratio to the baseline, mean and 99.9th-percentile KL(baseline || config) over the scored tokens, and "
      "top-1 agreement. Baseline: an unquantized source as loaded (bf16), an FP8 checkpoint dequantized to "
      "bf16; the FP8 configs W8A16 and W8A8 quantize an unquantized source on load. Memory: --compare keeps "
      "the three models loaded at once (about 2x the bf16 weights: bf16 + two FP8 copies) so that each chunk "
      "needs only its own logits per model (ctx x vocab x 4 bytes) rather than the baseline's logits for the "
      "whole text.");
  add_model_flags(app, c->m, /*quantization=*/true);
  app.add_option("-f,--file", c->text, "Text file to evaluate (UTF-8)")->required();
  app.add_option("-c,--ctx", c->ctx, "Window length in tokens (one forward pass each; the KV cache is this long)")
      ->capture_default_str()->check(CLI::Range(size_t(eval::kMinContext), size_t(1) << 20));
  app.add_option("--chunks", c->chunks, "Evaluate at most this many windows (0 = all the text holds)")
      ->capture_default_str();
  app.add_flag("--compare", c->compare, "Evaluate the baseline, FP8 W8A16 and FP8 W8A8 side by side (see above)");
  app.add_flag("--json", c->json, "Print one JSON object at the end instead of the text output: ppl, ppl_sd, "
               "tokens_scored, chunks, seconds, tokens_per_second (tokens evaluated by all models), peak_rss_bytes "
               "(with --compare: per-config results under \"variants\")");
  return [c] { return run_perplexity(*c); };
}

}  // namespace finefp8::cli
