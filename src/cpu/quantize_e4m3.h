#pragma once
// Row kernels of block weight quantization (src/fp8/block_quant.h is the specification; the
// converter in src/convert/ uses these and is tested to produce identical bytes):
//   max_abs_bits_row  the largest |x| of a row, as fp32 bits (an integer max over the sign-
//                     cleared bits: also tells whether a NaN or inf is present, >= 0x7F800000)
//   encode_e4m3_row   out[i] = e4m3_from_f32(x[i] * scale)  (or x[i] / scale when `divide`),
//                     the product/quotient rounded to fp32 first, exactly as the scalar code.
//   error_sums_row    quantization error of a row: with e = e4m3(q[i]) * scale_inv - x[i],
//                     sums[0] += sum e^2, sums[1] += sum x^2, sums[2] = max(sums[2], max |e|).
//                     Statistics: tiers may differ in summation order (fp32 partial sums).
// One implementation per instruction-set tier, chosen at run time.
#include <cstddef>
#include <cstdint>

#include "cpu/cpu_features.h"

namespace finefp8::cpu {

struct QuantizeRowKernels {
  uint32_t (*max_abs_bits_row)(const float* x, size_t n);
  void (*encode_e4m3_row)(const float* x, size_t n, float scale, bool divide, uint8_t* out);
  void (*error_sums_row)(const uint8_t* q, const float* x, size_t n, float scale_inv, double sums[3]);
};

// The kernels of `isa` (must be supported), and of best_isa().
const QuantizeRowKernels& quantize_row_kernels_for(Isa isa);
const QuantizeRowKernels& quantize_row_kernels();

uint32_t max_abs_bits_row_scalar(const float* x, size_t n);
void encode_e4m3_row_scalar(const float* x, size_t n, float scale, bool divide, uint8_t* out);
void error_sums_row_scalar(const uint8_t* q, const float* x, size_t n, float scale_inv, double sums[3]);
uint32_t max_abs_bits_row_avx2(const float* x, size_t n);
void encode_e4m3_row_avx2(const float* x, size_t n, float scale, bool divide, uint8_t* out);
void error_sums_row_avx2(const uint8_t* q, const float* x, size_t n, float scale_inv, double sums[3]);
uint32_t max_abs_bits_row_avx512(const float* x, size_t n);
void encode_e4m3_row_avx512(const float* x, size_t n, float scale, bool divide, uint8_t* out);
void error_sums_row_avx512(const uint8_t* q, const float* x, size_t n, float scale_inv, double sums[3]);

}  // namespace finefp8::cpu
