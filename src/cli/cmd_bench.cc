// `finefp8 bench -m MODEL`: llama-bench-style prompt-processing (ppN) and generation (tgN)
// speed for the bf16 baseline and the FP8 configs side by side (src/eval/throughput.h), one
// row per config and test with tokens/s as mean ± sd and resident memory.
#include <algorithm>
#include <cstdio>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/model_variants.h"
#include "eval/perplexity.h"
#include "eval/throughput.h"
#include "util/error.h"
#include "util/memory_usage.h"

namespace finefp8::cli {
namespace {

struct BenchCliOptions {
  ModelFlags m;
  size_t n_prompt = 512, n_gen = 128;
  int reps = 5;
  std::string configs = "bf16,w8a16,w8a8", output = "md";
};

// One line of the report. The JSON keys are an interface (bench/side_by_side.py reads them).
struct Row {
  std::string model, config, test;
  size_t weight_bytes = 0, parameters = 0, n_prompt = 0, n_gen = 0;
  int threads = 0;
  eval::MeanSd tps;
  std::vector<double> samples;  // tokens/s of each timed repetition
  uint64_t rss_bytes = 0, peak_rss_bytes = 0;
};

std::vector<std::string> parse_configs(const std::string& list) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  size_t at = 0;
  while (at <= list.size()) {
    const size_t comma = std::min(list.find(',', at), list.size());
    const std::string name = list.substr(at, comma - at);
    if (std::find(kCompareConfigs.begin(), kCompareConfigs.end(), name) == kCompareConfigs.end()) {
      fail("--configs '{}': '{}' is not a config; use a comma-separated list of bf16, w8a16, w8a8", list, name);
    }
    if (!seen.insert(name).second) fail("--configs '{}': '{}' is listed twice", list, name);
    out.push_back(name);
    at = comma + 1;
  }
  return out;
}

std::string model_name(const std::string& dir) {
  std::filesystem::path p = std::filesystem::path(dir).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  return p.filename().string();
}

std::string human_count(size_t n) {
  return n >= 1'000'000'000 ? fmt::format("{:.2f} B", n / 1e9) : fmt::format("{:.2f} M", n / 1e6);
}

// RFC 4180 field: quoted when it holds a comma, quote or newline.
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char ch : s) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return q + "\"";
}

nlohmann::json row_json(const Row& r) {
  return {{"model", r.model}, {"config", r.config}, {"weight_bytes", r.weight_bytes},
          {"parameters", r.parameters}, {"threads", r.threads}, {"test", r.test},
          {"n_prompt", r.n_prompt}, {"n_gen", r.n_gen}, {"tps_mean", r.tps.mean},
          {"tps_sd", r.tps.sd}, {"rss_bytes", r.rss_bytes}, {"peak_rss_bytes", r.peak_rss_bytes},
          {"samples", r.samples}};
}

constexpr const char* kCsvHeader =
    "model,config,weight_bytes,parameters,threads,test,n_prompt,n_gen,tps_mean,tps_sd,rss_bytes,peak_rss_bytes,samples";

void print_row(const Row& r, const std::string& format) {
  if (format == "md") {
    fmt::print("| {} | {:.1f} MB | {} | {} | {} | {} | {:.2f} ± {:.2f} | {:.0f} MB |\n", r.model,
               r.weight_bytes / 1e6, human_count(r.parameters), r.config, r.threads, r.test, r.tps.mean,
               r.tps.sd, r.rss_bytes / 1e6);
  } else if (format == "csv") {
    std::string samples;
    for (double s : r.samples) samples += (samples.empty() ? "" : ";") + fmt::format("{:.4f}", s);
    fmt::print("{},{},{},{},{},{},{},{},{:.4f},{:.4f},{},{},{}\n", csv_field(r.model), r.config, r.weight_bytes,
               r.parameters, r.threads, r.test, r.n_prompt, r.n_gen, r.tps.mean, r.tps.sd, r.rss_bytes,
               r.peak_rss_bytes, samples);
  }
  std::fflush(stdout);
}

