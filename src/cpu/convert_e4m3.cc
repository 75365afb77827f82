#include "cpu/convert_e4m3.h"

#include "fp8/formats.h"

namespace finefp8::cpu {

void e4m3_to_f32_row_scalar(const uint8_t* codes, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = e4m3_to_f32(codes[i]);
}

E4m3ToF32RowFn e4m3_to_f32_row_for(Isa isa) {
  switch (isa) {
    case Isa::kAmx:  // AMX machines run the AVX-512 conversion
    case Isa::kAvx512: return e4m3_to_f32_row_avx512;
    case Isa::kAvx2: return e4m3_to_f32_row_avx2;
    case Isa::kScalar: break;
  }
  return e4m3_to_f32_row_scalar;
}

void e4m3_to_f32_row(const uint8_t* codes, float* out, size_t n) {
  static const E4m3ToF32RowFn fn = e4m3_to_f32_row_for(best_isa());
  fn(codes, out, n);
}

}  // namespace finefp8::cpu
