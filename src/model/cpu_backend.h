#pragma once
// The CPU backend: kernels of src/cpu/ for linears, plain loops elsewhere, all on one
// thread pool (so nested parallel sections never oversubscribe the machine).
#include <memory>
#include <vector>

#include "model/backend.h"
#include "util/thread_pool.h"

namespace finefp8 {

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(int threads);  // 0: all hardware threads

  std::string_view name() const override { return "cpu"; }
  int threads() const override { return pool_.size(); }
  ThreadPool& pool() { return pool_; }

  void linear(const LinearLayer& l, const float* x, size_t m, float* y) override;
  void rms_norm(const float* x, size_t m, size_t d, const float* weight, float eps, OutDType act,
                float* out) override;
  void rope(float* x, size_t m, size_t heads, const int64_t* positions, const Rope& rope) override;
  void silu_mul(const float* gate, const float* up, size_t m, size_t d, OutDType act, float* out) override;
  void add(float* h, const float* x, size_t n, OutDType act) override;
  void embed(const cpu::DenseWeight& table, std::span<const int32_t> ids, float* out) override;
  void kv_reset(const KvCacheShape& shape) override;
  size_t kv_bytes() const override { return 2 * kv_elements_ * sizeof(float); }
  void attention(size_t layer, const float* q, const float* k, const float* v, size_t m,
                 const int64_t* positions, size_t heads, float scale, size_t window, OutDType act,
                 float* out) override;

 private:
  ThreadPool pool_;
  KvCacheShape kv_;
  std::unique_ptr<float[]> k_, v_;  // [layers, context, kv_heads, head_dim], uninitialised
  size_t kv_elements_ = 0;
};

}  // namespace finefp8
