#include "model/weight_loader.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "fp8/block_quant.h"
#include "fp8/float16.h"
#include "util/error.h"

namespace finefp8 {

WeightLoader::WeightLoader(const Checkpoint& ckpt, std::optional<FineGrainedFP8Config> quant,
                           std::optional<Fp8QuantConfig> checkpoint_quant, OutDType act_dtype,
                           int threads)
    : ckpt_(ckpt), quant_(std::move(quant)), ckpt_quant_(std::move(checkpoint_quant)),
      act_(act_dtype), threads_(threads) {
  if (quant_ && !ckpt_quant_) qopts_ = to_quantize_options(*quant_);
}

const TensorInfo& WeightLoader::info(const std::string& name, const std::vector<uint64_t>& shape) const {
  const TensorInfo* t = ckpt_.find(name);
  if (!t) fail("{}: tensor '{}' is missing", ckpt_.dir().string(), name);
  if (t->shape != shape) {
    fail("{}: tensor '{}' has shape {}, the config implies {}", ckpt_.dir().string(), name,
         t->shape, shape);
  }
  return *t;
}

namespace {

WeightView weight_view(const TensorView& v) {
  const TensorInfo& t = *v.info;
  WeightView w;
  w.data = v.data.data();
  w.rows = t.shape[0];
  w.cols = t.shape[1];
  switch (t.dtype) {
    case DType::kF32: w.dtype = WeightView::DType::kF32; break;
    case DType::kBF16: w.dtype = WeightView::DType::kBF16; break;
    case DType::kF16: w.dtype = WeightView::DType::kF16; break;
    default: fail("tensor '{}' has dtype {}; expected F32, BF16 or F16", t.name, dtype_name(t.dtype));
  }
  return w;
}

}  // namespace

cpu::DenseWeight WeightLoader::dense(const std::string& name, size_t n, size_t k) {
  const TensorInfo& t = info(name, {n, k});
  const TensorView v = ckpt_.tensor(name);
  if (t.dtype == DType::kBF16 && act_ == OutDType::kBF16) {
    cpu::DenseWeight d = cpu::DenseWeight::pack(v.data.data(), cpu::DenseDType::kBF16, n, k);
    ckpt_.release(name);
    return d;
  }
  const WeightView w = weight_view(v);
  if (act_ == OutDType::kBF16) {
    std::vector<uint16_t> bits(n * k);
    std::vector<float> row(k);
    for (size_t r = 0; r < n; ++r) {
      w.row_to_f32(r, 0, k, row.data());
      for (size_t c = 0; c < k; ++c) bits[r * k + c] = bf16_from_f32(row[c]).bits;
    }
    ckpt_.release(name);
    return cpu::DenseWeight::pack(bits.data(), cpu::DenseDType::kBF16, n, k);
  }
  std::vector<float> f(n * k);
  for (size_t r = 0; r < n; ++r) w.row_to_f32(r, 0, k, &f[r * k]);
  ckpt_.release(name);
  return cpu::DenseWeight::pack(f.data(), cpu::DenseDType::kF32, n, k);
}

std::vector<float> WeightLoader::vector(const std::string& name, size_t n) {
  info(name, {n});
  const TensorView v = ckpt_.tensor(name);
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = round_to(act_, v.f32(i));
  return out;
}

LinearLayer WeightLoader::linear(const std::string& module, size_t n, size_t k) {
  const std::string wname = module + ".weight";
  const TensorInfo& t = info(wname, {n, k});
  std::vector<float> bias;
  if (ckpt_.find(module + ".bias")) bias = vector(module + ".bias", n);
  const FineGrainedFP8Config cfg = quant_.value_or(FineGrainedFP8Config{});
  const BlockShape block = cfg.weight_block_size;
  const cpu::Fp8LinearOptions opt{.mode = cfg.mode, .act_dtype = act_};
  const ScaleGrid grid = scale_grid(n, k, block);

  std::vector<uint8_t> codes;
  std::vector<float> scale_inv;
  if (t.dtype == DType::kF8_E4M3) {
    if (!ckpt_quant_) fail("{}: '{}' is FP8 but config.json has no quantization_config", ckpt_.dir().string(), wname);
    const std::string sname = module + (ckpt_quant_->scale_naming == ScaleNaming::kWeightScale ? ".weight_scale" : ".weight_scale_inv");
    info(sname, {grid.rows, grid.cols});  // validate_fp8_checkpoint checked dtype and values
    const TensorView s = ckpt_.tensor(sname);
    const TensorView w = ckpt_.tensor(wname);
    codes.assign(w.data.begin(), w.data.end());
    ckpt_.release(wname);
    scale_inv.resize(grid.size());
    for (size_t i = 0; i < scale_inv.size(); ++i) scale_inv[i] = s.f32(i);
  } else if (quant_ && !ckpt_quant_ && plan_tensor(t, qopts_).quantize) {
    codes.resize(n * k);
    scale_inv.resize(grid.size());
    quantize_weight_fast(weight_view(ckpt_.tensor(wname)), block, codes, scale_inv, wname, threads_);
    ckpt_.release(wname);
  } else {
    ++dense_linears_;
    return LinearLayer::dense(dense(wname, n, k), std::move(bias), act_);
  }
  if (cfg.dequantize) {
    // transformers' dequantize=True: bf16 weights code * scale_inv, computed in bf16 from now on.
    std::vector<bf16> deq(n * k);
    dequantize_weight_blocks(codes, scale_inv, n, k, block, std::span<bf16>(deq));
    ++dense_linears_;
    if (act_ == OutDType::kBF16) {
      return LinearLayer::dense(cpu::DenseWeight::pack(deq.data(), cpu::DenseDType::kBF16, n, k), std::move(bias), act_);
    }
    std::vector<float> f(n * k);
    for (size_t i = 0; i < f.size(); ++i) f[i] = bf16_to_f32(deq[i]);
    return LinearLayer::dense(cpu::DenseWeight::pack(f.data(), cpu::DenseDType::kF32, n, k), std::move(bias), act_);
  }
  ++fp8_linears_;
  const Fp8WeightView view{codes, scale_inv, n, k, block};
  return LinearLayer::fp8(cpu::PackedFp8Weight::pack(view), std::move(bias), opt);
}

}  // namespace finefp8
