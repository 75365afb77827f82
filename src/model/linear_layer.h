#pragma once
// One nn.Linear of a model, y[m, n] = x[m, k] W^T (+ bias), held in the form the backend's
// kernels run: FP8 with block scales (W8A8 or W8A16), or dense bf16 / fp32.
#include <cstddef>
#include <optional>
#include <vector>

#include "cpu/linear.h"

namespace finefp8 {

class LinearLayer {
 public:
  LinearLayer() = default;
  static LinearLayer fp8(cpu::PackedFp8Weight w, std::vector<float> bias, cpu::Fp8LinearOptions opt);
  static LinearLayer dense(cpu::DenseWeight w, std::vector<float> bias, OutDType act_dtype);

  // x [m, k], y [m, n]; parallel on `pool` (null: calling thread).
  void forward(const float* x, size_t m, float* y, ThreadPool* pool) const;

  size_t n() const;
  size_t k() const;
  bool is_fp8() const { return fp8_.has_value(); }
  size_t bytes() const;  // resident bytes of weights, scales and bias
  const cpu::DenseWeight* dense_weight() const { return dense_ ? &*dense_ : nullptr; }

 private:
  std::optional<cpu::PackedFp8Weight> fp8_;
  std::optional<cpu::DenseWeight> dense_;
  std::vector<float> bias_;
  cpu::Fp8LinearOptions opt_;
  OutDType act_ = OutDType::kF32;
};

}  // namespace finefp8
