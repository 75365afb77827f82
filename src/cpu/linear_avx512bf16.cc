// The AVX-512 BF16/VBMI linear kernels (a variant of the avx512 tier, chosen at pack time
// where cpu_features() has avx512_bf16 and avx512_vbmi). Per group of 32 outputs and K
// block: the FP8 panel is converted to bf16 once (two vpermi2b per 64 codes) into an L1
// buffer and consumed by vdpbf16ps over 8-row register blocks (2 x 8 fp32 partials), the
// partials promoted after every K block as the reference does. E4M3 values and their
// products are exact in bf16/fp32, so only the fp32 summation order differs from the
// reference. Also the fp32 path for W8A16 with fp32 activations on the permuted layout.
// Built with -march=skylake-avx512 -mavx512bf16 -mavx512vbmi only (CMake
// finefp8_isa_sources); reached through dispatch in linear.cc.
#include <immintrin.h>

#include "cpu/linear_avx512_common.h"
#include "cpu/linear_bf16_avx512.h"

namespace finefp8::cpu {
namespace {
using namespace avx512_detail;
using namespace bf16_detail;

inline __m512 dp(__m512 acc, __m512i a, __m512i b) {
  return _mm512_dpbf16_ps(acc, reinterpret_cast<__m512bh&>(a), reinterpret_cast<__m512bh&>(b));
}

// R rows of bf16 x against the bf16 panels [pairs][64] of G groups (G = 2: 64 outputs, 4
// vectors, so each broadcast x pair feeds 4 dot products): acc[g][r][0..32) += promoted
// partials.
template <int R, int G>
inline void bf16_micro(const uint16_t* const* panel, size_t pairs, const uint16_t* x, size_t ldx, float* const* acc,
                       const GemmTask& t, const float* a_s, const __m512* ws) {
  constexpr int V = 2 * G;
  __m512 p[R][V];
  for (int r = 0; r < R; ++r) {
    for (int v = 0; v < V; ++v) p[r][v] = _mm512_setzero_ps();
  }
  for (size_t q = 0; q < pairs; ++q) {
    __m512i w[V];
    for (int v = 0; v < V; ++v) w[v] = _mm512_load_si512(panel[v / 2] + q * 64 + 32 * (v % 2));
    for (int r = 0; r < R; ++r) {
      int32_t pair;
      __builtin_memcpy(&pair, x + r * ldx + 2 * q, 4);
      const __m512i xv = _mm512_set1_epi32(pair);
      for (int v = 0; v < V; ++v) p[r][v] = dp(p[r][v], xv, w[v]);
    }
  }
  for (int r = 0; r < R; ++r) {
    const __m512 as = t.promote ? _mm512_set1_ps(a_s[r * t.kl.kblocks]) : _mm512_setzero_ps();
    for (int v = 0; v < V; ++v) {
      float* a = acc[v / 2] + r * kGroupN + 16 * (v % 2);
      __m512 q = p[r][v];
      if (t.promote) q = _mm512_mul_ps(_mm512_mul_ps(q, as), ws[v]);  // (partial * a_s) * w_s
      _mm512_storeu_ps(a, _mm512_add_ps(_mm512_loadu_ps(a), q));
    }
  }
}

template <int G>
inline void bf16_micro_rows(size_t rows, const uint16_t* const* panel, size_t pairs, const uint16_t* x, size_t ldx,
                            float* const* acc, const GemmTask& t, const float* a_s, const __m512* ws) {
  switch (rows) {
    case 1: return bf16_micro<1, G>(panel, pairs, x, ldx, acc, t, a_s, ws);
    case 2: return bf16_micro<2, G>(panel, pairs, x, ldx, acc, t, a_s, ws);
    case 3: return bf16_micro<3, G>(panel, pairs, x, ldx, acc, t, a_s, ws);
    case 4: return bf16_micro<4, G>(panel, pairs, x, ldx, acc, t, a_s, ws);
    case 5: return bf16_micro<5, G>(panel, pairs, x, ldx, acc, t, a_s, ws);
    default: return bf16_micro<6, G>(panel, pairs, x, ldx, acc, t, a_s, ws);
  }
}

// Software prefetch of the weight stream, bytes ahead: the hardware prefetcher alone leaves
// DRAM bandwidth unused while the core converts. Into L2 (T1), so the requests wait in the
// L2 queue rather than in the 16 L1 fill buffers the loads need: on Sapphire Rapids T1 at
// 16 KiB gives M=1 ~8-12 points of stream bandwidth more than T0 at 8 KiB (2026-12-05).
#ifndef FINEFP8_PREFETCH
#define FINEFP8_PREFETCH 16384
#endif
#ifndef FINEFP8_PREFETCH_HINT
#define FINEFP8_PREFETCH_HINT _MM_HINT_T1
#endif
constexpr size_t kPrefetchBytes = FINEFP8_PREFETCH;

// Small m (decode, m <= 8): no panel; each 64-byte pair row is converted in registers and
// used by every row at once. For m <= 2 two chains per output vector (alternate pair rows)
// hide the dot latency; more rows give enough independent chains by themselves.
template <int R>
void bf16_direct(const GemmTask& t, size_t g0, size_t g1, size_t row0 = 0) {
  constexpr int C = R <= 2 ? 2 : 1;  // chains per output vector
  const KLayout& kl = t.kl;
  const size_t ldx = t.ldx;
  const float* a_s = t.a_s ? t.a_s + row0 * kl.kblocks : nullptr;
  alignas(64) float acc[R * kGroupN];
  for (size_t g = g0; g < g1; ++g) {
    std::memset(acc, 0, sizeof(acc));
    for (size_t kb = 0; kb < kl.kblocks; ++kb) {
      const size_t pairs = kl.plen(kb) / 2;  // a multiple of 16
      const uint16_t* x = t.xb + row0 * ldx + kl.off(kb);
      __m512 pa[R][2][C];
      for (int r = 0; r < R; ++r) {
        for (int h = 0; h < 2; ++h) {
          for (int c = 0; c < C; ++c) pa[r][h][c] = _mm512_setzero_ps();
        }
      }
      auto step = [&](size_t p, __m512i v0, __m512i v1, __m512i u0, __m512i u1) {
        for (int r = 0; r < R; ++r) {
          int32_t e0, e1;
          __builtin_memcpy(&e0, x + r * ldx + 2 * p, 4);
          __builtin_memcpy(&e1, x + r * ldx + 2 * p + 2, 4);
          const __m512i xa = _mm512_set1_epi32(e0), xb = _mm512_set1_epi32(e1);
          pa[r][0][0] = dp(pa[r][0][0], xa, v0);
          pa[r][1][0] = dp(pa[r][1][0], xa, v1);
          pa[r][0][C - 1] = dp(pa[r][0][C - 1], xb, u0);
          pa[r][1][C - 1] = dp(pa[r][1][C - 1], xb, u1);
        }
      };
      if (t.src == WeightSource::kBf16) {
        const uint16_t* src = t.wbf16 + (g * kl.kp + kl.off(kb)) * kGroupN;
        for (size_t p = 0; p < pairs; p += 2) {
          step(p, _mm512_load_si512(src + p * 64), _mm512_load_si512(src + p * 64 + 32),
               _mm512_load_si512(src + p * 64 + 64), _mm512_load_si512(src + p * 64 + 96));
        }
      } else {
        const Fp8ToBf16 conv = converter_for(t, g, kb);
        const uint8_t* src = t.codes + (g * kl.kp + kl.off(kb)) * kGroupN;
        for (size_t p = 0; p < pairs; p += 2) {
          __m512i v0, v1, u0, u1;
          _mm_prefetch(reinterpret_cast<const char*>(src + p * 64 + kPrefetchBytes), FINEFP8_PREFETCH_HINT);
          _mm_prefetch(reinterpret_cast<const char*>(src + p * 64 + 64 + kPrefetchBytes), FINEFP8_PREFETCH_HINT);
          conv.convert(src + p * 64, v0, v1);
          conv.convert(src + p * 64 + 64, u0, u1);
          step(p, v0, v1, u0, u1);
        }
      }
      __m512 ws[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
      if (t.promote) {
        const float* w = t.gscale + (g * kl.kblocks + kb) * kGroupN;
        ws[0] = _mm512_loadu_ps(w);
        ws[1] = _mm512_loadu_ps(w + 16);
      }
      for (int r = 0; r < R; ++r) {
        const __m512 as = t.promote ? _mm512_set1_ps(a_s[r * kl.kblocks + kb]) : _mm512_setzero_ps();
        for (int h = 0; h < 2; ++h) {
          __m512 q = C == 2 ? _mm512_add_ps(pa[r][h][0], pa[r][h][C - 1]) : pa[r][h][0];
          if (t.promote) q = _mm512_mul_ps(_mm512_mul_ps(q, as), ws[h]);  // (partial * a_s) * w_s
          float* a = acc + r * kGroupN + 16 * h;
          _mm512_store_ps(a, _mm512_add_ps(_mm512_load_ps(a), q));
        }
      }
    }
    store_outputs(t, g, acc, row0, R);
  }
}

void bf16_groups(const GemmTask& t, size_t g0, size_t g1) {
  switch (t.m) {
    case 1: return bf16_direct<1>(t, g0, g1);
    case 2: return bf16_direct<2>(t, g0, g1);
    case 3: return bf16_direct<3>(t, g0, g1);
    case 4: return bf16_direct<4>(t, g0, g1);
    case 5: return bf16_direct<5>(t, g0, g1);
    case 6: return bf16_direct<6>(t, g0, g1);
    case 7: return bf16_direct<7>(t, g0, g1);
    case 8: return bf16_direct<8>(t, g0, g1);
    default: break;
  }
  // 8 < m <= 32: the decode kernel per group over chunks of 8 rows (the group's weights stay
  // in L2 between chunks; converting again in registers beats a panel round trip here).
  if (t.m <= 32) {
    for (size_t g = g0; g < g1; ++g) {
      for (size_t r0 = 0; r0 < t.m; r0 += 8) {
        switch (std::min<size_t>(8, t.m - r0)) {
          case 1: bf16_direct<1>(t, g, g + 1, r0); break;
          case 2: bf16_direct<2>(t, g, g + 1, r0); break;
          case 3: bf16_direct<3>(t, g, g + 1, r0); break;
          case 4: bf16_direct<4>(t, g, g + 1, r0); break;
          case 5: bf16_direct<5>(t, g, g + 1, r0); break;
          case 6: bf16_direct<6>(t, g, g + 1, r0); break;
          case 7: bf16_direct<7>(t, g, g + 1, r0); break;
          default: bf16_direct<8>(t, g, g + 1, r0); break;
        }
      }
    }
    return;
  }
  // Larger m: blocks of rows whose activations stay in L2; within a block, two groups (64
  // outputs) at a time, their K-block panels converted once and used by every 6-row
  // register block (6 x 4 accumulators).
  constexpr size_t kRows = 6;
  thread_local std::vector<float> acc_buf;
  thread_local std::vector<uint16_t> panel_buf;
  const size_t mb = std::min(t.m, row_block(t, sizeof(uint16_t)));
  float* acc_base = scratch(acc_buf, 2 * mb * kGroupN);
  uint16_t* pbuf_base = scratch(panel_buf, 2 * t.kl.bcp * kGroupN);
  const size_t ldx = t.ldx;
  for (size_t rb = 0; rb < t.m; rb += mb) {
    const size_t rows_b = std::min(mb, t.m - rb);
    for (size_t g = g0; g < g1; g += 2) {
      const size_t ng = std::min<size_t>(2, g1 - g);
      float* acc[2] = {acc_base, acc_base + mb * kGroupN};
      uint16_t* pbuf[2] = {pbuf_base, pbuf_base + t.kl.bcp * kGroupN};
      std::memset(acc_base, 0, 2 * mb * kGroupN * sizeof(float));
      for (size_t kb = 0; kb < t.kl.kblocks; ++kb) {
        const uint16_t* p[2];
        __m512 ws[4];
        for (size_t i = 0; i < ng; ++i) {
          p[i] = bf16_panel(t, g + i, kb, pbuf[i]);
          if (t.promote) {
            const float* w = t.gscale + ((g + i) * t.kl.kblocks + kb) * kGroupN;
            ws[2 * i] = _mm512_loadu_ps(w);
            ws[2 * i + 1] = _mm512_loadu_ps(w + 16);
          }
        }
        const size_t pairs = t.kl.plen(kb) / 2;
        for (size_t r0 = rb; r0 < rb + rows_b; r0 += kRows) {
          const uint16_t* x = t.xb + r0 * ldx + t.kl.off(kb);
          const float* as = t.a_s ? t.a_s + r0 * t.kl.kblocks + kb : nullptr;
          float* a[2] = {acc[0] + (r0 - rb) * kGroupN, acc[1] + (r0 - rb) * kGroupN};
          const size_t rows = std::min(kRows, rb + rows_b - r0);
          if (ng == 2) {
            bf16_micro_rows<2>(rows, p, pairs, x, ldx, a, t, as, ws);
          } else {
            bf16_micro_rows<1>(rows, p, pairs, x, ldx, a, t, as, ws);
          }
        }
      }
      for (size_t i = 0; i < ng; ++i) store_outputs(t, g + i, acc[i], rb, rows_b);
    }
  }
}

// fp32 panel of a permuted FP8 weight (W8A16 with fp32 activations, or without tables):
// exact bf16 conversion, widened to fp32, scaled (and rounded) per the task.
void fp32_groups_permuted(const GemmTask& t, size_t g0, size_t g1) {
  const Fp8ToBf16 conv = Fp8ToBf16::load(exact_bf16_table());
  const KLayout& kl = t.kl;
  fp32_groups(t, g0, g1, [&](size_t g, size_t kb, float* buf) {
    const uint8_t* src = t.codes + (g * kl.kp + kl.off(kb)) * kGroupN;
    const float* wsp = t.gscale + (g * kl.kblocks + kb) * kGroupN;
    const __m512 ws[2] = {_mm512_loadu_ps(wsp), _mm512_loadu_ps(wsp + 16)};
    const __m512i hi_mask = _mm512_set1_epi32(int(0xFFFF0000u));
    for (size_t p = 0; p < kl.plen(kb) / 2; ++p) {
      __m512i v[2];
      conv.convert(src + p * 64, v[0], v[1]);
      for (int h = 0; h < 2; ++h) {
        __m512 e = _mm512_castsi512_ps(_mm512_slli_epi32(v[h], 16));
        __m512 o = _mm512_castsi512_ps(_mm512_and_si512(v[h], hi_mask));
        if (t.scale_w) {
          e = scale_weights(e, ws[h], t.round_w_bf16);
          o = scale_weights(o, ws[h], t.round_w_bf16);
        }
        _mm512_store_ps(buf + 2 * p * kGroupN + 16 * h, e);
        _mm512_store_ps(buf + (2 * p + 1) * kGroupN + 16 * h, o);
      }
    }
    return static_cast<const float*>(buf);
  });
}

}  // namespace

void convert_pair_row_avx512bf16(const uint8_t* permuted, uint16_t* out) {
  __m512i v0, v1;
  Fp8ToBf16::load(exact_bf16_table()).convert(permuted, v0, v1);
  _mm512_storeu_si512(out, v0);
  _mm512_storeu_si512(out + 32, v1);
}

// xb set: the bf16 kernels; else (xf set) the fp32 path on the permuted layout, or on fp32 /
// bf16 weights.
void gemm_groups_avx512bf16(const GemmTask& t, size_t g0, size_t g1) {
  if (t.xb) {
    bf16_groups(t, g0, g1);
  } else if (t.src == WeightSource::kFp8) {
    fp32_groups_permuted(t, g0, g1);
  } else {
    gemm_groups_avx512(t, g0, g1);
  }
}

}  // namespace finefp8::cpu
