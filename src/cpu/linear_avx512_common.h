#pragma once
// Inline pieces of the AVX-512 linear kernels, for files compiled with -march=skylake-avx512
// or higher only (linear_avx512.cc, linear_avx512bf16.cc, linear_amx.cc):
//   * round_bf16: fp32 -> nearest-even bf16 value kept in fp32 lanes (as bf16_from_f32)
//   * store_outputs: the epilogue (bias and cast to the out dtype in the order of
//     GemmTask::bias_fused, store)
//   * fp32_groups: the fp32 FMA driver over an fp32 panel producer (weights decoded once per
//     [K block x 32 outputs] panel, reused by every row of x).
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "cpu/linear_layout.h"

namespace finefp8::cpu::avx512_detail {

inline __m512 round_bf16(__m512 v) {
  const __m512i b = _mm512_castps_si512(v);
  __m512i r = _mm512_add_epi32(
      b, _mm512_add_epi32(_mm512_set1_epi32(0x7FFF), _mm512_and_si512(_mm512_srli_epi32(b, 16), _mm512_set1_epi32(1))));
  const __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
  r = _mm512_mask_mov_epi32(r, nan, _mm512_or_si512(b, _mm512_set1_epi32(0x00400000)));
  return _mm512_castsi512_ps(_mm512_and_si512(r, _mm512_set1_epi32(int(0xFFFF0000u))));
}

// y rows [r0, r0 + rows) of group g from acc [rows][32] fp32 (rows 0: all m).
inline void store_outputs(const GemmTask& t, size_t g, const float* acc, size_t r0 = 0, size_t rows = 0) {
  if (rows == 0) rows = t.m;
  for (size_t h = 0; h < 2; ++h) {
    const size_t n0 = g * kGroupN + 16 * h;
    if (n0 >= t.n) break;
    const size_t cnt = std::min<size_t>(16, t.n - n0);
    const __mmask16 mask = __mmask16((1u << cnt) - 1u);
    const __m512 b = t.bias ? _mm512_maskz_loadu_ps(mask, t.bias + n0) : _mm512_setzero_ps();
    for (size_t r = 0; r < rows; ++r) {
      __m512 v = _mm512_loadu_ps(acc + r * kGroupN + 16 * h);
      if (t.bias && t.bias_fused) v = _mm512_add_ps(v, b);
      if (t.out == OutDType::kBF16) v = round_bf16(v);
      if (t.bias && !t.bias_fused) {
        v = _mm512_add_ps(v, b);
        if (t.out == OutDType::kBF16) v = round_bf16(v);
      }
      _mm512_mask_storeu_ps(t.y + (r0 + r) * t.n + n0, mask, v);
    }
  }
}

// A per-thread scratch buffer of at least `count` elements, 64-byte aligned.
template <typename T>
T* scratch(std::vector<T>& buf, size_t count) {
  const size_t pad = 64 / sizeof(T);
  if (buf.size() < count + pad) buf.resize(count + pad);
  auto p = reinterpret_cast<uintptr_t>(buf.data());
  return reinterpret_cast<T*>((p + 63) & ~uintptr_t(63));
}

// R rows of x against a fp32 panel [len][32]: acc[r][0..32) += promoted partial sums.
template <int R>
inline void fp32_micro(const float* panel, size_t len, const float* x, size_t ldx, float* acc,
                       const GemmTask& t, const float* a_s, __m512 ws0, __m512 ws1) {
  __m512 p0[R], p1[R];
  for (int r = 0; r < R; ++r) p0[r] = p1[r] = _mm512_setzero_ps();
  for (size_t k = 0; k < len; ++k) {
    const __m512 w0 = _mm512_load_ps(panel + k * kGroupN);
    const __m512 w1 = _mm512_load_ps(panel + k * kGroupN + 16);
    for (int r = 0; r < R; ++r) {
      const __m512 xv = _mm512_set1_ps(x[r * ldx + k]);
      p0[r] = _mm512_fmadd_ps(xv, w0, p0[r]);
      p1[r] = _mm512_fmadd_ps(xv, w1, p1[r]);
    }
  }
  for (int r = 0; r < R; ++r) {
    float* a = acc + r * kGroupN;
    __m512 q0 = p0[r], q1 = p1[r];
    if (t.promote) {  // (partial * a_s) * w_s, as the reference
      const __m512 as = _mm512_set1_ps(a_s[r * t.kl.kblocks]);
      q0 = _mm512_mul_ps(_mm512_mul_ps(q0, as), ws0);
      q1 = _mm512_mul_ps(_mm512_mul_ps(q1, as), ws1);
    }
    _mm512_storeu_ps(a, _mm512_add_ps(_mm512_loadu_ps(a), q0));
    _mm512_storeu_ps(a + 16, _mm512_add_ps(_mm512_loadu_ps(a + 16), q1));
  }
}

// The fp32 driver: panel(g, kb, buf) returns the [plen(kb)][32] fp32 panel of group g and
// K block kb (W8A16: already scaled and rounded), writing it to buf if it must convert.
template <typename Panel>
void fp32_groups(const GemmTask& t, size_t g0, size_t g1, Panel panel) {
  constexpr int kRows = 8;
  thread_local std::vector<float> acc_buf, panel_buf;
  const size_t mb = std::min(t.m, row_block(t, sizeof(float)));
  float* acc_base = scratch(acc_buf, mb * kGroupN);
  float* pbuf = scratch(panel_buf, t.kl.bcp * kGroupN);
  const size_t ldx = t.ldx;
  for (size_t rb = 0; rb < t.m; rb += mb) {
  const size_t rows = std::min(mb, t.m - rb);
  for (size_t g = g0; g < g1; ++g) {
    std::memset(acc_base, 0, rows * kGroupN * sizeof(float));
    for (size_t kb = 0; kb < t.kl.kblocks; ++kb) {
      const float* p = panel(g, kb, pbuf);
      const size_t len = t.kl.plen(kb);
      __m512 ws0 = _mm512_setzero_ps(), ws1 = ws0;
      if (t.promote) {
        const float* ws = t.gscale + (g * t.kl.kblocks + kb) * kGroupN;
        ws0 = _mm512_loadu_ps(ws);
        ws1 = _mm512_loadu_ps(ws + 16);
      }
      for (size_t r0 = rb; r0 < rb + rows; r0 += kRows) {
        const float* x = t.xf + r0 * ldx + t.kl.off(kb);
        const float* as = t.a_s ? t.a_s + r0 * t.kl.kblocks + kb : nullptr;
        float* a = acc_base + (r0 - rb) * kGroupN;
        switch (std::min<size_t>(kRows, rb + rows - r0)) {
          case 1: fp32_micro<1>(p, len, x, ldx, a, t, as, ws0, ws1); break;
          case 2: fp32_micro<2>(p, len, x, ldx, a, t, as, ws0, ws1); break;
          case 3: fp32_micro<3>(p, len, x, ldx, a, t, as, ws0, ws1); break;
          case 4: fp32_micro<4>(p, len, x, ldx, a, t, as, ws0, ws1); break;
          case 5: fp32_micro<5>(p, len, x, ldx, a, t, as, ws0, ws1); break;
          case 6: fp32_micro<6>(p, len, x, ldx, a, t, as, ws0, ws1); break;
          case 7: fp32_micro<7>(p, len, x, ldx, a, t, as, ws0, ws1); break;
          default: fp32_micro<8>(p, len, x, ldx, a, t, as, ws0, ws1); break;
        }
      }
    }
    store_outputs(t, g, acc_base, rb, rows);
  }
  }
}

// Small m (decode): no panel; col(g, kb, p, even, odd) decodes pair row p of group g, block
// kb into two columns of 32 fp32 (2 registers each), used by every row at once. The columns
// may be the weights times 2^-psh (exactly): W8A8 partials are scaled back by 2^psh (exact)
// before the promotion.
template <int R, typename Columns>
void fp32_direct(const GemmTask& t, size_t g0, size_t g1, Columns col, float pscale) {
  const KLayout& kl = t.kl;
  const size_t ldx = t.ldx;
  alignas(64) float acc[R * kGroupN];
  for (size_t g = g0; g < g1; ++g) {
    __m512 a0[R], a1[R];
    for (int r = 0; r < R; ++r) a0[r] = a1[r] = _mm512_setzero_ps();
    for (size_t kb = 0; kb < kl.kblocks; ++kb) {
      const size_t pairs = kl.plen(kb) / 2;
      const float* x = t.xf + kl.off(kb);
      __m512 pa0[R], pa1[R], pb0[R], pb1[R];
      for (int r = 0; r < R; ++r) pa0[r] = pa1[r] = pb0[r] = pb1[r] = _mm512_setzero_ps();
      for (size_t p = 0; p < pairs; ++p) {
        __m512 e[2], o[2];
        col(g, kb, p, e, o);
        for (int r = 0; r < R; ++r) {
          const __m512 xe = _mm512_set1_ps(x[r * ldx + 2 * p]), xo = _mm512_set1_ps(x[r * ldx + 2 * p + 1]);
          pa0[r] = _mm512_fmadd_ps(xe, e[0], pa0[r]);
          pa1[r] = _mm512_fmadd_ps(xe, e[1], pa1[r]);
          pb0[r] = _mm512_fmadd_ps(xo, o[0], pb0[r]);
          pb1[r] = _mm512_fmadd_ps(xo, o[1], pb1[r]);
        }
      }
      __m512 ws0 = _mm512_setzero_ps(), ws1 = ws0;
      if (t.promote) {
        const float* ws = t.gscale + (g * kl.kblocks + kb) * kGroupN;
        ws0 = _mm512_loadu_ps(ws);
        ws1 = _mm512_loadu_ps(ws + 16);
      }
      for (int r = 0; r < R; ++r) {
        __m512 q0 = _mm512_add_ps(pa0[r], pb0[r]), q1 = _mm512_add_ps(pa1[r], pb1[r]);
        if (t.promote) {  // (partial * a_s) * w_s, as the reference
          const __m512 ps = _mm512_set1_ps(pscale), as = _mm512_set1_ps(t.a_s[r * kl.kblocks + kb]);
          q0 = _mm512_mul_ps(_mm512_mul_ps(_mm512_mul_ps(q0, ps), as), ws0);
          q1 = _mm512_mul_ps(_mm512_mul_ps(_mm512_mul_ps(q1, ps), as), ws1);
        }
        a0[r] = _mm512_add_ps(a0[r], q0);
        a1[r] = _mm512_add_ps(a1[r], q1);
      }
    }
    for (int r = 0; r < R; ++r) {
      _mm512_store_ps(acc + r * kGroupN, a0[r]);
      _mm512_store_ps(acc + r * kGroupN + 16, a1[r]);
    }
    store_outputs(t, g, acc);
  }
}

// m <= 4: fp32_direct over columns; else the panel driver over panel(g, kb, buf).
template <typename Columns, typename Panel>
void fp32_dispatch(const GemmTask& t, size_t g0, size_t g1, Columns col, Panel panel, float pscale = 1.0f) {
  switch (t.m) {
    case 1: return fp32_direct<1>(t, g0, g1, col, pscale);
    case 2: return fp32_direct<2>(t, g0, g1, col, pscale);
    case 3: return fp32_direct<3>(t, g0, g1, col, pscale);
    case 4: return fp32_direct<4>(t, g0, g1, col, pscale);
    default: return fp32_groups(t, g0, g1, panel);
  }
}

// W8A16 dequantization of 16 decoded codes: code * w_s (fp32, as the reference), rounded
// to bf16 when the activation dtype is bf16.
inline __m512 scale_weights(__m512 v, __m512 ws, bool round) {
  v = _mm512_mul_ps(v, ws);
  return round ? round_bf16(v) : v;
}

// bf16 group-pair rows -> fp32 panel: 32 bf16 (16 outputs x 2 columns) per 512 bits; the even
// column is the low half of each 32-bit lane.
inline void bf16_pairs_to_panel(__m512i v, float* even_row, float* odd_row) {
  _mm512_store_ps(even_row, _mm512_castsi512_ps(_mm512_slli_epi32(v, 16)));
  _mm512_store_ps(odd_row, _mm512_castsi512_ps(_mm512_and_si512(v, _mm512_set1_epi32(int(0xFFFF0000u)))));
}

}  // namespace finefp8::cpu::avx512_detail
