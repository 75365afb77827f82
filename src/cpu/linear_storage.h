#pragma once
// Private to src/cpu/: what a packed weight holds. The scalar tier keeps the checkpoint
// layout; the SIMD tiers keep only the group-pair layout of linear_layout.h (the checkpoint
// layout is rebuilt on demand by view(), for tests and tools).
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "cpu/linear.h"
#include "cpu/linear_layout.h"

namespace finefp8::cpu {

// A 64-byte aligned byte buffer (kernels load whole cache lines).
class AlignedBytes {
 public:
  AlignedBytes() = default;
  explicit AlignedBytes(size_t bytes);  // zero-filled
  uint8_t* data() { return p_.get(); }
  const uint8_t* data() const { return p_.get(); }
  size_t size() const { return size_; }

 private:
  struct Free {
    void operator()(uint8_t* p) const;
  };
  std::unique_ptr<uint8_t, Free> p_;
  size_t size_ = 0;
};

struct PackedFp8Weight::Storage {
  KernelVariant variant = KernelVariant::kScalar;
  std::vector<float> scale_inv;  // [ceil(n / block.rows), ceil(k / block.cols)], checkpoint
  // kScalar: the codes [n, k] in checkpoint layout. Other variants: filled by view() on demand.
  mutable std::vector<uint8_t> codes;
  mutable std::once_flag codes_once;
  // SIMD variants (linear_layout.h).
  KLayout kl;
  size_t groups = 0;
  AlignedBytes packed;           // [groups][KP / 2][64] E4M3 codes
  std::vector<float> gscale;     // [groups][kblocks][32]
  AlignedBytes w16_tables;       // [row blocks][kblocks][256] or empty
  bool nan_codes = false;        // some code is 0x7F or 0xFF (NaN)
};

struct DenseWeight::Storage {
  KernelVariant variant = KernelVariant::kScalar;
  std::vector<float> f32;      // [n, k] when dtype is kF32 (kScalar only)
  std::vector<uint16_t> bf16;  // [n, k] bf16 bits when dtype is kBF16 (kScalar only)
  KLayout kl;                  // pseudo-blocks of 128 columns
  size_t groups = 0;
  AlignedBytes packed;         // bf16: [groups][KP / 2][64] bits; fp32: [groups][KP][32]
  bool bf16_subnormal = false; // a bf16 weight is subnormal: no vdpbf16ps (it reads 0)
};

}  // namespace finefp8::cpu
