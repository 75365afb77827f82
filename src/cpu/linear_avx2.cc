// The AVX2 + FMA (x86-64-v3) linear kernels: weights decoded to fp32 panels [K block x 32
// outputs] once per group and block, then fp32 FMA over register blocks of 5 rows x 16
// outputs. Built with -march=haswell only (CMake finefp8_isa_sources); reached through
// dispatch in linear.cc.
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "cpu/e4m3_decode_avx2.h"
#include "cpu/linear_layout.h"

namespace finefp8::cpu {
namespace {
using avx2_detail::decode8;

inline __m256 round_bf16(__m256 v) {
  const __m256i b = _mm256_castps_si256(v);
  __m256i r = _mm256_add_epi32(
      b, _mm256_add_epi32(_mm256_set1_epi32(0x7FFF), _mm256_and_si256(_mm256_srli_epi32(b, 16), _mm256_set1_epi32(1))));
  const __m256 nan = _mm256_cmp_ps(v, v, _CMP_UNORD_Q);
  r = _mm256_castps_si256(
      _mm256_blendv_ps(_mm256_castsi256_ps(r), _mm256_castsi256_ps(_mm256_or_si256(b, _mm256_set1_epi32(0x00400000))), nan));
  return _mm256_castsi256_ps(_mm256_and_si256(r, _mm256_set1_epi32(int(0xFFFF0000u))));
}

template <typename T>
T* scratch(std::vector<T>& buf, size_t count) {
  const size_t pad = 64 / sizeof(T);
  if (buf.size() < count + pad) buf.resize(count + pad);
  auto p = reinterpret_cast<uintptr_t>(buf.data());
  return reinterpret_cast<T*>((p + 63) & ~uintptr_t(63));
}

// R rows of x against outputs [16 h, 16 h + 16) of a fp32 panel [len][32].
template <int R>
inline void micro(const float* panel, size_t len, const float* x, size_t ldx, float* acc,
                  const GemmTask& t, const float* a_s, const float* ws) {
  __m256 p0[R], p1[R];
  for (int r = 0; r < R; ++r) p0[r] = p1[r] = _mm256_setzero_ps();
  for (size_t k = 0; k < len; ++k) {
    const __m256 w0 = _mm256_load_ps(panel + k * kGroupN);
    const __m256 w1 = _mm256_load_ps(panel + k * kGroupN + 8);
    for (int r = 0; r < R; ++r) {
      const __m256 xv = _mm256_broadcast_ss(x + r * ldx + k);
      p0[r] = _mm256_fmadd_ps(xv, w0, p0[r]);
      p1[r] = _mm256_fmadd_ps(xv, w1, p1[r]);
    }
  }
  for (int r = 0; r < R; ++r) {
    float* a = acc + r * kGroupN;
    __m256 q0 = p0[r], q1 = p1[r];
    if (t.promote) {  // (partial * a_s) * w_s, as the reference
      const __m256 as = _mm256_set1_ps(a_s[r * t.kl.kblocks]);
      q0 = _mm256_mul_ps(_mm256_mul_ps(q0, as), _mm256_loadu_ps(ws));
      q1 = _mm256_mul_ps(_mm256_mul_ps(q1, as), _mm256_loadu_ps(ws + 8));
    }
    _mm256_storeu_ps(a, _mm256_add_ps(_mm256_loadu_ps(a), q0));
    _mm256_storeu_ps(a + 8, _mm256_add_ps(_mm256_loadu_ps(a + 8), q1));
  }
}

// y rows [r0, r0 + rows) of group g from acc [rows][32] fp32 (rows 0: all m).
void store_outputs(const GemmTask& t, size_t g, const float* acc, size_t r0 = 0, size_t rows = 0) {
  if (rows == 0) rows = t.m;
  const size_t n0 = g * kGroupN, cnt = std::min(kGroupN, t.n - n0);
  alignas(32) float b[kGroupN] = {}, out[kGroupN];
  if (t.bias) std::memcpy(b, t.bias + n0, cnt * sizeof(float));
  for (size_t r = 0; r < rows; ++r) {
    for (size_t q = 0; q < kGroupN; q += 8) {
      __m256 v = _mm256_loadu_ps(acc + r * kGroupN + q);
      if (t.bias && t.bias_fused) v = _mm256_add_ps(v, _mm256_load_ps(b + q));
      if (t.out == OutDType::kBF16) v = round_bf16(v);
      if (t.bias && !t.bias_fused) {
        v = _mm256_add_ps(v, _mm256_load_ps(b + q));
        if (t.out == OutDType::kBF16) v = round_bf16(v);
      }
      _mm256_store_ps(out + q, v);
    }
    std::memcpy(t.y + (r0 + r) * t.n + n0, out, cnt * sizeof(float));
  }
}

template <typename Panel>
void fp32_groups(const GemmTask& t, size_t g0, size_t g1, Panel panel) {
  constexpr int kRows = 5;
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
      const float* ws = t.gscale ? t.gscale + (g * t.kl.kblocks + kb) * kGroupN : nullptr;
      for (size_t h = 0; h < 2; ++h) {
        for (size_t r0 = rb; r0 < rb + rows; r0 += kRows) {
          const float* x = t.xf + r0 * ldx + t.kl.off(kb);
          const float* as = t.a_s ? t.a_s + r0 * t.kl.kblocks + kb : nullptr;
          float* a = acc_base + (r0 - rb) * kGroupN + 16 * h;
          const float* wsh = ws ? ws + 16 * h : nullptr;
          switch (std::min<size_t>(kRows, rb + rows - r0)) {
            case 1: micro<1>(p + 16 * h, len, x, ldx, a, t, as, wsh); break;
            case 2: micro<2>(p + 16 * h, len, x, ldx, a, t, as, wsh); break;
            case 3: micro<3>(p + 16 * h, len, x, ldx, a, t, as, wsh); break;
            case 4: micro<4>(p + 16 * h, len, x, ldx, a, t, as, wsh); break;
            default: micro<5>(p + 16 * h, len, x, ldx, a, t, as, wsh); break;
          }
        }
      }
    }
    store_outputs(t, g, acc_base, rb, rows);
  }
  }
}

