// `finefp8 dequantize SRC OUT`: fine-grained FP8 checkpoint -> bf16/fp16/fp32.
#include <atomic>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/interrupt.h"
#include "convert/dequantize_checkpoint.h"
#include "util/error.h"

namespace finefp8::cli {
namespace {

struct DequantizeCliOptions {
  std::string src, out, dtype = "bf16", shard_size = "5GB";
  int threads = 0;
  bool force = false, quiet = false;
};

int run_dequantize(const DequantizeCliOptions& c) {
  DequantizeOptions o;
  o.dtype = c.dtype == "fp32" ? DType::kF32 : c.dtype == "fp16" ? DType::kF16 : DType::kBF16;
  o.shard_bytes = parse_byte_size(c.shard_size);
  o.threads = c.threads;
  o.overwrite = c.force;
  o.progress = !c.quiet;
  const std::atomic<bool>* interrupt = install_interrupt_handler();
  DequantizeReport r;
  try {
    r = dequantize_checkpoint(c.src, c.out, o, interrupt);
  } catch (const Error&) {
    if (interrupt->load()) fail("interrupted by a signal; {} was not written", c.out);
    throw;
  }
  fmt::print("dequantized {} FP8 weight(s) ({} blocks) to {}, dropped {} scale tensor(s), kept {}\n",
             r.dequantized, r.block, c.dtype, r.scales_dropped, r.kept);
  fmt::print("bytes: {:.3f} GB -> {:.3f} GB, {:.1f} s, {:.2f} GB/s of input\ncopied: {}\nwrote {}\n",
             double(r.bytes_in) / 1e9, double(r.bytes_out) / 1e9, r.seconds,
             double(r.bytes_in) / 1e9 / std::max(r.seconds, 1e-9), r.copied_files, c.out);
  return 0;
}

}  // namespace

Runner add_dequantize(CLI::App& app) {
  auto c = std::make_shared<DequantizeCliOptions>();
  app.add_option("src", c->src, "Fine-grained FP8 model directory")->required();
  app.add_option("out", c->out, "Output directory (must not exist unless --force)")->required();
  app.add_option("--dtype", c->dtype, "Output dtype of the dequantized weights")
      ->check(CLI::IsMember({"bf16", "fp16", "fp32"}))
      ->capture_default_str();
  app.add_option("--shard-size", c->shard_size, "Maximum shard size, e.g. 5GB")->capture_default_str();
  app.add_option("--threads", c->threads, "Threads (0: all cores)")->capture_default_str();
  app.add_flag("--force", c->force, "Replace OUT if it exists");
  app.add_flag("-q,--quiet", c->quiet, "No progress output");
  return [c] { return run_dequantize(*c); };
}

}  // namespace finefp8::cli
