// `finefp8 quantize SRC OUT`: bf16/fp16/fp32 Hugging Face checkpoint -> fine-grained FP8.
#include <atomic>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/interrupt.h"
#include "convert/quantize_checkpoint.h"
#include "io/atomic_output.h"
#include "util/error.h"

namespace finefp8::cli {
namespace {

struct QuantizeCliOptions {
  std::string src, out, block = "128x128", activation_scheme = "dynamic", ragged = "auto";
  std::string shard_size = "5GB", report;
  std::vector<std::string> skip;
  bool quantize_lm_head = false, force = false, quiet = false;
  int threads = 0;
};

nlohmann::json stats_json(const ErrorStats& e) {
  return {{"rel_rms_error", e.rel_rms}, {"max_abs_error", e.max_abs_error},
          {"snr_db", std::isfinite(e.snr_db) ? nlohmann::json(e.snr_db) : nlohmann::json("inf")}};
}

int run_quantize(const QuantizeCliOptions& c) {
  if (c.activation_scheme == "static") {
    fail("--activation-scheme static needs calibrated activation scales, which finefp8 cannot "
         "compute yet; use dynamic (the default, as in transformers and DeepSeek-V3)");
  }
  QuantizeOptions o;
  o.block = parse_block_shape(c.block);
  o.skip = c.skip;
  o.quantize_lm_head = c.quantize_lm_head;
  o.ragged = c.ragged == "skip"   ? QuantizeOptions::Ragged::kSkip
             : c.ragged == "ceil" ? QuantizeOptions::Ragged::kCeil
                                  : QuantizeOptions::Ragged::kAuto;
  o.shard_bytes = parse_byte_size(c.shard_size);
  o.threads = c.threads;
  o.overwrite = c.force;
  o.progress = !c.quiet;

  const std::atomic<bool>* interrupt = install_interrupt_handler();
  QuantizeReport r;
  try {
    r = quantize_checkpoint(c.src, c.out, o, interrupt);
  } catch (const Error& e) {
    if (interrupt->load()) fail("interrupted by a signal; {} was not written", c.out);
    throw;
  }

  double worst_snr = INFINITY, sum_rel = 0, worst_rel = 0;
  std::string worst_name;
  for (const auto& t : r.tensors) {
    if (t.action != "quantized") continue;
    sum_rel += t.error.rel_rms;
    if (t.error.rel_rms > worst_rel) {
      worst_rel = t.error.rel_rms;
      worst_name = t.name;
    }
    worst_snr = std::min(worst_snr, t.error.snr_db);
  }
  std::map<std::string, size_t> kept_reasons;
  for (const auto& t : r.tensors) {
    if (t.action != "quantized") ++kept_reasons[t.action.substr(6)];
  }
  fmt::print("quantized {} tensor(s) to FP8 E4M3 with {}x{} blocks, kept {} ({})\n", r.quantized,
             o.block.rows, o.block.cols, r.kept, kept_reasons);
  fmt::print("modules_to_not_convert: {}\n", r.modules_to_not_convert);
  fmt::print("bytes: {:.3f} GB -> {:.3f} GB ({:.1f}%), {:.1f} s, {:.2f} GB/s of input\n",
             double(r.bytes_in) / 1e9, double(r.bytes_out) / 1e9,
             100.0 * double(r.bytes_out) / double(std::max<uint64_t>(r.bytes_in, 1)), r.seconds,
             double(r.bytes_in) / 1e9 / std::max(r.seconds, 1e-9));
  if (r.quantized > 0) {
    fmt::print("error: mean relative RMS {:.4e}, worst {:.4e} ({}), lowest SNR {:.2f} dB\n",
               sum_rel / double(r.quantized), worst_rel, worst_name, worst_snr);
  }
  fmt::print("copied: {}\nwrote {}\n", r.copied_files, c.out);
  if (!c.report.empty()) {
    nlohmann::json j;
    j["source"] = c.src;
    j["output"] = c.out;
    j["block"] = {o.block.rows, o.block.cols};
    j["seconds"] = r.seconds;
    j["bytes_in"] = r.bytes_in;
    j["bytes_out"] = r.bytes_out;
    j["modules_to_not_convert"] = r.modules_to_not_convert;
    j["tensors"] = nlohmann::json::array();
    for (const auto& t : r.tensors) {
      nlohmann::json row = {{"name", t.name}, {"action", t.action}, {"dtype", dtype_name(t.dtype)},
                            {"shape", t.shape}, {"bytes_in", t.bytes_in}, {"bytes_out", t.bytes_out}};
      if (t.action == "quantized") row.update(stats_json(t.error));
      j["tensors"].push_back(row);
    }
    write_file_atomic(c.report, j.dump(2) + "\n");
    fmt::print("report: {}\n", c.report);
  }
  return 0;
}

}  // namespace

Runner add_quantize(CLI::App& app) {
  auto c = std::make_shared<QuantizeCliOptions>();
  app.description(
      "Quantize a bf16/fp16/fp32 Hugging Face checkpoint to fine-grained FP8 (E4M3 weights, one "
      "fp32 scale per block, transformers' FineGrainedFP8Config format). Linear weights are "
      "quantized; embeddings, lm_head, norms, biases, router gates and 1-D tensors are kept. "
      "Streams tensor by tensor (memory stays bounded by a few tensors) and writes OUT "
      "atomically.");
  app.add_option("src", c->src, "Source model directory (config.json + safetensors)")->required();
  app.add_option("out", c->out, "Output directory (must not exist unless --force)")->required();
  app.add_option("--block", c->block, "Weight block ROWSxCOLS")->capture_default_str();
  app.add_option("--activation-scheme", c->activation_scheme, "dynamic (per-token groups of 128) or static")
      ->check(CLI::IsMember({"dynamic", "static"}))
      ->capture_default_str();
  app.add_option("--skip", c->skip,
                 "Leave modules matching PATTERN unquantized (transformers' modules_to_not_convert "
                 "rule: a regex matched from the start up to a '.', or a name suffix); repeatable");
  app.add_flag("--quantize-lm-head", c->quantize_lm_head, "Quantize lm_head too");
  app.add_option("--ragged", c->ragged,
                 "Weights not a multiple of the block: ceil (quantize on the ceil grid, DeepSeek's "
                 "format, read by vLLM/SGLang), skip (keep them unquantized, for transformers "
                 "versions that refuse ceil grids) or auto (ceil, except shapes a reader "
                 "inferring the block from the grid would misread silently, which are kept)")
      ->check(CLI::IsMember({"auto", "ceil", "skip"}))
      ->capture_default_str();
  app.add_option("--shard-size", c->shard_size, "Maximum shard size, e.g. 5GB, 500MB, 2GiB")
      ->capture_default_str();
  app.add_option("--threads", c->threads, "Threads (0: all cores)")->capture_default_str();
  app.add_flag("--force", c->force, "Replace OUT if it exists");
  app.add_option("--report", c->report, "Write the per-tensor table (action, error statistics) as JSON");
  app.add_flag("-q,--quiet", c->quiet, "No progress output");
  return [c] { return run_quantize(*c); };
}

}  // namespace finefp8::cli
