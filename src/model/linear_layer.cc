#include "model/linear_layer.h"

#include "util/error.h"

namespace finefp8 {

LinearLayer LinearLayer::fp8(cpu::PackedFp8Weight w, std::vector<float> bias, cpu::Fp8LinearOptions opt) {
  FINEFP8_ASSERT(bias.empty() || bias.size() == w.n());
  LinearLayer l;
  l.act_ = opt.act_dtype;
  l.opt_ = opt;
  l.fp8_ = std::move(w);
  l.bias_ = std::move(bias);
  return l;
}

LinearLayer LinearLayer::dense(cpu::DenseWeight w, std::vector<float> bias, OutDType act_dtype) {
  FINEFP8_ASSERT(bias.empty() || bias.size() == w.n());
  LinearLayer l;
  l.act_ = act_dtype;
  l.dense_ = std::move(w);
  l.bias_ = std::move(bias);
  return l;
}

void LinearLayer::forward(const float* x, size_t m, float* y, ThreadPool* pool) const {
  const float* bias = bias_.empty() ? nullptr : bias_.data();
  if (fp8_) {
    cpu::fp8_linear(x, m, *fp8_, bias, opt_, y, pool);
  } else {
    FINEFP8_ASSERT(dense_.has_value());
    cpu::dense_linear(x, m, *dense_, bias, act_, y, pool);
  }
}

size_t LinearLayer::n() const { return fp8_ ? fp8_->n() : dense_->n(); }
size_t LinearLayer::k() const { return fp8_ ? fp8_->k() : dense_->k(); }

size_t LinearLayer::bytes() const {
  return (fp8_ ? fp8_->bytes() : dense_ ? dense_->bytes() : 0) + bias_.size() * sizeof(float);
}

}  // namespace finefp8
