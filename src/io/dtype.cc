#include "io/dtype.h"

#include <array>
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
float f16_f32(const uint8_t* b, size_t i) { return fp16_to_f32(fp16{load<uint16_t>(b, i)}); }
float bf16_f32(const uint8_t* b, size_t i) { return bf16_to_f32(bf16{load<uint16_t>(b, i)}); }

constexpr std::array<DTypeInfo, kNumDTypes> kTable = {{
    {DType::kBool, "BOOL", 1, false, bool_f32},
    {DType::kU8, "U8", 1, false, as_f32<uint8_t>},
    {DType::kI8, "I8", 1, false, as_f32<int8_t>},
    {DType::kF8_E5M2, "F8_E5M2", 1, true, e5m2_f32},
    {DType::kF8_E4M3, "F8_E4M3", 1, true, e4m3_f32},
    {DType::kF8_E8M0, "F8_E8M0", 1, true, e8m0_f32},
    {DType::kI16, "I16", 2, false, as_f32<int16_t>},
    {DType::kU16, "U16", 2, false, as_f32<uint16_t>},
    {DType::kF16, "F16", 2, true, f16_f32},
    {DType::kBF16, "BF16", 2, true, bf16_f32},
    {DType::kI32, "I32", 4, false, as_f32<int32_t>},
    {DType::kU32, "U32", 4, false, as_f32<uint32_t>},
    {DType::kF32, "F32", 4, true, as_f32<float>},
    {DType::kF64, "F64", 8, true, as_f32<double>},
    {DType::kI64, "I64", 8, false, as_f32<int64_t>},
    {DType::kU64, "U64", 8, false, as_f32<uint64_t>},
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

std::optional<DType> dtype_from_name(std::string_view name) {
  for (const DTypeInfo& info : kTable) {
    if (info.name == name) return info.dtype;
  }
  return std::nullopt;
}

}  // namespace finefp8
