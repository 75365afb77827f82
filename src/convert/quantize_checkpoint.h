#pragma once
// `finefp8 quantize`: a bf16/fp16/fp32 Hugging Face checkpoint -> a pre-quantized fine-grained
// FP8 checkpoint (what FineGrainedFP8Config + save_pretrained produce), streamed tensor by
// tensor so memory stays bounded by a few tensors, written atomically.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "fp8/block_quant.h"
#include "fp8/error_stats.h"
#include "io/checkpoint.h"

namespace finefp8 {

struct QuantizeOptions {
  BlockShape block{128, 128};
  bool quantize_lm_head = false;
  std::vector<std::string> skip;  // module patterns (transformers' modules_to_not_convert rule)
  // Weights whose shape is not a multiple of the block ("ragged"):
  //  kCeil  quantize them on the ceil grid (DeepSeek's format; vLLM and SGLang read it);
  //  kSkip  keep them all unquantized, listed in modules_to_not_convert (for transformers
  //         versions that refuse ceil grids);
  //  kAuto  (default) ceil grid, except where a reader that infers the block from the grid
  //         (transformers 5.x on CPU: block = dim / grid when that divides) would silently
  //         use the wrong block: those are kept as in kSkip. Elsewhere such a reader fails
  //         loudly, never silently.
  enum class Ragged { kAuto, kCeil, kSkip } ragged = Ragged::kAuto;
  uint64_t shard_bytes = 5'000'000'000;  // like transformers' max_shard_size="5GB"
  int threads = 0;                       // 0: all hardware threads
  bool overwrite = false;
  bool progress = true;
};

// What happened to one source tensor.
struct TensorOutcome {
  std::string name;
  std::string action;  // "quantized" or "kept: <why>"
  DType dtype = DType::kF32;
  std::vector<uint64_t> shape;
  uint64_t bytes_in = 0, bytes_out = 0;
  ErrorStats error;  // quantized only: dequantized vs source
};

struct QuantizeReport {
  std::vector<TensorOutcome> tensors;
  std::vector<std::string> modules_to_not_convert;
  std::vector<std::string> copied_files;
  size_t quantized = 0, kept = 0;
  uint64_t bytes_in = 0, bytes_out = 0;
  double seconds = 0;
};

// The decision for one tensor, without touching data: "quantize" or "kept: <reason>", and
// whether its module must be listed in modules_to_not_convert.
struct TensorPlan {
  bool quantize = false;
  std::string reason;
  bool list_as_not_converted = false;
};
TensorPlan plan_tensor(const TensorInfo& t, const QuantizeOptions& o);

// Quantizes `src` (a model directory) into a new directory `out`. Throws Error (and leaves
// no `out`, nor any temporary) on any problem: already-FP8 input, non-finite weights (named
// with their position), I/O errors, or `interrupt` becoming true (checked between and
// within tensors).
QuantizeReport quantize_checkpoint(const std::filesystem::path& src, const std::filesystem::path& out,
                                   const QuantizeOptions& o, const std::atomic<bool>* interrupt = nullptr);

// Quantizes one 2-D weight with `threads` threads: the converter's fast path (row kernels
// of src/cpu/), byte-identical to quantize_weight_blocks; also returns the error statistics.
ErrorStats quantize_weight_fast(const WeightView& w, BlockShape block, std::span<uint8_t> codes,
                                std::span<float> scale_inv, std::string_view name, int threads,
                                const std::atomic<bool>* interrupt = nullptr);

}  // namespace finefp8
