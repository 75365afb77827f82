#include "io/fp8_checkpoint.h"

#include <cmath>
#include <set>

#include <fmt/ranges.h>

#include "util/error.h"

namespace finefp8 {
namespace {

std::vector<uint64_t> expected_scale_shape(const TensorInfo& w, const std::optional<BlockShape>& block) {
  std::vector<uint64_t> shape(w.shape.begin(), w.shape.end() - 2);
  const uint64_t rows = w.shape[w.shape.size() - 2], cols = w.shape.back();
  if (block) {
    shape.push_back((rows + uint64_t(block->rows) - 1) / uint64_t(block->rows));
    shape.push_back((cols + uint64_t(block->cols) - 1) / uint64_t(block->cols));
  }
  return shape;
}

uint64_t element_count(const std::vector<uint64_t>& shape) {
  uint64_t n = 1;
  for (uint64_t d : shape) n *= d;
  return n;
}

}  // namespace

std::vector<Fp8LinearTensors> validate_fp8_checkpoint(const Checkpoint& ckpt,
                                                      const Fp8QuantConfig& cfg) {
  const std::string suffix =
      cfg.scale_naming == ScaleNaming::kWeightScale ? "_scale" : "_scale_inv";
  const std::string src = ckpt.dir().string();
  std::vector<Fp8LinearTensors> out;
  std::set<std::string> used_scales;
  for (const Checkpoint::Entry& e : ckpt.tensors()) {
    const TensorInfo& w = *e.info;
    if (w.dtype != DType::kF8_E4M3) continue;
    if (!w.name.ends_with(".weight")) {
      fail("{}: tensor '{}' is F8_E4M3 but not a '.weight'; finefp8 does not know how to use it",
           src, w.name);
    }
    const std::string scale_name = w.name + suffix;
    const TensorInfo* s = ckpt.find(scale_name);
    if (s == nullptr) {
      fail("{}: FP8 weight '{}' has no scale tensor '{}'; the checkpoint is incomplete", src,
           w.name, scale_name);
    }
    if (w.shape.size() < 2) {
      fail("{}: FP8 weight '{}' has shape [{}]; expected a matrix", src, w.name, fmt::join(w.shape, ", "));
    }
    const std::vector<uint64_t> want = expected_scale_shape(w, cfg.weight_block_size);
    const bool per_tensor_ok = !cfg.weight_block_size && element_count(s->shape) == element_count(want);
    if (s->shape != want && !per_tensor_ok) {
      const std::string block = cfg.weight_block_size
                                    ? fmt::format("{}x{} blocks", cfg.weight_block_size->rows,
                                                  cfg.weight_block_size->cols)
                                    : std::string("one scale per tensor");
      fail("{}: scale '{}' has shape [{}] but weight '{}' [{}] with {} needs [{}]", src,
           scale_name, fmt::join(s->shape, ", "), w.name, fmt::join(w.shape, ", "), block,
           fmt::join(want, ", "));
    }
    if (s->dtype != DType::kF32 && s->dtype != DType::kBF16 && s->dtype != DType::kF16 &&
        s->dtype != DType::kF8_E8M0) {
      fail("{}: scale '{}' has dtype {}; expected F32, BF16, F16 or F8_E8M0", src, scale_name,
           dtype_name(s->dtype));
    }
    const TensorView v = ckpt.tensor(scale_name);
    for (uint64_t i = 0; i < s->elements(); ++i) {
      const float x = v.f32(i);
      if (!(x > 0.0f) || !std::isfinite(x)) {
        fail("{}: scale '{}' element {} is {}; scales must be finite and positive", src,
             scale_name, i, x);
      }
    }
    used_scales.insert(scale_name);
    out.push_back({&w, s});
  }
  for (const Checkpoint::Entry& e : ckpt.tensors()) {
    const std::string& n = e.info->name;
    if (n.ends_with(".weight" + suffix) && used_scales.count(n) == 0) {
      fail("{}: scale '{}' has no FP8 weight '{}'", src, n, n.substr(0, n.size() - suffix.size()));
    }
  }
  return out;
}

}  // namespace finefp8
