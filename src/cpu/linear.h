#pragma once
// The kernel interface the model calls for every linear layer: y = x W^T (+ bias).
// Weights are packed once at load time (the layout is the kernel tier's business); the
// model never names an instruction set. Semantics are those of src/fp8/gemm_ref.h; a fast
// tier may differ from the reference only by the order of fp32 summation within a block
// (W8A8) or along K (W8A16 and dense), see docs/NUMERICS.md.
//
// Shapes: x [m, k] row-major fp32 (holding bf16 values when the activation dtype is bf16),
// y [m, n] row-major fp32, bias [n] or null.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "cpu/cpu_features.h"
#include "fp8/act_quant.h"
#include "fp8/gemm_ref.h"
#include "util/thread_pool.h"

namespace finefp8::cpu {

// How an FP8 linear computes (transformers' FineGrainedFP8 on GPU is W8A8; its CPU path,
// DeepSeek's gemm_impl="bf16" and `dequantize` on load are W8A16).
enum class Fp8Mode { kW8A8, kW8A16 };

struct Fp8LinearOptions {
  Fp8Mode mode = Fp8Mode::kW8A8;
  OutDType act_dtype = OutDType::kBF16;  // the output (and, for W8A16, input) dtype
  ActQuantRecipe act = ActQuantRecipe::transformers();  // W8A8 only
  float static_act_scale = 0.0f;  // > 0: the "static" activation scheme with this scale
};

// Choices inside a tier, for tests and benchmarks (the defaults are the fastest).
struct PackOptions {
  // avx512 / amx tiers: convert FP8 to bf16 with vpermi2b and multiply with vdpbf16ps where
  // the CPU has AVX512_BF16 and AVX512_VBMI; false: decode to fp32 and use FMA.
  bool allow_avx512_bf16 = true;
};

// An FP8 weight [n, k] with block scales, packed for the tier chosen at pack time.
class PackedFp8Weight {
 public:
  // Packs (copies) `w`; `isa` defaults to best_isa(). Throws Error if isa is unsupported.
  // The SIMD tiers re-pack into the layout of src/cpu/linear_layout.h (docs/KERNELS.md).
  static PackedFp8Weight pack(const Fp8WeightView& w);
  static PackedFp8Weight pack(const Fp8WeightView& w, Isa isa);
  static PackedFp8Weight pack(const Fp8WeightView& w, Isa isa, const PackOptions& opt);

  size_t n() const { return n_; }
  size_t k() const { return k_; }
  BlockShape block() const { return block_; }
  Isa isa() const { return isa_; }
  size_t bytes() const;  // resident bytes (codes + scales + padding)
  // The kernel variant in use: "scalar", "avx2-fma", "avx512-fma", "avx512-bf16", "amx".
  std::string_view kernel() const;

  // The weight in checkpoint layout, as packed (for tests and the reference tier). SIMD
  // tiers rebuild it on first call (thread-safe) and keep it.
  Fp8WeightView view() const;

  // Tier-private storage; see the tier's source for the layout.
  struct Storage;
  const Storage& storage() const { return *storage_; }

 private:
  size_t n_ = 0, k_ = 0;
  BlockShape block_;
  Isa isa_ = Isa::kScalar;
  std::shared_ptr<const Storage> storage_;
};

// y = x W^T (+ bias) per opt (W8A8 quantizes x per token-group of block.cols first).
// Parallel over n on `pool` (null: the calling thread only). Throws Error on non-finite x
// in W8A8 dynamic mode.
void fp8_linear(const float* x, size_t m, const PackedFp8Weight& w, const float* bias,
                const Fp8LinearOptions& opt, float* y, ThreadPool* pool);

// An unquantized weight [n, k], bf16 or fp32 (fp16 checkpoints are widened to fp32).
enum class DenseDType { kF32, kBF16 };
class DenseWeight {
 public:
  // Copies `data` ([n, k], bf16 bits when dtype is kBF16).
  static DenseWeight pack(const void* data, DenseDType dtype, size_t n, size_t k);
  static DenseWeight pack(const void* data, DenseDType dtype, size_t n, size_t k, Isa isa);
  static DenseWeight pack(const void* data, DenseDType dtype, size_t n, size_t k, Isa isa,
                          const PackOptions& opt);

  size_t n() const { return n_; }
  size_t k() const { return k_; }
  DenseDType dtype() const { return dtype_; }
  Isa isa() const { return isa_; }
  size_t bytes() const;
  std::string_view kernel() const;  // as PackedFp8Weight::kernel()
  // Row r of the weight as fp32 (k values), for embedding lookups and tests.
  void row_f32(size_t r, float* out) const;

  struct Storage;
  const Storage& storage() const { return *storage_; }

 private:
  size_t n_ = 0, k_ = 0;
  DenseDType dtype_ = DenseDType::kF32;
  Isa isa_ = Isa::kScalar;
  std::shared_ptr<const Storage> storage_;
};

// y = x W^T (+ bias): products summed in fp32, rounded to out_dtype, then bias added in
// out_dtype (torch's bf16 / fp32 nn.Linear on CPU). Fast tiers differ from that only by the
// fp32 summation order (and by flushing fp32-subnormal products, < 2^-126 each, where the
// bf16 dot instructions are used).
void dense_linear(const float* x, size_t m, const DenseWeight& w, const float* bias,
                  OutDType out_dtype, float* y, ThreadPool* pool);

}  // namespace finefp8::cpu
