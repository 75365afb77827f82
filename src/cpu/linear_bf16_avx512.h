#pragma once
// Inline bf16 pieces of the AVX-512 BF16 linear kernels, for files compiled with AVX512_BF16
// and AVX512_VBMI (linear_avx512bf16.cc, linear_amx.cc):
//   * Fp8ToBf16: E4M3 -> bf16 of one permuted 64-byte pair row with two vpermi2b lookups
//     (128-entry tables of the high and the low bf16 byte, indexed by the code's low 7 bits;
//     the sign bit is or-ed back into the high byte), then vpunpck[lh]bw.
//   * bf16_panel: a [K block x 32 outputs] bf16 panel of group g (converted, or in place).
#include <immintrin.h>

#include <cstdint>

#include "cpu/linear_layout.h"

namespace finefp8::cpu::bf16_detail {

// The four 64-byte table registers: high bytes [0, 64), [64, 128), low bytes likewise.
struct Fp8ToBf16 {
  __m512i hi0, hi1, lo0, lo1;

  // tab: 256 bytes, high bytes of the 128 magnitudes then low bytes.
  static Fp8ToBf16 load(const uint8_t* tab) {
    return {_mm512_loadu_si512(tab), _mm512_loadu_si512(tab + 64), _mm512_loadu_si512(tab + 128),
            _mm512_loadu_si512(tab + 192)};
  }

  // 64 permuted codes -> bf16 of outputs 0..15 (v0) and 16..31 (v1), column pairs interleaved.
  void convert(const uint8_t* src, __m512i& v0, __m512i& v1) const {
    const __m512i c = _mm512_loadu_si512(src);
    __m512i hi = _mm512_permutex2var_epi8(hi0, c, hi1);
    hi = _mm512_ternarylogic_epi32(hi, c, _mm512_set1_epi8(char(0x80)), 0xF8);  // hi | (c & 0x80)
    const __m512i lo = _mm512_permutex2var_epi8(lo0, c, lo1);
    v0 = _mm512_unpacklo_epi8(lo, hi);
    v1 = _mm512_unpackhi_epi8(lo, hi);
  }
};

// The exact E4M3 -> bf16 table (W8A8: code values), built on first use.
const uint8_t* exact_bf16_table();

// Fills buf [plen(kb) / 2][64] bf16 with the panel of group g, K block kb of an FP8 weight,
// converted through `conv`.
inline void convert_fp8_panel(const GemmTask& t, const Fp8ToBf16& conv, size_t g, size_t kb,
                              uint16_t* buf) {
  const uint8_t* src = t.codes + (g * t.kl.kp + t.kl.off(kb)) * kGroupN;
  const size_t pairs = t.kl.plen(kb) / 2;
  for (size_t p = 0; p < pairs; ++p) {
    __m512i v0, v1;
    conv.convert(src + p * 64, v0, v1);
    _mm512_store_si512(buf + p * 64, v0);
    _mm512_store_si512(buf + p * 64 + 32, v1);
  }
}

// The converter for group g, K block kb: W8A16 tables, else exact code values.
inline Fp8ToBf16 converter_for(const GemmTask& t, size_t g, size_t kb) {
  if (t.scale_w) {
    const size_t rb = g * kGroupN / t.block_rows;
    return Fp8ToBf16::load(t.tables + (rb * t.kl.kblocks + kb) * 256);
  }
  return Fp8ToBf16::load(exact_bf16_table());
}

// The bf16 panel [plen(kb) / 2][64] of group g, K block kb: converted into buf (FP8) or the
// weight itself (bf16 weights).
inline const uint16_t* bf16_panel(const GemmTask& t, size_t g, size_t kb, uint16_t* buf) {
  if (t.src == WeightSource::kBf16) return t.wbf16 + (g * t.kl.kp + t.kl.off(kb)) * kGroupN;
  convert_fp8_panel(t, converter_for(t, g, kb), g, kb, buf);
  return buf;
}

}  // namespace finefp8::cpu::bf16_detail