// Loads one config, runs its tests (one warm-up run each, then c.reps timed runs), frees it.
std::vector<Row> bench_config(const BenchCliOptions& c, const std::string& config, bool fp8_source) {
  reset_peak_resident();  // so peak_rss_bytes is this config's, not the previous one's
  fmt::print(stderr, "bench: loading {} as {} ...\n", c.m.model, config);
  CausalLM model = CausalLM::from_pretrained(
      c.m.model, config_load_options(config, fp8_source, c.m, std::max(c.n_prompt, c.n_gen)));
  const uint64_t rss = memory_usage().resident_bytes;
  const ModelMemory mem = model.memory();
  const size_t vocab = model.config().vocab_size;
  std::vector<Row> rows;
  auto run = [&](const std::string& test, size_t n, size_t n_prompt, size_t n_gen, auto timed) {
    const std::vector<int32_t> ids = eval::bench_token_ids(n, vocab);
    fmt::print(stderr, "bench: {} {} (warm-up + {} runs) ...\n", config, test, c.reps);
    timed(model, ids);  // warm-up, excluded
    Row r{model_name(c.m.model), config, test, mem.weight_bytes, mem.parameters, n_prompt, n_gen,
          model.backend().threads(), {}, {}, rss, 0};
    for (int i = 0; i < c.reps; ++i) r.samples.push_back(timed(model, ids));
    r.tps = eval::mean_sd(r.samples);
    rows.push_back(std::move(r));
  };
  if (c.n_prompt > 0) run(fmt::format("pp{}", c.n_prompt), c.n_prompt, c.n_prompt, 0, eval::time_prompt);
  if (c.n_gen > 0) run(fmt::format("tg{}", c.n_gen), c.n_gen, 0, c.n_gen, eval::time_generation);
  const uint64_t peak = memory_usage().peak_resident_bytes;
  for (auto& r : rows) r.peak_rss_bytes = peak;
  return rows;
}

int run_bench(const BenchCliOptions& c) {
  const std::vector<std::string> configs = parse_configs(c.configs);
  if (c.n_prompt == 0 && c.n_gen == 0) fail("-p 0 and -n 0: nothing to time");
  const bool fp8_source = is_fp8_checkpoint(c.m.model);
  if (c.output == "md") {
    fmt::print("| model | size | params | config | threads | test | t/s | RSS |\n");
    fmt::print("|---|---:|---:|---|---:|---:|---:|---:|\n");
  } else if (c.output == "csv") {
    fmt::print("{}\n", kCsvHeader);
  }
  std::fflush(stdout);
  nlohmann::json all = nlohmann::json::array();
  for (const auto& config : configs) {
    for (const Row& r : bench_config(c, config, fp8_source)) {
      print_row(r, c.output);
      all.push_back(row_json(r));
    }
  }
  if (c.output == "json") fmt::print("{}\n", all.dump(2));
  return 0;
}

}  // namespace

Runner add_bench(CLI::App& app) {
  auto c = std::make_shared<BenchCliOptions>();
  app.description(
      "Speed of a model in the style of llama-bench, for the bf16 baseline and the FP8 configs side by side. "
      "ppN: one forward pass of N prompt tokens from an empty context; tgN: N tokens decoded one at a time from "
      "an empty context (llama-bench's tg test). Token ids are fixed pseudo-random ids (the same every run). "
      "Each test runs once as a warm-up (not counted), then -r times; t/s is reported as mean ± sample sd. "
      "Configs are loaded one at a time (the previous one freed): bf16 = an unquantized source as loaded, or "
      "an FP8 checkpoint dequantized to bf16; w8a16/w8a8 = FP8 weights with that kernel, quantized on load "
      "for an unquantized source. RSS: resident memory right after loading the config; peak_rss_bytes: the "
      "peak while that config was loaded and run. Progress goes to stderr, the report to stdout.");
  add_model_flags(app, c->m, /*quantization=*/false);
  app.add_option("-p,--n-prompt", c->n_prompt, "Prompt tokens of the pp test (0 = skip it)")->capture_default_str();
  app.add_option("-n,--n-gen", c->n_gen, "Generated tokens of the tg test (0 = skip it)")->capture_default_str();
  app.add_option("-r,--repetitions", c->reps, "Timed runs per test (after one warm-up run)")->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("--configs", c->configs, "Comma-separated configs, one row set each: bf16, w8a16, w8a8")
      ->capture_default_str();
  app.add_option("-o,--output", c->output, "Report format: md (table), json (array of row objects: model, config, "
                 "weight_bytes, parameters, threads, test, n_prompt, n_gen, tps_mean, tps_sd, rss_bytes, "
                 "peak_rss_bytes, samples), csv (the same columns; samples joined by ';')")
      ->check(CLI::IsMember({"md", "json", "csv"}))->capture_default_str();
  return [c] { return run_bench(*c); };
}

}  // namespace finefp8::cli
