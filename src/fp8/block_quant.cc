#include "fp8/block_quant.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <vector>

#include "fp8/formats.h"
#include "util/error.h"

namespace finefp8 {

ScaleGrid scale_grid(size_t rows, size_t cols, BlockShape block) {
  FINEFP8_ASSERT(block.rows > 0 && block.cols > 0);
  return {(rows + size_t(block.rows) - 1) / size_t(block.rows),
          (cols + size_t(block.cols) - 1) / size_t(block.cols)};
}

BlockScale block_scale(float amax, ScaleRecipe recipe) {
  if (recipe == ScaleRecipe::kTransformers) {
    // transformers writes `448.0 / amax`; PyTorch evaluates python-scalar / tensor as
    // `amax.reciprocal() * 448` (Tensor.__rtruediv__), two fp32 roundings, and so must we to
    // produce identical bytes. An all-zero block gets scale 1 (codes 0, scale_inv 1).
    const float reciprocal = 1.0f / amax;
    float scale = amax > 0.0f ? reciprocal * kE4M3Max : 1.0f;
    if (std::isinf(scale)) scale = FLT_MAX;  // finefp8: saturate instead of 0 * inf = NaN
    return {scale, false, 1.0f / scale};
  }
  float scale = amax > 0.0f ? amax / kE4M3Max : 1.0f;
  if (scale == 0.0f) scale = FLT_MIN;  // amax/448 underflowed: keep the division finite-safe
  return {scale, true, scale};
}

void WeightView::row_to_f32(size_t r, size_t c0, size_t c1, float* out) const {
  const size_t base = r * cols;
  switch (dtype) {
    case DType::kF32:
      std::copy(static_cast<const float*>(data) + base + c0, static_cast<const float*>(data) + base + c1, out);
      return;
    case DType::kBF16:
      for (size_t c = c0; c < c1; ++c) out[c - c0] = bf16_to_f32(static_cast<const bf16*>(data)[base + c]);
      return;
    case DType::kF16:
      for (size_t c = c0; c < c1; ++c) out[c - c0] = fp16_to_f32(static_cast<const fp16*>(data)[base + c]);
      return;
  }
}

void quantize_weight_block_rows(const WeightView& w, BlockShape block, ScaleRecipe recipe,
                                size_t br_begin, size_t br_end, std::span<uint8_t> codes,
                                std::span<float> scale_inv, std::string_view tensor_name) {
  const ScaleGrid grid = scale_grid(w.rows, w.cols, block);
  FINEFP8_ASSERT(codes.size() == w.rows * w.cols);
  FINEFP8_ASSERT(scale_inv.size() == grid.size());
  FINEFP8_ASSERT(br_begin <= br_end && br_end <= grid.rows);
  std::vector<float> stripe(size_t(block.rows) * w.cols);  // one block row as fp32
  std::vector<float> amax(grid.cols);
  for (size_t br = br_begin; br < br_end; ++br) {
    const size_t r0 = br * block.rows, r1 = std::min(w.rows, r0 + block.rows);
    std::fill(amax.begin(), amax.end(), 0.0f);
    for (size_t r = r0; r < r1; ++r) {
      float* row = stripe.data() + (r - r0) * w.cols;
      w.row_to_f32(r, 0, w.cols, row);
      for (size_t c = 0; c < w.cols; ++c) {
        if (!std::isfinite(row[c])) {
          fail("cannot quantize tensor '{}': element [{}, {}] is {}; the checkpoint holds "
               "non-finite weights", tensor_name, r, c, row[c]);
        }
        float& m = amax[c / block.cols];
        m = std::max(m, std::fabs(row[c]));
      }
    }
    for (size_t bc = 0; bc < grid.cols; ++bc) {
      const BlockScale s = block_scale(amax[bc], recipe);
      const size_t c0 = bc * block.cols, c1 = std::min(w.cols, c0 + block.cols);
      for (size_t r = r0; r < r1; ++r) {
        const float* row = stripe.data() + (r - r0) * w.cols;
        uint8_t* out = codes.data() + r * w.cols;
        for (size_t c = c0; c < c1; ++c) {
          const float scaled = s.divide ? row[c] / s.multiplier : row[c] * s.multiplier;
          out[c] = e4m3_from_f32(scaled);  // clamps to +-448 first
        }
      }
      scale_inv[br * grid.cols + bc] = s.scale_inv;
    }
  }
}

void quantize_weight_blocks(const WeightView& w, BlockShape block, ScaleRecipe recipe,
                            std::span<uint8_t> codes, std::span<float> scale_inv,
                            std::string_view tensor_name) {
  quantize_weight_block_rows(w, block, recipe, 0, scale_grid(w.rows, w.cols, block).rows, codes,
                             scale_inv, tensor_name);
}

namespace {
template <typename Out, typename Store>
void dequantize_impl(std::span<const uint8_t> codes, std::span<const float> scale_inv,
                     size_t rows, size_t cols, BlockShape block, std::span<Out> out,
                     Store store) {
  const ScaleGrid grid = scale_grid(rows, cols, block);
  FINEFP8_ASSERT(codes.size() == rows * cols && out.size() == rows * cols);
  FINEFP8_ASSERT(scale_inv.size() == grid.size());
  for (size_t r = 0; r < rows; ++r) {
    const float* srow = scale_inv.data() + (r / block.rows) * grid.cols;
    for (size_t c = 0; c < cols; ++c) {
      out[r * cols + c] = store(e4m3_to_f32(codes[r * cols + c]) * srow[c / block.cols]);
    }
  }
}
}  // namespace

void dequantize_weight_blocks(std::span<const uint8_t> codes, std::span<const float> scale_inv,
                              size_t rows, size_t cols, BlockShape block, std::span<float> out) {
  dequantize_impl(codes, scale_inv, rows, cols, block, out, [](float v) { return v; });
}

void dequantize_weight_blocks(std::span<const uint8_t> codes, std::span<const float> scale_inv,
                              size_t rows, size_t cols, BlockShape block, std::span<bf16> out) {
  dequantize_impl(codes, scale_inv, rows, cols, block, out, bf16_from_f32);
}

}  // namespace finefp8
