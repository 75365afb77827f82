#pragma once
// GGML block layouts (ggml-common.h) and their dequantization to fp32, one function per type,
// used through the table in gguf_types.cc. Each function reproduces the gguf Python
// package's arithmetic (gguf/quants.py) operation for operation, so results are bit-identical:
// fp16 scales widened exactly, products and sums rounded once each (no fused multiply-add;
// this file is compiled with -ffp-contract=off).
#include <cstddef>
#include <cstdint>

#include "fp8/float16.h"

namespace finefp8::gguf_blocks {

inline constexpr size_t kQK = 32;    // elements per block of the legacy types
inline constexpr size_t kQK_K = 256;  // elements per super-block of the k-quants

struct BlockQ4_0 { fp16 d; uint8_t qs[kQK / 2]; };
static_assert(sizeof(BlockQ4_0) == 18);
struct BlockQ4_1 { fp16 d, m; uint8_t qs[kQK / 2]; };
static_assert(sizeof(BlockQ4_1) == 20);
struct BlockQ5_0 { fp16 d; uint8_t qh[4]; uint8_t qs[kQK / 2]; };
static_assert(sizeof(BlockQ5_0) == 22);
struct BlockQ5_1 { fp16 d, m; uint8_t qh[4]; uint8_t qs[kQK / 2]; };
static_assert(sizeof(BlockQ5_1) == 24);
struct BlockQ8_0 { fp16 d; int8_t qs[kQK]; };
static_assert(sizeof(BlockQ8_0) == 34);
// 8 sub-blocks of 32, 6-bit scale and min each, packed into 12 bytes.
struct BlockQ4_K { fp16 d, dmin; uint8_t scales[12]; uint8_t qs[kQK_K / 2]; };
static_assert(sizeof(BlockQ4_K) == 144);
struct BlockQ5_K { fp16 d, dmin; uint8_t scales[12]; uint8_t qh[kQK_K / 8]; uint8_t qs[kQK_K / 2]; };
static_assert(sizeof(BlockQ5_K) == 176);
// 16 sub-blocks of 16, int8 scale each; 6-bit quants as 4 low bits (ql) + 2 high bits (qh).
struct BlockQ6_K { uint8_t ql[kQK_K / 2]; uint8_t qh[kQK_K / 4]; int8_t scales[kQK_K / 16]; fp16 d; };
static_assert(sizeof(BlockQ6_K) == 210);

void f32_to_f32(const uint8_t* src, size_t n, float* dst);
void f16_to_f32(const uint8_t* src, size_t n, float* dst);
void bf16_to_f32(const uint8_t* src, size_t n, float* dst);
void q4_0_to_f32(const uint8_t* src, size_t n_blocks, float* dst);
void q4_1_to_f32(const uint8_t* src, size_t n_blocks, float* dst);
void q5_0_to_f32(const uint8_t* src, size_t n_blocks, float* dst);
void q5_1_to_f32(const uint8_t* src, size_t n_blocks, float* dst);
void q8_0_to_f32(const uint8_t* src, size_t n_blocks, float* dst);
void q4_k_to_f32(const uint8_t* src, size_t n_blocks, float* dst);
void q5_k_to_f32(const uint8_t* src, size_t n_blocks, float* dst);
void q6_k_to_f32(const uint8_t* src, size_t n_blocks, float* dst);

}  // namespace finefp8::gguf_blocks
