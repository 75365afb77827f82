#pragma once
// Bulk E4M3 -> fp32 conversion, exact for all 256 codes (NaN codes give NaN), one
// implementation per instruction-set tier, chosen at run time.
#include <cstddef>
#include <cstdint>

#include "cpu/cpu_features.h"

namespace finefp8::cpu {

// out[i] = e4m3_to_f32(codes[i]) for i < n. Uses the tier best_isa() picked.
void e4m3_to_f32_row(const uint8_t* codes, float* out, size_t n);

using E4m3ToF32RowFn = void (*)(const uint8_t* codes, float* out, size_t n);
// The implementation of one tier (for tests and benchmarks); `isa` must be supported.
E4m3ToF32RowFn e4m3_to_f32_row_for(Isa isa);

// Per-tier implementations; the avx2/avx512 ones live in files built with their flags.
void e4m3_to_f32_row_scalar(const uint8_t* codes, float* out, size_t n);
void e4m3_to_f32_row_avx2(const uint8_t* codes, float* out, size_t n);
void e4m3_to_f32_row_avx512(const uint8_t* codes, float* out, size_t n);

}  // namespace finefp8::cpu
