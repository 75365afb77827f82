#pragma once
// Subcommands of the `finefp8` program. Each registers its flags on the app and returns a
// function that runs it (returning the process exit code) once the flags are parsed.
#include <functional>
#include <string>

#include <CLI/CLI.hpp>

namespace finefp8::cli {

using Runner = std::function<int()>;

Runner add_roundtrip(CLI::App& app);
Runner add_cpu_info(CLI::App& app);
Runner add_inspect(CLI::App& app);
Runner add_quantize(CLI::App& app);
Runner add_dequantize(CLI::App& app);
Runner add_tokenize(CLI::App& app);
Runner add_generate(CLI::App& app);
Runner add_bench_gemm(CLI::App& app);
Runner add_convert(CLI::App& app);
Runner add_perplexity(CLI::App& app);
Runner add_bench(CLI::App& app);

// `inspect` of a .gguf file (cmd_inspect_gguf.cc).
int run_inspect_gguf(const std::string& path, bool json, bool no_tensors);

}  // namespace finefp8::cli