// 16 codes of one column -> fp32 (see linear_avx512.cc: fp16 bit trick + F16C, times 256;
// decode8 for weights holding NaN codes).
inline void decode16_column(const uint8_t* src, __m256* v, const float* ws, bool scale, bool round, bool nan_codes) {
  if (nan_codes) {
    v[0] = decode8(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(src))));
    v[1] = decode8(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(src + 8))));
  } else {
    __m256i h = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src)));
    h = _mm256_and_si256(_mm256_srai_epi16(_mm256_slli_epi16(h, 8), 1), _mm256_set1_epi16(short(0xBF80)));
    const __m256 k256 = _mm256_set1_ps(256.0f);
    v[0] = _mm256_mul_ps(_mm256_cvtph_ps(_mm256_castsi256_si128(h)), k256);
    v[1] = _mm256_mul_ps(_mm256_cvtph_ps(_mm256_extracti128_si256(h, 1)), k256);
  }
  if (scale) {
    for (int i = 0; i < 2; ++i) {
      v[i] = _mm256_mul_ps(v[i], _mm256_loadu_ps(ws + 8 * i));
      if (round) v[i] = round_bf16(v[i]);
    }
  }
}

// One split-order pair row (column 2p: bytes 0..31, column 2p + 1: bytes 32..63) -> two fp32
// panel rows of 32.
inline void decode_pair_row(const uint8_t* src, float* even, float* odd, const float* ws, bool scale, bool round,
                            bool nan_codes) {
  for (int h = 0; h < 2; ++h) {
    const float* wsh = ws ? ws + 16 * h : nullptr;
    __m256 v[2];
    decode16_column(src + 16 * h, v, wsh, scale, round, nan_codes);
    _mm256_store_ps(even + 16 * h, v[0]);
    _mm256_store_ps(even + 16 * h + 8, v[1]);
    decode16_column(src + 32 + 16 * h, v, wsh, scale, round, nan_codes);
    _mm256_store_ps(odd + 16 * h, v[0]);
    _mm256_store_ps(odd + 16 * h + 8, v[1]);
  }
}

// The fast column decoder with compile-time options (16 ymm registers leave no room for the
// branches of decode16_column in the decode loop): kScale / kRound as scale / round there;
// without kScale the values are 2^-8 times the weights (W8A8; undone on the partial).
template <bool kScale, bool kRound>
inline void decode16_fast(const uint8_t* src, __m256* v, const float* ws) {
  __m256i h = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src)));
  h = _mm256_and_si256(_mm256_srai_epi16(_mm256_slli_epi16(h, 8), 1), _mm256_set1_epi16(short(0xBF80)));
  v[0] = _mm256_cvtph_ps(_mm256_castsi256_si128(h));
  v[1] = _mm256_cvtph_ps(_mm256_extracti128_si256(h, 1));
  if (kScale) {
    const __m256 k256 = _mm256_set1_ps(256.0f);
    for (int i = 0; i < 2; ++i) {
      v[i] = _mm256_mul_ps(_mm256_mul_ps(v[i], k256), _mm256_loadu_ps(ws + 8 * i));
      if (kRound) v[i] = round_bf16(v[i]);
    }
  }
}

