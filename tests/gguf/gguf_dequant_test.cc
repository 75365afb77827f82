// The GGML type table and hand-computed blocks. (Every type is also checked bit for bit
// against the gguf package's dequantization in tests/python/test_gguf_dequant.py.)
#include "gguf/gguf_types.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "fp8/float16.h"
#include "gguf/gguf_dequant.h"

namespace finefp8 {
namespace {

TEST(GgufTypes, TableMatchesGgmlSizes) {
  // (id, name, block elements, block bytes) from gguf.constants.GGML_QUANT_SIZES (gguf 0.19.0).
  const struct { uint32_t id; const char* name; uint32_t elems, bytes; bool dequant; } kWant[] = {
      {0, "F32", 1, 4, true},      {1, "F16", 1, 2, true},       {2, "Q4_0", 32, 18, true},
      {3, "Q4_1", 32, 20, true},   {6, "Q5_0", 32, 22, true},    {7, "Q5_1", 32, 24, true},
      {8, "Q8_0", 32, 34, true},   {9, "Q8_1", 32, 40, false},   {10, "Q2_K", 256, 84, false},
      {11, "Q3_K", 256, 110, false}, {12, "Q4_K", 256, 144, true}, {13, "Q5_K", 256, 176, true},
      {14, "Q6_K", 256, 210, true}, {15, "Q8_K", 256, 292, false}, {30, "BF16", 1, 2, true},
      {39, "MXFP4", 32, 17, false},
  };
  for (const auto& w : kWant) {
    const GgmlTypeInfo* t = ggml_type_info(w.id);
    ASSERT_NE(t, nullptr) << w.name;
    EXPECT_EQ(t->name, w.name);
    EXPECT_EQ(t->block_elems, w.elems) << w.name;
    EXPECT_EQ(t->block_bytes, w.bytes) << w.name;
    EXPECT_EQ(t->to_f32 != nullptr, w.dequant) << w.name;
  }
  for (uint32_t retired : {4u, 5u, 31u, 32u, 33u, 36u, 37u, 38u, 42u, 1000u}) EXPECT_EQ(ggml_type_info(retired), nullptr);
  EXPECT_EQ(ggml_type_name(77), "unknown type 77");
  EXPECT_EQ(ggml_dequantizable_types(), "F32, F16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K, BF16");
  EXPECT_EQ(ggml_row_bytes(*ggml_type_info(12), 512), 288u);
  EXPECT_FALSE(ggml_row_bytes(*ggml_type_info(12), 100).has_value());
  EXPECT_FALSE(ggml_row_bytes(*ggml_type_info(0), UINT64_MAX / 2).has_value());
}

TEST(GgufDequant, HandComputedLegacyBlocks) {
  gguf_blocks::BlockQ4_1 b{};
  b.d = fp16_from_f32(0.5f);
  b.m = fp16_from_f32(-1.0f);
  for (int j = 0; j < 16; ++j) b.qs[j] = uint8_t(j | ((15 - j) << 4));
  float out[32];
  ggml_type_info(GgmlType::kQ4_1).to_f32(reinterpret_cast<const uint8_t*>(&b), 1, out);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(out[j], 0.5f * float(j) - 1.0f);
    EXPECT_EQ(out[j + 16], 0.5f * float(15 - j) - 1.0f);
  }
  gguf_blocks::BlockQ8_0 q{};
  q.d = fp16_from_f32(0.25f);
  for (int j = 0; j < 32; ++j) q.qs[j] = int8_t(j * 8 - 128);
  ggml_type_info(GgmlType::kQ8_0).to_f32(reinterpret_cast<const uint8_t*>(&q), 1, out);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(out[j], 0.25f * float(j * 8 - 128));
  gguf_blocks::BlockQ4_0 z{};
  z.d = fp16_from_f32(2.0f);
  std::memset(z.qs, 0x80, sizeof z.qs);  // low nibble 0 -> -8, high nibble 8 -> 0
  ggml_type_info(GgmlType::kQ4_0).to_f32(reinterpret_cast<const uint8_t*>(&z), 1, out);
  EXPECT_EQ(out[0], -16.0f);
  EXPECT_EQ(out[16], 0.0f);
}

}  // namespace
}  // namespace finefp8
