#include "fp8/gemm_ref.h"

#include <algorithm>

#include "fp8/formats.h"
#include "util/error.h"

namespace finefp8 {

namespace {
void check_weight(const Fp8WeightView& w) {
  const ScaleGrid grid = scale_grid(w.n, w.k, w.block);
  FINEFP8_ASSERT(w.codes.size() == w.n * w.k);
  FINEFP8_ASSERT(w.scale_inv.size() == grid.size());
}
}  // namespace

void gemm_w8a8_ref(std::span<const uint8_t> a_codes, std::span<const float> a_scales,
                   size_t m, const Fp8WeightView& w, std::span<const float> bias,
                   OutDType out_dtype, std::span<float> out) {
  check_weight(w);
  const size_t k = w.k, bk = size_t(w.block.cols), kblocks = act_groups(k, w.block.cols);
  const size_t grid_cols = scale_grid(w.n, w.k, w.block).cols;
  FINEFP8_ASSERT(a_codes.size() == m * k && a_scales.size() == m * kblocks);
  FINEFP8_ASSERT(out.size() == m * w.n && (bias.empty() || bias.size() == w.n));
  for (size_t i = 0; i < m; ++i) {
    for (size_t j = 0; j < w.n; ++j) {
      const float* w_s = w.scale_inv.data() + (j / w.block.rows) * grid_cols;
      float acc = 0.0f;
      for (size_t kb = 0; kb < kblocks; ++kb) {
        float partial = 0.0f;
        for (size_t kk = kb * bk; kk < std::min(k, (kb + 1) * bk); ++kk) {
          partial += e4m3_to_f32(a_codes[i * k + kk]) * e4m3_to_f32(w.codes[j * k + kk]);
        }
        acc += partial * a_scales[i * kblocks + kb] * w_s[kb];
      }
      float y = round_to(out_dtype, acc);
      if (!bias.empty()) y = round_to(out_dtype, y + bias[j]);
      out[i * w.n + j] = y;
    }
  }
}

void gemm_w8a16_ref(std::span<const float> x, size_t m, const Fp8WeightView& w,
                    std::span<const float> bias, OutDType act_dtype, std::span<float> out) {
  check_weight(w);
  const size_t k = w.k;
  const size_t grid_cols = scale_grid(w.n, w.k, w.block).cols;
  FINEFP8_ASSERT(x.size() == m * k && out.size() == m * w.n);
  FINEFP8_ASSERT(bias.empty() || bias.size() == w.n);
  for (size_t i = 0; i < m; ++i) {
    for (size_t j = 0; j < w.n; ++j) {
      const float* w_s = w.scale_inv.data() + (j / w.block.rows) * grid_cols;
      float acc = 0.0f;
      for (size_t kk = 0; kk < k; ++kk) {
        const float wv = round_to(act_dtype, e4m3_to_f32(w.codes[j * k + kk]) * w_s[kk / w.block.cols]);
        acc += x[i * k + kk] * wv;
      }
      out[i * w.n + j] = round_to(act_dtype, bias.empty() ? acc : acc + bias[j]);
    }
  }
}

}  // namespace finefp8
