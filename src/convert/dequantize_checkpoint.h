#pragma once
// `finefp8 dequantize`: a fine-grained FP8 checkpoint -> bf16/fp16/fp32 (what DeepSeek's
// fp8_cast_bf16.py does on a GPU, here on CPU): every FP8 weight times its scale grid, scale
// tensors dropped, quantization_config removed, index rewritten. Streaming and atomic.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "io/dtype.h"

namespace finefp8 {

struct DequantizeOptions {
  DType dtype = DType::kBF16;  // kBF16, kF16 or kF32
  uint64_t shard_bytes = 5'000'000'000;
  int threads = 0;
  bool overwrite = false;
  bool progress = true;
};

struct DequantizeReport {
  size_t dequantized = 0, kept = 0, scales_dropped = 0;
  uint64_t bytes_in = 0, bytes_out = 0;
  double seconds = 0;
  std::string block;  // the block size used, e.g. "128x128" (from the config, or the default)
  std::vector<std::string> copied_files;
};

// Reads the checkpoint's quantization_config (transformers `fp8` or compressed-tensors
// FP8_BLOCK; absent: 128x128 blocks and `weight_scale_inv` names, as DeepSeek's script
// assumes) and validates every weight/scale pair first (validate_fp8_checkpoint). Each
// element: fp32(code) * fp32(scale), one fp32 rounding, then rounded to `dtype` (nearest
// even). Throws Error and writes nothing on any problem.
DequantizeReport dequantize_checkpoint(const std::filesystem::path& src,
                                       const std::filesystem::path& out,
                                       const DequantizeOptions& o,
                                       const std::atomic<bool>* interrupt = nullptr);

}  // namespace finefp8