// m <= 2, FP8 weights without NaN codes (decode): no panel; per K block and 16-output half,
// each pair row is decoded in registers and used by every row, two chains per column pair.
template <int R, bool kScale, bool kRound>
void fp8_direct(const GemmTask& t, size_t g0, size_t g1) {
  const KLayout& kl = t.kl;
  const size_t ldx = t.ldx;
  const bool raw = !kScale;
  alignas(32) float acc[R * kGroupN];
  for (size_t g = g0; g < g1; ++g) {
    for (int i = 0; i < R * int(kGroupN); ++i) acc[i] = 0.0f;
    for (size_t kb = 0; kb < kl.kblocks; ++kb) {
      const size_t pairs = kl.plen(kb) / 2;
      const float* x = t.xf + kl.off(kb);
      const uint8_t* src = t.codes + (g * kl.kp + kl.off(kb)) * kGroupN;
      const float* ws = t.gscale + (g * kl.kblocks + kb) * kGroupN;
      for (size_t h = 0; h < 2; ++h) {
        __m256 pa0[R], pa1[R], pb0[R], pb1[R];
        for (int r = 0; r < R; ++r) pa0[r] = pa1[r] = pb0[r] = pb1[r] = _mm256_setzero_ps();
        for (size_t p = 0; p < pairs; ++p) {
          __m256 e[2], o[2];
          decode16_fast<kScale, kRound>(src + p * 64 + 16 * h, e, ws + 16 * h);
          decode16_fast<kScale, kRound>(src + p * 64 + 32 + 16 * h, o, ws + 16 * h);
          for (int r = 0; r < R; ++r) {
            const __m256 xe = _mm256_broadcast_ss(x + r * ldx + 2 * p), xo = _mm256_broadcast_ss(x + r * ldx + 2 * p + 1);
            pa0[r] = _mm256_fmadd_ps(xe, e[0], pa0[r]);
            pa1[r] = _mm256_fmadd_ps(xe, e[1], pa1[r]);
            pb0[r] = _mm256_fmadd_ps(xo, o[0], pb0[r]);
            pb1[r] = _mm256_fmadd_ps(xo, o[1], pb1[r]);
          }
        }
        for (int r = 0; r < R; ++r) {
          __m256 q0 = _mm256_add_ps(pa0[r], pb0[r]), q1 = _mm256_add_ps(pa1[r], pb1[r]);
          if (t.promote) {  // (partial * a_s) * w_s, as the reference
            const __m256 ps = _mm256_set1_ps(raw ? 256.0f : 1.0f), as = _mm256_set1_ps(t.a_s[r * kl.kblocks + kb]);
            q0 = _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(q0, ps), as), _mm256_loadu_ps(ws + 16 * h));
            q1 = _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(q1, ps), as), _mm256_loadu_ps(ws + 16 * h + 8));
          }
          float* a = acc + r * kGroupN + 16 * h;
          _mm256_store_ps(a, _mm256_add_ps(_mm256_load_ps(a), q0));
          _mm256_store_ps(a + 8, _mm256_add_ps(_mm256_load_ps(a + 8), q1));
        }
      }
    }
    store_outputs(t, g, acc);
  }
}

}  // namespace

void decode_pair_row_avx2(const uint8_t* split, float* out, bool nan_codes) {
  alignas(32) float even[32], odd[32];
  decode_pair_row(split, even, odd, nullptr, false, false, nan_codes);
  for (int nn = 0; nn < 32; ++nn) {
    out[2 * nn] = even[nn];
    out[2 * nn + 1] = odd[nn];
  }
}

void gemm_groups_avx2(const GemmTask& t, size_t g0, size_t g1) {
  const KLayout& kl = t.kl;
  switch (t.src) {
    case WeightSource::kFp8:
      if (t.m <= 2 && !t.nan_codes) {
        const bool one = t.m == 1;
        if (!t.scale_w) return one ? fp8_direct<1, false, false>(t, g0, g1) : fp8_direct<2, false, false>(t, g0, g1);
        if (!t.round_w_bf16) return one ? fp8_direct<1, true, false>(t, g0, g1) : fp8_direct<2, true, false>(t, g0, g1);
        return one ? fp8_direct<1, true, true>(t, g0, g1) : fp8_direct<2, true, true>(t, g0, g1);
      }
      fp32_groups(t, g0, g1, [&](size_t g, size_t kb, float* buf) {
        const uint8_t* src = t.codes + (g * kl.kp + kl.off(kb)) * kGroupN;
        const float* ws = t.gscale + (g * kl.kblocks + kb) * kGroupN;
        for (size_t p = 0; p < kl.plen(kb) / 2; ++p) {
          decode_pair_row(src + p * 64, buf + 2 * p * kGroupN, buf + (2 * p + 1) * kGroupN, ws, t.scale_w,
                          t.round_w_bf16, t.nan_codes);
        }
        return static_cast<const float*>(buf);
      });
      break;
    case WeightSource::kBf16:
      fp32_groups(t, g0, g1, [&](size_t g, size_t kb, float* buf) {
        const uint16_t* src = t.wbf16 + (g * kl.kp + kl.off(kb)) * kGroupN;
        const __m256i hi = _mm256_set1_epi32(int(0xFFFF0000u));
        for (size_t p = 0; p < kl.plen(kb) / 2; ++p) {
          for (int q = 0; q < 4; ++q) {
            const __m256i v = _mm256_load_si256(reinterpret_cast<const __m256i*>(src + p * 64 + 16 * q));
            _mm256_store_ps(buf + 2 * p * kGroupN + 8 * q, _mm256_castsi256_ps(_mm256_slli_epi32(v, 16)));
            _mm256_store_ps(buf + (2 * p + 1) * kGroupN + 8 * q, _mm256_castsi256_ps(_mm256_and_si256(v, hi)));
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
