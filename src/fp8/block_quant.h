#pragma once
// Weight quantization to FP8 E4M3 with one fp32 scale per (block_rows x block_cols) block,
// the fine-grained FP8 weight format (docs/fp8-format.md section 2). Scalar reference.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "fp8/float16.h"

namespace finefp8 {

struct BlockShape {
  int rows = 128;  // along the output dimension (weight rows)
  int cols = 128;  // along the input/K dimension (weight columns)
};

// How a block's scale is computed from its amax. Both store the dequantization multiplier
// `scale_inv` (W ~= code * scale_inv).
enum class ScaleRecipe {
  // transformers FineGrainedFP8 (newest), all in fp32: scale = amax > 0 ? 448 / amax : 1
  // where PyTorch computes 448 / amax as (1 / amax) * 448 (two roundings); q = e4m3(clamp(w * scale)); scale_inv = 1 / scale.
  // finefp8: if 448 / amax overflows (amax < ~1.3e-36) the scale saturates to FLT_MAX.
  kTransformers,
  // compressed-tensors FP8_BLOCK: scale = amax / 448 (zero block -> 1); q = e4m3(clamp(w /
  // scale)); scale_inv = scale. If amax / 448 underflows to 0 the scale becomes FLT_MIN.
  kCompressedTensors,
};

// The scale of one block from its amax (max |w| over the block's real elements).
struct BlockScale {
  float multiplier;  // applied to w before the cast
  bool divide;       // true: q = w / multiplier (compressed-tensors); false: q = w * multiplier
  float scale_inv;   // stored dequantization multiplier
};
BlockScale block_scale(float amax, ScaleRecipe recipe);

// Scale grid of a [rows, cols] weight: [ceil(rows / block.rows), ceil(cols / block.cols)].
struct ScaleGrid {
  size_t rows = 0;
  size_t cols = 0;
  size_t size() const { return rows * cols; }
};
ScaleGrid scale_grid(size_t rows, size_t cols, BlockShape block);

// Read-only row-major 2-D matrix of fp32, bf16 or fp16 elements.
struct WeightView {
  enum class DType { kF32, kBF16, kF16 };
  const void* data = nullptr;
  DType dtype = DType::kF32;
  size_t rows = 0;
  size_t cols = 0;
  // out[0, c1 - c0) = row r, columns [c0, c1), as fp32 (exact).
  void row_to_f32(size_t r, size_t c0, size_t c1, float* out) const;
};

// Quantizes `w` [rows, cols] into `codes` [rows, cols] (E4M3) and `scale_inv` [grid]
// (fp32, row-major). Edge blocks of ragged shapes use only their real elements.
// Throws Error naming `tensor_name` and the element if `w` holds a NaN or an infinity.
void quantize_weight_blocks(const WeightView& w, BlockShape block, ScaleRecipe recipe,
                            std::span<uint8_t> codes, std::span<float> scale_inv,
                            std::string_view tensor_name = "weight");

// The same for block rows [br_begin, br_end) only (weight rows br_begin * block.rows up to
// br_end * block.rows): disjoint ranges may run on different threads.
void quantize_weight_block_rows(const WeightView& w, BlockShape block, ScaleRecipe recipe,
                                size_t br_begin, size_t br_end, std::span<uint8_t> codes,
                                std::span<float> scale_inv, std::string_view tensor_name = "weight");

// Dequantizes: out[r, c] = e4m3(codes[r, c]) * scale_inv[r / block.rows][c / block.cols],
// one fp32 multiplication (bf16 output rounds that product to nearest even).
void dequantize_weight_blocks(std::span<const uint8_t> codes, std::span<const float> scale_inv,
                              size_t rows, size_t cols, BlockShape block, std::span<float> out);
void dequantize_weight_blocks(std::span<const uint8_t> codes, std::span<const float> scale_inv,
                              size_t rows, size_t cols, BlockShape block, std::span<bf16> out);

}  // namespace finefp8
