#include "cpu/quantize_e4m3.h"

#include <algorithm>
#include <bit>

#include "fp8/formats.h"

namespace finefp8::cpu {

uint32_t max_abs_bits_row_scalar(const float* x, size_t n) {
  uint32_t m = 0;
  for (size_t i = 0; i < n; ++i) m = std::max(m, std::bit_cast<uint32_t>(x[i]) & 0x7FFFFFFFu);
  return m;
}

void encode_e4m3_row_scalar(const float* x, size_t n, float scale, bool divide, uint8_t* out) {
  for (size_t i = 0; i < n; ++i) out[i] = e4m3_from_f32(divide ? x[i] / scale : x[i] * scale);
}

const QuantizeRowKernels& quantize_row_kernels_for(Isa isa) {
  static const QuantizeRowKernels scalar{max_abs_bits_row_scalar, encode_e4m3_row_scalar};
  static const QuantizeRowKernels avx2{max_abs_bits_row_avx2, encode_e4m3_row_avx2};
  static const QuantizeRowKernels avx512{max_abs_bits_row_avx512, encode_e4m3_row_avx512};
  switch (isa) {
    case Isa::kAmx:
    case Isa::kAvx512: return avx512;
    case Isa::kAvx2: return avx2;
    case Isa::kScalar: break;
  }
  return scalar;
}

const QuantizeRowKernels& quantize_row_kernels() {
  static const QuantizeRowKernels& k = quantize_row_kernels_for(best_isa());
  return k;
}

}  // namespace finefp8::cpu
