#include "gguf/gguf_dequant.h"

#include <cstring>

namespace finefp8::gguf_blocks {
namespace {

// Blocks are read by memcpy: a mapped tensor need not be aligned for the struct.
template <typename Block>
Block load(const uint8_t* src, size_t i) {
  Block b;
  std::memcpy(&b, src + i * sizeof(Block), sizeof(Block));
  return b;
}

float h(fp16 x) { return fp16_to_f32(x); }

// The 6-bit scale and min of sub-block j (0..7) of a Q4_K/Q5_K super-block:
//   bytes 0-3: scale j (low 6 bits), bytes 4-7: min j (low 6 bits) for j < 4; for j >= 4 the
//   low 4 bits come from byte j+4 (scale: low nibble, min: high nibble) and the top 2 bits
//   from the top bits of bytes j-4 (scale) and j (min).
void scale_min_k4(const uint8_t* q, int j, uint8_t* sc, uint8_t* m) {
  if (j < 4) {
    *sc = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *sc = uint8_t((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    *m = uint8_t((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

}  // namespace

void f32_to_f32(const uint8_t* src, size_t n, float* dst) { std::memcpy(dst, src, n * 4); }

void f16_to_f32(const uint8_t* src, size_t n, float* dst) {
  for (size_t i = 0; i < n; ++i) {
    fp16 x;
    std::memcpy(&x, src + 2 * i, 2);
    dst[i] = fp16_to_f32(x);
  }
}

void bf16_to_f32(const uint8_t* src, size_t n, float* dst) {
  for (size_t i = 0; i < n; ++i) {
    bf16 x;
    std::memcpy(&x, src + 2 * i, 2);
    dst[i] = finefp8::bf16_to_f32(x);
  }
}

// Element j of a legacy block: the low nibble of qs[j] for j < 16, the high nibble of
// qs[j - 16] for j >= 16.
void q4_0_to_f32(const uint8_t* src, size_t n_blocks, float* dst) {
  for (size_t b = 0; b < n_blocks; ++b, dst += kQK) {
    const auto x = load<BlockQ4_0>(src, b);
    const float d = h(x.d);
    for (size_t j = 0; j < kQK / 2; ++j) {
      dst[j] = d * float(int(x.qs[j] & 0xF) - 8);
      dst[j + kQK / 2] = d * float(int(x.qs[j] >> 4) - 8);
    }
  }
}

void q4_1_to_f32(const uint8_t* src, size_t n_blocks, float* dst) {
  for (size_t b = 0; b < n_blocks; ++b, dst += kQK) {
    const auto x = load<BlockQ4_1>(src, b);
    const float d = h(x.d), m = h(x.m);
    for (size_t j = 0; j < kQK / 2; ++j) {
      dst[j] = d * float(x.qs[j] & 0xF) + m;
      dst[j + kQK / 2] = d * float(x.qs[j] >> 4) + m;
    }
  }
}

// Q5: bit j of the little-endian u32 qh is the fifth bit of element j.
void q5_0_to_f32(const uint8_t* src, size_t n_blocks, float* dst) {
  for (size_t b = 0; b < n_blocks; ++b, dst += kQK) {
    const auto x = load<BlockQ5_0>(src, b);
    const uint32_t qh = uint32_t(x.qh[0]) | uint32_t(x.qh[1]) << 8 | uint32_t(x.qh[2]) << 16 |
                        uint32_t(x.qh[3]) << 24;
    const float d = h(x.d);
    for (size_t j = 0; j < kQK / 2; ++j) {
      const int lo = int((x.qs[j] & 0xF) | (((qh >> j) & 1) << 4));
      const int hi = int((x.qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4));
      dst[j] = d * float(lo - 16);
      dst[j + kQK / 2] = d * float(hi - 16);
    }
  }
}

void q5_1_to_f32(const uint8_t* src, size_t n_blocks, float* dst) {
  for (size_t b = 0; b < n_blocks; ++b, dst += kQK) {
    const auto x = load<BlockQ5_1>(src, b);
    const uint32_t qh = uint32_t(x.qh[0]) | uint32_t(x.qh[1]) << 8 | uint32_t(x.qh[2]) << 16 |
                        uint32_t(x.qh[3]) << 24;
    const float d = h(x.d), m = h(x.m);
    for (size_t j = 0; j < kQK / 2; ++j) {
      const uint32_t lo = (x.qs[j] & 0xF) | (((qh >> j) & 1) << 4);
      const uint32_t hi = (x.qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
      dst[j] = d * float(lo) + m;
      dst[j + kQK / 2] = d * float(hi) + m;
    }
  }
}

void q8_0_to_f32(const uint8_t* src, size_t n_blocks, float* dst) {
  for (size_t b = 0; b < n_blocks; ++b, dst += kQK) {
    const auto x = load<BlockQ8_0>(src, b);
    const float d = h(x.d);
    for (size_t j = 0; j < kQK; ++j) dst[j] = float(x.qs[j]) * d;
  }
}

// Q4_K: 4 chunks of 64 elements; chunk c reads qs[32c .. 32c+31], low nibbles for sub-block
// 2c, high nibbles for sub-block 2c+1. Value = (d * scale) * q - (dmin * min).
void q4_k_to_f32(const uint8_t* src, size_t n_blocks, float* dst) {
  for (size_t b = 0; b < n_blocks; ++b) {
    const auto x = load<BlockQ4_K>(src, b);
    const float d = h(x.d), dmin = h(x.dmin);
    for (int s = 0; s < 8; ++s) {
      uint8_t sc, m;
      scale_min_k4(x.scales, s, &sc, &m);
      const float d1 = d * float(sc), m1 = dmin * float(m);
      const uint8_t* q = x.qs + 32 * (s / 2);
      const int shift = 4 * (s % 2);
      for (int l = 0; l < 32; ++l) *dst++ = d1 * float((q[l] >> shift) & 0xF) - m1;
    }
  }
}

// Q5_K: as Q4_K, plus bit s of qh[l] as the fifth bit of element l of sub-block s.
void q5_k_to_f32(const uint8_t* src, size_t n_blocks, float* dst) {
  for (size_t b = 0; b < n_blocks; ++b) {
    const auto x = load<BlockQ5_K>(src, b);
    const float d = h(x.d), dmin = h(x.dmin);
    for (int s = 0; s < 8; ++s) {
      uint8_t sc, m;
      scale_min_k4(x.scales, s, &sc, &m);
      const float d1 = d * float(sc), m1 = dmin * float(m);
      const uint8_t* q = x.qs + 32 * (s / 2);
      const int shift = 4 * (s % 2);
      for (int l = 0; l < 32; ++l) {
        const int v = ((q[l] >> shift) & 0xF) | (((x.qh[l] >> s) & 1) << 4);
        *dst++ = d1 * float(v) - m1;
      }
    }
  }
}

// Q6_K: two halves of 128 elements; element 32g + l (g = 0..3) of half hf takes 4 low bits
// from ql[64hf + 32(g & 1) + l] >> 4(g >> 1) and 2 high bits from qh[32hf + l] >> 2g, minus
// 32; scale index = element / 16. Value = (d * scale) * q.
void q6_k_to_f32(const uint8_t* src, size_t n_blocks, float* dst) {
  for (size_t b = 0; b < n_blocks; ++b) {
    const auto x = load<BlockQ6_K>(src, b);
    const float d = h(x.d);
    for (int hf = 0; hf < 2; ++hf) {
      const uint8_t* ql = x.ql + 64 * hf;
      const uint8_t* qh = x.qh + 32 * hf;
      for (int g = 0; g < 4; ++g) {
        for (int l = 0; l < 32; ++l) {
          const int e = 128 * hf + 32 * g + l;
          const int lo = (ql[l + 32 * (g & 1)] >> (4 * (g >> 1))) & 0xF;
          const int hi = (qh[l] >> (2 * g)) & 3;
          const float dl = d * float(x.scales[e / 16]);
          dst[e] = dl * float((lo | (hi << 4)) - 32);
        }
      }
    }
    dst += kQK_K;
  }
}

}  // namespace finefp8::gguf_blocks
