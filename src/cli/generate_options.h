#pragma once
// The options of `finefp8 generate`, shared with `finefp8 demo`, which runs the same job on
// the built-in default model.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace finefp8::cli {

struct GenerateCliOptions {
  std::string model, prompt, quantize = "none", mode = "w8a8", dtype = "auto", chat = "auto";
  std::string system, save, block = "128x128";
  std::vector<std::string> stop;
  size_t max_new_tokens = 128, context = 0;
  std::optional<float> temperature, top_p, min_p, repetition_penalty;
  std::optional<int> top_k;
  uint64_t seed = 0;
  int threads = 0;
  bool dequantize = false, quiet = false, ignore_eos = false, force = false;
};

// Loads c.model, generates, streams the answer to stdout and the report to stderr.
int run_generate(const GenerateCliOptions& c);

}  // namespace finefp8::cli
