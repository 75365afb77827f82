#include "gguf/gguf_types.h"

#include <array>

#include <fmt/format.h>

#include "gguf/gguf_dequant.h"

namespace finefp8 {
namespace {

using namespace gguf_blocks;

// Indexed by id; entries with an empty name are retired or unassigned ids.
constexpr std::array<GgmlTypeInfo, 42> kTypes = [] {
  std::array<GgmlTypeInfo, 42> t{};
  auto set = [&](uint32_t id, std::string_view name, uint32_t elems, uint32_t bytes,
                 void (*fn)(const uint8_t*, size_t, float*)) { t[id] = {id, name, elems, bytes, fn}; };
  set(0, "F32", 1, 4, f32_to_f32);
  set(1, "F16", 1, 2, f16_to_f32);
  set(2, "Q4_0", 32, sizeof(BlockQ4_0), q4_0_to_f32);
  set(3, "Q4_1", 32, sizeof(BlockQ4_1), q4_1_to_f32);
  set(6, "Q5_0", 32, sizeof(BlockQ5_0), q5_0_to_f32);
  set(7, "Q5_1", 32, sizeof(BlockQ5_1), q5_1_to_f32);
  set(8, "Q8_0", 32, sizeof(BlockQ8_0), q8_0_to_f32);
  set(9, "Q8_1", 32, 40, nullptr);
  set(10, "Q2_K", 256, 84, nullptr);
  set(11, "Q3_K", 256, 110, nullptr);
  set(12, "Q4_K", 256, sizeof(BlockQ4_K), q4_k_to_f32);
  set(13, "Q5_K", 256, sizeof(BlockQ5_K), q5_k_to_f32);
  set(14, "Q6_K", 256, sizeof(BlockQ6_K), q6_k_to_f32);
  set(15, "Q8_K", 256, 292, nullptr);
  set(16, "IQ2_XXS", 256, 66, nullptr);
  set(17, "IQ2_XS", 256, 74, nullptr);
  set(18, "IQ3_XXS", 256, 98, nullptr);
  set(19, "IQ1_S", 256, 50, nullptr);
  set(20, "IQ4_NL", 32, 18, nullptr);
  set(21, "IQ3_S", 256, 110, nullptr);
  set(22, "IQ2_S", 256, 82, nullptr);
  set(23, "IQ4_XS", 256, 136, nullptr);
  set(24, "I8", 1, 1, nullptr);
  set(25, "I16", 1, 2, nullptr);
  set(26, "I32", 1, 4, nullptr);
  set(27, "I64", 1, 8, nullptr);
  set(28, "F64", 1, 8, nullptr);
  set(29, "IQ1_M", 256, 56, nullptr);
  set(30, "BF16", 1, 2, bf16_to_f32);
  set(34, "TQ1_0", 256, 54, nullptr);
  set(35, "TQ2_0", 256, 66, nullptr);
  set(39, "MXFP4", 32, 17, nullptr);
  set(40, "NVFP4", 64, 36, nullptr);
  set(41, "Q1_0", 128, 18, nullptr);
  return t;
}();

}  // namespace

const GgmlTypeInfo* ggml_type_info(uint32_t id) {
  if (id >= kTypes.size() || kTypes[id].name.empty()) return nullptr;
  return &kTypes[id];
}

std::string ggml_type_name(uint32_t id) {
  const GgmlTypeInfo* t = ggml_type_info(id);
  return t != nullptr ? std::string(t->name) : fmt::format("unknown type {}", id);
}

std::string ggml_dequantizable_types() {
  std::string s;
  for (const GgmlTypeInfo& t : kTypes) {
    if (t.to_f32 == nullptr) continue;
    if (!s.empty()) s += ", ";
    s += t.name;
  }
  return s;
}

std::optional<uint64_t> ggml_row_bytes(const GgmlTypeInfo& t, uint64_t elems) {
  if (elems % t.block_elems != 0) return std::nullopt;
  uint64_t bytes;
  if (__builtin_mul_overflow(elems / t.block_elems, uint64_t(t.block_bytes), &bytes)) return std::nullopt;
  return bytes;
}

}  // namespace finefp8
