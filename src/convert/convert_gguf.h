#pragma once
// `finefp8 convert MODEL.gguf OUT`: a llama.cpp GGUF model -> a Hugging Face checkpoint
// directory (bf16 safetensors, config.json, generation_config.json, tokenizer.json,
// tokenizer_config.json), or straight to fine-grained FP8 with the same code, options and
// bytes as `finefp8 quantize` run on that bf16 output. Streams tensor by tensor (memory: one
// tensor in bf16, plus the FP8 codes when quantizing), writes OUT atomically.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "convert/quantize_checkpoint.h"

namespace finefp8 {

struct GgufConvertOptions {
  bool quantize_fp8 = false;
  // Shards, threads, overwrite, progress; with quantize_fp8 also the FP8 options.
  QuantizeOptions quant;
};

struct GgufConvertReport {
  size_t tensors = 0;
  uint64_t bytes_in = 0, bytes_out = 0;  // GGUF tensor bytes, weight bytes written
  std::vector<std::string> skipped;      // GGUF tensors with no HF counterpart
  std::vector<std::string> files;        // non-weight files written
  std::optional<QuantizeReport> fp8;     // with quantize_fp8
  double seconds = 0;
};

// Throws Error (leaving no OUT nor temporary) on an invalid or unsupported GGUF, I/O errors
// or `interrupt` becoming true.
GgufConvertReport convert_gguf(const std::filesystem::path& gguf, const std::filesystem::path& out,
                               const GgufConvertOptions& o, const std::atomic<bool>* interrupt = nullptr);

}  // namespace finefp8
