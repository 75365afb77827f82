#include "io/dtype.h"

#include <array>
#include <cmath>
#include <cstring>

#include "fp8/float16.h"
#include "fp8/formats.h"

namespace finefp8 {
namespace {

template <typename T>
T load(const uint8_t* bytes, size_t i) {
  T v;
  std::memcpy(&v, bytes + i * sizeof(T), sizeof(T));
  return v;
}
template <typename T>
float as_f32(const uint8_t* b, size_t i) { return float(load<T>(b, i)); }
float bool_f32(const uint8_t* b, size_t i) { return b[i] != 0 ? 1.0f : 0.0f; }
float e4m3_f32(const uint8_t* b, size_t i) { return e4m3_to_f32(b[i]); }
float e5m2_f32(const uint8_t* b, size_t i) { return e5m2_to_f32(b[i]); }
float e8m0_f32(const uint8_t* b, size_t i) { return ue8m0_to_f32(b[i]); }
// FNUZ variants (AMD): no negative zero or infinities, 0x80 is the only NaN, bias one higher.
float fnuz_f32(uint8_t c, int mbits, int bias) {
  if (c == 0x80) return NAN;
  const int exp = (c & 0x7F) >> mbits, mant = c & ((1 << mbits) - 1);
  const float mag = exp == 0 ? std::ldexp(float(mant), 1 - bias - mbits)
                             : std::ldexp(1.0f + float(mant) / float(1 << mbits), exp - bias);
  return (c & 0x80) ? -mag : mag;
}
float e4m3fnuz_f32(const uint8_t* b, size_t i) { return fnuz_f32(b[i], 3, 8); }
float e5m2fnuz_f32(const uint8_t* b, size_t i) { return fnuz_f32(b[i], 2, 16); }
// E2M1 nibbles, two per byte, element 2j in the low nibble of byte j.
float f4_f32(const uint8_t* b, size_t i) {
  static constexpr float kValues[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};
  const uint8_t nibble = (i % 2 == 0) ? (b[i / 2] & 0xF) : (b[i / 2] >> 4);
  return (nibble & 8) ? -kValues[nibble & 7] : kValues[nibble & 7];
}
float c64_real_f32(const uint8_t* b, size_t i) { return load<float>(b, 2 * i); }
float f16_f32(const uint8_t* b, size_t i) { return fp16_to_f32(fp16{load<uint16_t>(b, i)}); }
float bf16_f32(const uint8_t* b, size_t i) { return bf16_to_f32(bf16{load<uint16_t>(b, i)}); }

constexpr std::array<DTypeInfo, kNumDTypes> kTable = {{
    {DType::kBool, "BOOL", 8, false, bool_f32},
    {DType::kF4, "F4", 4, true, f4_f32},
    {DType::kU8, "U8", 8, false, as_f32<uint8_t>},
    {DType::kI8, "I8", 8, false, as_f32<int8_t>},
    {DType::kF8_E5M2, "F8_E5M2", 8, true, e5m2_f32},
    {DType::kF8_E5M2FNUZ, "F8_E5M2FNUZ", 8, true, e5m2fnuz_f32},
    {DType::kF8_E4M3, "F8_E4M3", 8, true, e4m3_f32},
    {DType::kF8_E4M3FNUZ, "F8_E4M3FNUZ", 8, true, e4m3fnuz_f32},
    {DType::kF8_E8M0, "F8_E8M0", 8, true, e8m0_f32},
    {DType::kI16, "I16", 16, false, as_f32<int16_t>},
    {DType::kU16, "U16", 16, false, as_f32<uint16_t>},
    {DType::kF16, "F16", 16, true, f16_f32},
    {DType::kBF16, "BF16", 16, true, bf16_f32},
    {DType::kI32, "I32", 32, false, as_f32<int32_t>},
    {DType::kU32, "U32", 32, false, as_f32<uint32_t>},
    {DType::kF32, "F32", 32, true, as_f32<float>},
    {DType::kF64, "F64", 64, true, as_f32<double>},
    {DType::kI64, "I64", 64, false, as_f32<int64_t>},
    {DType::kU64, "U64", 64, false, as_f32<uint64_t>},
    {DType::kC64, "C64", 64, false, c64_real_f32},
}};

constexpr bool table_is_indexed_by_enum() {
  for (int i = 0; i < kNumDTypes; ++i) {
    if (int(kTable[i].dtype) != i) return false;
  }
  return true;
}
static_assert(table_is_indexed_by_enum());

}  // namespace

const DTypeInfo& dtype_info(DType dtype) { return kTable[size_t(dtype)]; }

std::optional<uint64_t> tensor_bytes(DType d, uint64_t elements) {
  const uint64_t bits = dtype_bits(d);
  if (elements > UINT64_MAX / bits) return std::nullopt;
  const uint64_t total = elements * bits;
  if (total % 8 != 0) return std::nullopt;
  return total / 8;
}

std::optional<DType> dtype_from_name(std::string_view name) {
  for (const DTypeInfo& info : kTable) {
    if (info.name == name) return info.dtype;
  }
  return std::nullopt;
}

}  // namespace finefp8
