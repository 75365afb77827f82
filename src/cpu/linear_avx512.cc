// The AVX-512 (F/BW/DQ/VL) linear kernels without BF16/VBMI: weights (split pair order,
// linear_layout.h) decoded to fp32 panels
// [K block x 32 outputs] once per group and block, then fp32 FMA over 8-row register
// blocks. Built with -march=skylake-avx512 only (CMake finefp8_isa_sources); reached through
// dispatch in linear.cc.
#include <immintrin.h>

#include "cpu/e4m3_decode_avx512.h"
#include "cpu/linear_avx512_common.h"

namespace finefp8::cpu {
namespace {
using namespace avx512_detail;

// 32 codes of one column (outputs 0..31) -> fp32. Fast: the E4M3 bits shifted into an fp16
// (s eeee mmm -> s 0eeee mmm0000000 is the same value times 2^-8, subnormals included), F16C
// to fp32, times 256 (exact). It reads the NaN codes as +-480: weights holding them use
// decode16 (NaN-aware, as the scalar decoder). raw: leave out the times 256 (values * 2^-8).
inline void decode_column(const uint8_t* src, __m512* v, const __m512* ws, bool scale, bool round, bool nan_codes,
                          bool raw = false) {
  if (nan_codes) {
    v[0] = decode16(_mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src))));
    v[1] = decode16(_mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 16))));
  } else {
    __m512i h = _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(src)));
    h = _mm512_and_si512(_mm512_srai_epi16(_mm512_slli_epi16(h, 8), 1), _mm512_set1_epi16(short(0xBF80)));
    v[0] = _mm512_cvtph_ps(_mm512_castsi512_si256(h));
    v[1] = _mm512_cvtph_ps(_mm512_extracti64x4_epi64(h, 1));
    if (!raw) {
      const __m512 k256 = _mm512_set1_ps(256.0f);
      v[0] = _mm512_mul_ps(v[0], k256);
      v[1] = _mm512_mul_ps(v[1], k256);
    }
  }
  if (scale) {
    for (int i = 0; i < 2; ++i) v[i] = scale_weights(v[i], ws[i], round);
  }
}

// One split-order pair row (column 2p: bytes 0..31, column 2p + 1: bytes 32..63) -> two fp32
// panel rows of 32.
inline void decode_pair_row(const uint8_t* src, float* even, float* odd, const __m512* ws, bool scale, bool round,
                            bool nan_codes) {
  __m512 v[2];
  decode_column(src, v, ws, scale, round, nan_codes);
  _mm512_store_ps(even, v[0]);
  _mm512_store_ps(even + 16, v[1]);
  decode_column(src + 32, v, ws, scale, round, nan_codes);
  _mm512_store_ps(odd, v[0]);
  _mm512_store_ps(odd + 16, v[1]);
}

}  // namespace

void decode_pair_row_avx512(const uint8_t* split, float* out, bool nan_codes) {
  alignas(64) float even[32], odd[32];
  const __m512 ws[2] = {_mm512_set1_ps(1.0f), _mm512_set1_ps(1.0f)};
  decode_pair_row(split, even, odd, ws, false, false, nan_codes);
  for (int nn = 0; nn < 32; ++nn) {
    out[2 * nn] = even[nn];
    out[2 * nn + 1] = odd[nn];
  }
}

void gemm_groups_avx512(const GemmTask& t, size_t g0, size_t g1) {
  const KLayout& kl = t.kl;
  switch (t.src) {
    case WeightSource::kFp8: {
      const bool scale = t.scale_w, round = t.round_w_bf16, nan_codes = t.nan_codes;
      // W8A8 GEMV: the columns stay at 2^-8 times the weights (exact), undone per block.
      const bool raw = t.promote && !nan_codes;
      auto column = [&, scale, round, nan_codes, raw](size_t g, size_t kb, size_t p, __m512* e, __m512* o) {
        const uint8_t* src = t.codes + (g * kl.kp + kl.off(kb)) * kGroupN + p * 64;
        __m512 ws[2];
        if (scale) {
          const float* wsp = t.gscale + (g * kl.kblocks + kb) * kGroupN;
          ws[0] = _mm512_loadu_ps(wsp);
          ws[1] = _mm512_loadu_ps(wsp + 16);
        }
        decode_column(src, e, ws, scale, round, nan_codes, raw);
        decode_column(src + 32, o, ws, scale, round, nan_codes, raw);
      };
      fp32_dispatch(t, g0, g1, column, [&, scale, round, nan_codes](size_t g, size_t kb, float* buf) {
        const uint8_t* src = t.codes + (g * kl.kp + kl.off(kb)) * kGroupN;
        const float* wsp = t.gscale + (g * kl.kblocks + kb) * kGroupN;
        const __m512 ws[2] = {_mm512_loadu_ps(wsp), _mm512_loadu_ps(wsp + 16)};
        for (size_t p = 0; p < kl.plen(kb) / 2; ++p) {
          decode_pair_row(src + p * 64, buf + 2 * p * kGroupN, buf + (2 * p + 1) * kGroupN, ws, scale, round,
                          nan_codes);
        }
        return static_cast<const float*>(buf);
      }, raw ? 256.0f : 1.0f);
      break;
    }
    case WeightSource::kBf16:
      fp32_groups(t, g0, g1, [&](size_t g, size_t kb, float* buf) {
        const uint16_t* src = t.wbf16 + (g * kl.kp + kl.off(kb)) * kGroupN;
        for (size_t p = 0; p < kl.plen(kb) / 2; ++p) {
          for (int h = 0; h < 2; ++h) {
            const __m512i v = _mm512_load_si512(src + p * 64 + 32 * h);
            bf16_pairs_to_panel(v, buf + 2 * p * kGroupN + 16 * h, buf + (2 * p + 1) * kGroupN + 16 * h);
          }
        }
        return static_cast<const float*>(buf);
      });
      break;
    case WeightSource::kF32:
      fp32_groups(t, g0, g1, [&](size_t g, size_t kb, float*) {
        return t.wf32 + (g * kl.kp + kl.off(kb)) * kGroupN;
      });
      break;
  }
}

}  // namespace finefp8::cpu
