#pragma once
// The one table of GGML tensor types a GGUF file may hold (ggml.c type_traits; the gguf
// Python package's GGML_QUANT_SIZES): name, elements per block, bytes per block and, for the
// types finefp8 reads, the dequantization of whole blocks to fp32. Types ggml has retired
// (4, 5, 31-33, 36-38) are unknown and rejected by the reader.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace finefp8 {

enum class GgmlType : uint32_t {
  kF32 = 0, kF16 = 1, kQ4_0 = 2, kQ4_1 = 3, kQ5_0 = 6, kQ5_1 = 7, kQ8_0 = 8, kQ8_1 = 9,
  kQ2_K = 10, kQ3_K = 11, kQ4_K = 12, kQ5_K = 13, kQ6_K = 14, kQ8_K = 15, kBF16 = 30,
};

struct GgmlTypeInfo {
  uint32_t id;
  std::string_view name;    // as ggml and the gguf package spell it, e.g. "Q4_K"
  uint32_t block_elems;     // elements per block (1 for plain floats and integers)
  uint32_t block_bytes;     // bytes per block
  // Dequantizes `n_blocks` consecutive blocks at `src` (any alignment) into
  // n_blocks * block_elems floats at `dst`; bit-identical to gguf.quants.dequantize.
  // nullptr: finefp8 cannot dequantize this type (yet).
  void (*to_f32)(const uint8_t* src, size_t n_blocks, float* dst);
};

// nullptr if `id` is not a known GGML type. O(1).
const GgmlTypeInfo* ggml_type_info(uint32_t id);
inline const GgmlTypeInfo& ggml_type_info(GgmlType t) { return *ggml_type_info(uint32_t(t)); }
// "Q4_K", or "unknown type 77".
std::string ggml_type_name(uint32_t id);
// The names of the types with a dequantizer, comma-separated (for error messages).
std::string ggml_dequantizable_types();

// Bytes of a row of `elems` elements of type `t`; nullopt if `elems` is not a whole number of
// blocks or the size overflows.
std::optional<uint64_t> ggml_row_bytes(const GgmlTypeInfo& t, uint64_t elems);

}  // namespace finefp8
