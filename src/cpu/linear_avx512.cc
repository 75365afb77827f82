// The AVX-512 (F/BW/DQ/VL) linear kernels without BF16/VBMI: weights decoded to fp32 panels
// [K block x 32 outputs] once per group and block, then fp32 FMA over 8-row register
// blocks. Built with -march=skylake-avx512 only (CMake finefp8_isa_sources); reached through
// dispatch in linear.cc.
#include <immintrin.h>

#include "cpu/e4m3_decode_avx512.h"
#include "cpu/linear_avx512_common.h"

namespace finefp8::cpu {
namespace {
using namespace avx512_detail;

// 64 natural-order codes (32 outputs x 2 columns) -> two fp32 panel rows of 32.
inline void decode_pair_row(const uint8_t* src, float* even, float* odd, const __m512* ws, bool scale,
                            bool round) {
  for (int h = 0; h < 2; ++h) {
    const __m512i v = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + 32 * h)));
    __m512 e = decode16(v), o = decode16(_mm512_srli_epi32(v, 8));
    if (scale) {
      e = scale_weights(e, ws[h], round);
      o = scale_weights(o, ws[h], round);
    }
    _mm512_store_ps(even + 16 * h, e);
    _mm512_store_ps(odd + 16 * h, o);
  }
}

}  // namespace

void decode_pair_row_avx512(const uint8_t* natural, float* out) {
  alignas(64) float even[32], odd[32];
  const __m512 ws[2] = {_mm512_set1_ps(1.0f), _mm512_set1_ps(1.0f)};
  decode_pair_row(natural, even, odd, ws, false, false);
  for (int nn = 0; nn < 32; ++nn) {
    out[2 * nn] = even[nn];
    out[2 * nn + 1] = odd[nn];
  }
}

void gemm_groups_avx512(const GemmTask& t, size_t g0, size_t g1) {
  const KLayout& kl = t.kl;
  switch (t.src) {
    case WeightSource::kFp8:
      fp32_groups(t, g0, g1, [&](size_t g, size_t kb, float* buf) {
        const uint8_t* src = t.codes + (g * kl.kp + kl.off(kb)) * kGroupN;
        const float* wsp = t.gscale + (g * kl.kblocks + kb) * kGroupN;
        const __m512 ws[2] = {_mm512_loadu_ps(wsp), _mm512_loadu_ps(wsp + 16)};
        for (size_t p = 0; p < kl.plen(kb) / 2; ++p) {
          decode_pair_row(src + p * 64, buf + 2 * p * kGroupN, buf + (2 * p + 1) * kGroupN, ws, t.scale_w,
                          t.round_w_bf16);
        }
        return static_cast<const float*>(buf);
      });
      break;
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
