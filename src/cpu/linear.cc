// The scalar tier of the linear-layer interface: the reference GEMMs of src/fp8/gemm_ref,
// run in parallel over blocks of output features.
#include "cpu/linear.h"

#include <algorithm>
#include <vector>

#include "cpu/linear_storage.h"
#include "fp8/float16.h"
#include "util/error.h"

namespace finefp8::cpu {

PackedFp8Weight PackedFp8Weight::pack(const Fp8WeightView& w) { return pack(w, best_isa()); }

PackedFp8Weight PackedFp8Weight::pack(const Fp8WeightView& w, Isa isa) {
  if (!isa_supported(isa)) fail("instruction-set tier {} is not available on this CPU", isa_name(isa));
  const size_t grid = ((w.n + w.block.rows - 1) / w.block.rows) * ((w.k + w.block.cols - 1) / w.block.cols);
  FINEFP8_ASSERT(w.codes.size() == w.n * w.k && w.scale_inv.size() == grid);
  auto storage = std::make_shared<Storage>();
  storage->codes.assign(w.codes.begin(), w.codes.end());
  storage->scale_inv.assign(w.scale_inv.begin(), w.scale_inv.end());
  PackedFp8Weight p;
  p.n_ = w.n;
  p.k_ = w.k;
  p.block_ = w.block;
  p.isa_ = isa;
  p.storage_ = std::move(storage);
  return p;
}

size_t PackedFp8Weight::bytes() const {
  return storage_->codes.size() + storage_->scale_inv.size() * sizeof(float);
}

Fp8WeightView PackedFp8Weight::view() const {
  return {storage_->codes, storage_->scale_inv, n_, k_, block_};
}

namespace {

// The rows [n0, n1) of w (n0 a multiple of block.rows) as a weight of their own.
Fp8WeightView row_slice(const Fp8WeightView& w, size_t n0, size_t n1) {
  const size_t kb = (w.k + w.block.cols - 1) / w.block.cols;
  const size_t b0 = n0 / w.block.rows, b1 = (n1 + w.block.rows - 1) / w.block.rows;
  return {w.codes.subspan(n0 * w.k, (n1 - n0) * w.k), w.scale_inv.subspan(b0 * kb, (b1 - b0) * kb),
          n1 - n0, w.k, w.block};
}

// Runs ref(x, w_slice, bias_slice, out_slice) over blocks of block.rows output features.
template <typename Ref>
void over_row_blocks(size_t m, const PackedFp8Weight& w, const float* bias, float* y,
                     ThreadPool* pool, Ref ref) {
  const Fp8WeightView full = w.view();
  const size_t rows = w.block().rows;
  const size_t nblocks = (w.n() + rows - 1) / rows;
  parallel_for(pool, nblocks, [&](size_t b0, size_t b1) {
    const size_t n0 = b0 * rows, n1 = std::min(w.n(), b1 * rows), nn = n1 - n0;
    std::vector<float> out(m * nn);
    std::span<const float> bias_slice;
    if (bias) bias_slice = {bias + n0, nn};
    ref(row_slice(full, n0, n1), bias_slice, std::span<float>(out));
    for (size_t i = 0; i < m; ++i) std::copy_n(&out[i * nn], nn, y + i * w.n() + n0);
  });
}

}  // namespace

void fp8_linear(const float* x, size_t m, const PackedFp8Weight& w, const float* bias,
                const Fp8LinearOptions& opt, float* y, ThreadPool* pool) {
  const size_t k = w.k();
  if (opt.mode == Fp8Mode::kW8A16) {
    const std::span<const float> xs(x, m * k);
    over_row_blocks(m, w, bias, y, pool, [&](const Fp8WeightView& ws, std::span<const float> b, std::span<float> out) {
      gemm_w8a16_ref(xs, m, ws, b, opt.act_dtype, out);
    });
    return;
  }
  const int group = int(w.block().cols);
  std::vector<uint8_t> a_codes(m * k);
  std::vector<float> a_scales(m * act_groups(k, group));
  if (opt.static_act_scale > 0) {
    quantize_activations_static({x, m * k}, m, k, group, opt.static_act_scale, a_codes, a_scales);
  } else {
    ActQuantRecipe recipe = opt.act;
    recipe.group = group;
    quantize_activations_dynamic({x, m * k}, m, k, recipe, a_codes, a_scales);
  }
  over_row_blocks(m, w, bias, y, pool, [&](const Fp8WeightView& ws, std::span<const float> b, std::span<float> out) {
    gemm_w8a8_ref(a_codes, a_scales, m, ws, b, opt.act_dtype, out);
  });
}

DenseWeight DenseWeight::pack(const void* data, DenseDType dtype, size_t n, size_t k) {
  return pack(data, dtype, n, k, best_isa());
}

DenseWeight DenseWeight::pack(const void* data, DenseDType dtype, size_t n, size_t k, Isa isa) {
  if (!isa_supported(isa)) fail("instruction-set tier {} is not available on this CPU", isa_name(isa));
  auto storage = std::make_shared<Storage>();
  if (dtype == DenseDType::kF32) {
    const auto* p = static_cast<const float*>(data);
    storage->f32.assign(p, p + n * k);
  } else {
    const auto* p = static_cast<const uint16_t*>(data);
    storage->bf16.assign(p, p + n * k);
  }
  DenseWeight d;
  d.n_ = n;
  d.k_ = k;
  d.dtype_ = dtype;
  d.isa_ = isa;
  d.storage_ = std::move(storage);
  return d;
}

size_t DenseWeight::bytes() const {
  return storage_->f32.size() * sizeof(float) + storage_->bf16.size() * sizeof(uint16_t);
}

void DenseWeight::row_f32(size_t r, float* out) const {
  FINEFP8_ASSERT(r < n_);
  if (dtype_ == DenseDType::kF32) {
    std::copy_n(&storage_->f32[r * k_], k_, out);
  } else {
    for (size_t j = 0; j < k_; ++j) out[j] = bf16_to_f32(bf16{storage_->bf16[r * k_ + j]});
  }
}

void dense_linear(const float* x, size_t m, const DenseWeight& w, const float* bias,
                  OutDType out_dtype, float* y, ThreadPool* pool) {
  const size_t n = w.n(), k = w.k();
  parallel_for(pool, n, [&](size_t n0, size_t n1) {
    std::vector<float> row(k);
    for (size_t j = n0; j < n1; ++j) {
      w.row_f32(j, row.data());
      for (size_t i = 0; i < m; ++i) {
        const float* xi = x + i * k;
        float acc = 0.0f;
        for (size_t t = 0; t < k; ++t) acc += xi[t] * row[t];
        y[i * n + j] = round_to(out_dtype, bias ? acc + bias[j] : acc);
      }
    }
  });
}

}  // namespace finefp8::cpu
