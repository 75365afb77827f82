#pragma once
// Private to src/cpu/: what a packed weight holds. The scalar tier keeps the checkpoint
// layout; faster tiers add their own re-packed copies (documented where they are built).
#include <cstdint>
#include <vector>

#include "cpu/linear.h"

namespace finefp8::cpu {

struct PackedFp8Weight::Storage {
  std::vector<uint8_t> codes;     // [n, k] E4M3, checkpoint layout
  std::vector<float> scale_inv;   // [ceil(n / block.rows), ceil(k / block.cols)]
};

struct DenseWeight::Storage {
  std::vector<float> f32;      // [n, k] when dtype is kF32
  std::vector<uint16_t> bf16;  // [n, k] bf16 bits when dtype is kBF16
};

}  // namespace finefp8::cpu
