// `finefp8 convert MODEL.gguf OUT [--quantize fp8]`: llama.cpp GGUF -> Hugging Face checkpoint.
#include <atomic>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/interrupt.h"
#include "convert/convert_gguf.h"
#include "util/error.h"

namespace finefp8::cli {
namespace {

struct ConvertCliOptions {
  std::string src, out, quantize = "none", block = "128x128", shard_size = "5GB", ragged = "auto";
  std::vector<std::string> skip;
  bool force = false, quiet = false, quantize_lm_head = false;
  int threads = 0;
};

int run_convert(const ConvertCliOptions& c) {
  GgufConvertOptions o;
  o.quantize_fp8 = c.quantize == "fp8";
  o.quant.block = parse_block_shape(c.block);
  o.quant.skip = c.skip;
  o.quant.quantize_lm_head = c.quantize_lm_head;
  o.quant.ragged = c.ragged == "skip"   ? QuantizeOptions::Ragged::kSkip
                   : c.ragged == "ceil" ? QuantizeOptions::Ragged::kCeil
                                        : QuantizeOptions::Ragged::kAuto;
  o.quant.shard_bytes = parse_byte_size(c.shard_size);
  o.quant.threads = c.threads;
  o.quant.overwrite = c.force;
  o.quant.progress = !c.quiet;
  const std::atomic<bool>* interrupt = install_interrupt_handler();
  GgufConvertReport r;
  try {
    r = convert_gguf(c.src, c.out, o, interrupt);
  } catch (const Error& e) {
    if (interrupt->load()) fail("interrupted by a signal; {} was not written", c.out);
    throw;
  }
  fmt::print("converted {} tensor(s) from GGUF to {}{}\n", r.tensors, o.quantize_fp8 ? "FP8 E4M3" : "bf16",
             r.skipped.empty() ? "" : fmt::format(", skipped {}", r.skipped));
  if (r.fp8) {
    fmt::print("quantized {} tensor(s) with {}x{} blocks, kept {}; modules_to_not_convert: {}\n",
               r.fp8->quantized, o.quant.block.rows, o.quant.block.cols, r.fp8->kept,
               r.fp8->modules_to_not_convert);
  }
  fmt::print("bytes: {:.3f} GB of GGUF tensors -> {:.3f} GB, {:.2f} s\n", double(r.bytes_in) / 1e9,
             double(r.bytes_out) / 1e9, r.seconds);
  fmt::print("wrote {} with {}\n", c.out, r.files);
  return 0;
}

}  // namespace

Runner add_convert(CLI::App& app) {
  auto c = std::make_shared<ConvertCliOptions>();
  app.description(
      "Convert a llama.cpp GGUF model (GGUF v2/v3, llama architecture; tensors in F32, F16, BF16, "
      "Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K or Q6_K) into a Hugging Face checkpoint directory: "
      "weights dequantized exactly and stored as bf16 (rounded to nearest even), Q/K rows put "
      "back in Hugging Face's rotary order, config.json and generation_config.json from the "
      "metadata, tokenizer.json and tokenizer_config.json (chat template, bos/eos) from the GGUF "
      "vocabulary. With --quantize fp8 the weights go straight to fine-grained FP8, byte for byte "
      "what `finefp8 quantize` makes of the bf16 output. Validates the whole file first, streams "
      "tensor by tensor and writes OUT atomically.");
  app.add_option("src", c->src, "The .gguf file")->required();
  app.add_option("out", c->out, "Output directory (must not exist unless --force)")->required();
  app.add_option("--quantize", c->quantize, "none (bf16 output) or fp8 (as `finefp8 quantize`)")
      ->check(CLI::IsMember({"none", "fp8"}))
      ->capture_default_str();
  app.add_option("--block", c->block, "With --quantize fp8: weight block ROWSxCOLS")->capture_default_str();
  app.add_option("--skip", c->skip, "With --quantize fp8: as `finefp8 quantize --skip`; repeatable");
  app.add_flag("--quantize-lm-head", c->quantize_lm_head, "With --quantize fp8: quantize lm_head too");
  app.add_option("--ragged", c->ragged,
                 "With --quantize fp8: weights not a multiple of the block, as `finefp8 quantize "
                 "--ragged` (auto, ceil or skip)")
      ->check(CLI::IsMember({"auto", "ceil", "skip"}))
      ->capture_default_str();
  app.add_option("--shard-size", c->shard_size, "Maximum shard size, e.g. 5GB, 500MB, 2GiB")
      ->capture_default_str();
  app.add_option("--threads", c->threads, "Threads (0: all cores)")->capture_default_str();
  app.add_flag("--force", c->force, "Replace OUT if it exists");
  app.add_flag("-q,--quiet", c->quiet, "No progress output");
  return [c] { return run_convert(*c); };
}

}  // namespace finefp8::cli
