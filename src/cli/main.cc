// `finefp8`: the command-line front end. Parses flags, calls the engine, prints.
#include <cstdio>
#include <map>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "finefp8/version.h"
#include "util/error.h"

int main(int argc, char** argv) {
  CLI::App app{
      "finefp8 " FINEFP8_VERSION " - fine-grained FP8 (E4M3, 128x128 weight blocks, per-token "
      "activation groups of 128) quantization and inference for LLM checkpoints.\n"
      "Run `finefp8 COMMAND --help` for the options of a command."};
  app.set_version_flag("-V,--version", "finefp8 " FINEFP8_VERSION);
  app.require_subcommand(0, 1);

  std::map<CLI::App*, finefp8::cli::Runner> runners;
  auto add = [&](const char* name, const char* help, auto add_fn) {
    CLI::App* sub = app.add_subcommand(name, help);
    runners[sub] = add_fn(*sub);
  };
  add("roundtrip",
      "Quantize a generated tensor to block FP8 and back; print error statistics and speed",
      finefp8::cli::add_roundtrip);
  add("generate",
      "Generate text with a Llama-family model: FP8 checkpoints as they are, or bf16 ones "
      "quantized on load (--quantize fp8); streams output, reports speed and memory",
      finefp8::cli::add_generate);
  add("quantize",
      "Quantize a bf16/fp16/fp32 Hugging Face checkpoint to fine-grained FP8 (streaming, atomic)",
      finefp8::cli::add_quantize);
  add("dequantize",
      "Dequantize a fine-grained FP8 checkpoint to bf16/fp16/fp32 (streaming, atomic)",
      finefp8::cli::add_dequantize);
  add("convert",
      "Convert a llama.cpp GGUF model to a Hugging Face checkpoint (bf16, or FP8 with "
      "--quantize fp8)",
      finefp8::cli::add_convert);
  add("inspect",
      "Show the tensors, dtypes, architecture and FP8 quantization of a checkpoint (headers "
      "only)",
      finefp8::cli::add_inspect);
  add("tokenize",
      "Encode text with a model's tokenizer.json: ids and pieces, or JSON lines for scripts",
      finefp8::cli::add_tokenize);
  add("perplexity",
      "Perplexity of a model on a text file as llama.cpp computes it; --compare puts the bf16 "
      "baseline and FP8 W8A16/W8A8 side by side (PPL ratio, KL divergence, top-1 agreement)",
      finefp8::cli::add_perplexity);
  add("bench",
      "llama-bench-style prompt (ppN) and generation (tgN) speed of a model, bf16 and FP8 "
      "configs side by side, with resident memory",
      finefp8::cli::add_bench);
  add("cpu-info", "Show the CPU features finefp8 detected and the kernel tier it will use",
      finefp8::cli::add_cpu_info);
  add("bench-gemm",
      "Time one FP8 linear shape on one kernel tier beside the bf16 baselines and the machine's "
      "measured peaks",
      finefp8::cli::add_bench_gemm);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  for (auto& [sub, run] : runners) {
    if (sub->parsed()) {
      try {
        return run();
      } catch (const finefp8::Error& e) {
        std::fprintf(stderr, "finefp8 %s: error: %s\n", sub->get_name().c_str(), e.what());
        return std::string_view(e.what()).starts_with("interrupted") ? 130 : 1;
      }
    }
  }
  std::fputs(app.help().c_str(), stdout);
  return 0;
}
