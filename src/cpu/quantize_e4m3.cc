#include "cpu/quantize_e4m3.h"

#include <algorithm>
#include <bit>
#include <cmath>

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

void error_sums_row_scalar(const uint8_t* q, const float* x, size_t n, float scale_inv,
                          double sums[3]) {
  float err2 = 0, ref2 = 0, max_abs = 0;
  for (size_t i = 0; i < n; ++i) {
    const float e = e4m3_to_f32(q[i]) * scale_inv - x[i];
    err2 += e * e;
    ref2 += x[i] * x[i];
    max_abs = std::max(max_abs, std::fabs(e));
  }
  sums[0] += err2;
  sums[1] += ref2;
  sums[2] = std::max(sums[2], double(max_abs));
}

const QuantizeRowKernels& quantize_row_kernels_for(Isa isa) {
  static const QuantizeRowKernels scalar{max_abs_bits_row_scalar, encode_e4m3_row_scalar,
                                         error_sums_row_scalar};
  static const QuantizeRowKernels avx2{max_abs_bits_row_avx2, encode_e4m3_row_avx2,
                                       error_sums_row_avx2};
  static const QuantizeRowKernels avx512{max_abs_bits_row_avx512, encode_e4m3_row_avx512,
                                         error_sums_row_avx512};
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
