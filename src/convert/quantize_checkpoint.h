#pragma once
// `finefp8 quantize`: a bf16/fp16/fp32 Hugging Face checkpoint -> a pre-quantized fine-grained
// FP8 checkpoint (what FineGrainedFP8Config + save_pretrained produce), streamed tensor by
// tensor so memory stays bounded by a few tensors, written atomically.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

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

class ShardedCheckpointWriter;

// The streaming core of every FP8 writer (`finefp8 quantize`, `finefp8 convert --quantize
// fp8`): plans each source tensor (plan_tensor), fixes the output layout, then takes the
// tensors one at a time, quantizing or keeping each. Same tensors and options in, same
// bytes out, whatever the source.
class Fp8CheckpointBuilder {
 public:
  // `dir`: where the weights go (a temporary directory the caller commits). `tensors`: the
  // source tensors (name, dtype, shape, byte size), in the order they will be given.
  Fp8CheckpointBuilder(const std::filesystem::path& dir, std::vector<TensorInfo> tensors,
                       const QuantizeOptions& o);
  ~Fp8CheckpointBuilder();
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  bool quantizes(size_t i) const { return plans_[i].quantize; }
  // Tensor i from its source bytes (tensors()[i].bytes() of them). Returns its outcome.
  const TensorOutcome& add(size_t i, std::span<const uint8_t> bytes,
                           const std::atomic<bool>* interrupt = nullptr);
  // Tensor i, which must be kept (!quantizes(i)), copied by the kernel from `fd` at `offset`.
  const TensorOutcome& copy(size_t i, int fd, uint64_t offset);
  // Writes the shards and the index. Then the report is complete.
  void finish();
  // `config` (the source config.json) with this run's quantization_config added.
  nlohmann::json quantized_config(nlohmann::json config) const;
  const QuantizeReport& report() const { return report_; }

 private:
  QuantizeOptions o_;
  std::vector<TensorInfo> tensors_;
  std::vector<TensorPlan> plans_;
  std::unique_ptr<ShardedCheckpointWriter> writer_;
  QuantizeReport report_;
  std::vector<uint8_t> codes_;
  std::vector<float> scales_;
};

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
