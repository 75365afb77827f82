#pragma once
// The one table of tensor element types met in checkpoints (safetensors names). Everything
// that needs a dtype's name, size or fp32 conversion asks this table; no switch statements
// elsewhere.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace finefp8 {

enum class DType : uint8_t {
  kBool, kF4, kU8, kI8, kF8_E5M2, kF8_E5M2FNUZ, kF8_E4M3, kF8_E4M3FNUZ, kF8_E8M0, kI16, kU16,
  kF16, kBF16, kI32, kU32, kF32, kF64, kI64, kU64, kC64,
};
inline constexpr int kNumDTypes = 20;

struct DTypeInfo {
  DType dtype;
  std::string_view name;  // safetensors header spelling, e.g. "F8_E4M3"
  size_t bits;            // per element: 4 for F4 (two per byte, low nibble first), else 8 x bytes
  bool is_float;
  // Element i of `bytes` (little-endian, any alignment) as fp32; exact for every type whose
  // values fp32 holds (all but F64, I32/U32/I64/U64 beyond 2^24, which round; C64 gives its
  // real part).
  float (*to_f32)(const uint8_t* bytes, size_t i);
};

const DTypeInfo& dtype_info(DType dtype);
// nullopt if `name` is not a safetensors dtype name.
std::optional<DType> dtype_from_name(std::string_view name);
inline std::string_view dtype_name(DType d) { return dtype_info(d).name; }
inline size_t dtype_bits(DType d) { return dtype_info(d).bits; }
// Bytes per element, rounded up (1 for F4); use tensor_bytes() for a tensor's byte size.
inline size_t dtype_size(DType d) { return (dtype_info(d).bits + 7) / 8; }
// Bytes of `elements` elements of `d`; nullopt if that overflows or, for sub-byte types, is
// not a whole number of bytes.
std::optional<uint64_t> tensor_bytes(DType d, uint64_t elements);

}  // namespace finefp8
