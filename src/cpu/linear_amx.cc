// The AMX-BF16 linear kernel (amx tier, m >= kAmxMinRows with bf16 activations; smaller m
// use the AVX-512 BF16 kernels). Per group of 32 outputs and K block: the FP8 panel is
// converted to bf16 once (the same vpermi2b conversion as linear_avx512bf16.cc) into an L1
// buffer whose [pair row][32 outputs][2] order is the AMX VNNI B layout; for every 32 rows of
// x, 2 x 2 C tiles (16 rows x 16 outputs fp32) accumulate the block with _tile_dpbf16ps over
// 32-column steps, then are stored and promoted into the fp32 accumulators with AVX-512
// ((partial * a_s) * w_s, as the reference). Activation rows are padded to a multiple of 16
// by the caller.
//
// Tiles: 0..3 C (rows r0..r0+15 / r0+16..r0+31 x outputs 0..15 / 16..31), 4..5 A (16 rows x
// 32 bf16 columns), 6..7 B (16 pair rows x 16 outputs x 2 bf16, row stride 128 bytes).
//
// Built with -march=sapphirerapids only (CMake finefp8_isa_sources); reached through dispatch
// in linear.cc. NOT YET RUN ON AMX HARDWARE: the development machine has no AMX; its tests
// run only where isa_supported(Isa::kAmx).
#include <immintrin.h>

#include <cstring>

#include "cpu/linear_avx512_common.h"
#include "cpu/linear_bf16_avx512.h"
#include "util/error.h"

namespace finefp8::cpu {
namespace {
using namespace avx512_detail;
using namespace bf16_detail;

struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};
static_assert(sizeof(TileConfig) == 64);

void configure_tiles() {
  TileConfig c;
  for (int i = 0; i < 8; ++i) {
    c.rows[i] = 16;
    c.colsb[i] = 64;
  }
  _tile_loadconfig(&c);
}

}  // namespace

void gemm_groups_amx(const GemmTask& t, size_t g0, size_t g1) {
  FINEFP8_ASSERT(t.xb != nullptr);
  const size_t mp = round_up(t.m, 16);
  thread_local std::vector<float> acc_buf, c_buf;
  thread_local std::vector<uint16_t> panel_buf;
  float* acc = scratch(acc_buf, mp * kGroupN);
  float* cb = scratch(c_buf, 32 * kGroupN);  // [32 rows][32 outputs] partials
  uint16_t* pbuf = scratch(panel_buf, t.kl.bcp * kGroupN);
  const size_t ldx = t.ldx;
  configure_tiles();
  for (size_t g = g0; g < g1; ++g) {
    std::memset(acc, 0, mp * kGroupN * sizeof(float));
    for (size_t kb = 0; kb < t.kl.kblocks; ++kb) {
      const uint16_t* p = bf16_panel(t, g, kb, pbuf);
      const size_t steps = t.kl.plen(kb) / 32;
      __m512 ws0 = _mm512_setzero_ps(), ws1 = ws0;
      if (t.promote) {
        const float* ws = t.gscale + (g * t.kl.kblocks + kb) * kGroupN;
        ws0 = _mm512_loadu_ps(ws);
        ws1 = _mm512_loadu_ps(ws + 16);
      }
      for (size_t r0 = 0; r0 < mp; r0 += 32) {
        const bool two = mp - r0 >= 32;
        const uint16_t* x = t.xb + r0 * ldx + t.kl.off(kb);
        _tile_zero(0);
        _tile_zero(1);
        _tile_zero(2);
        _tile_zero(3);
        for (size_t s = 0; s < steps; ++s) {
          _tile_loadd(4, x + 32 * s, ldx * sizeof(uint16_t));
          _tile_loadd(6, p + 16 * s * 64, 128);
          _tile_loadd(7, p + 16 * s * 64 + 32, 128);
          _tile_dpbf16ps(0, 4, 6);
          _tile_dpbf16ps(1, 4, 7);
          if (two) {
            _tile_loadd(5, x + 16 * ldx + 32 * s, ldx * sizeof(uint16_t));
            _tile_dpbf16ps(2, 5, 6);
            _tile_dpbf16ps(3, 5, 7);
          }
        }
        _tile_stored(0, cb, 128);
        _tile_stored(1, cb + 16, 128);
        _tile_stored(2, cb + 16 * kGroupN, 128);
        _tile_stored(3, cb + 16 * kGroupN + 16, 128);
        const size_t rows = two ? 32 : 16;
        for (size_t r = 0; r < rows; ++r) {
          __m512 q0 = _mm512_load_ps(cb + r * kGroupN), q1 = _mm512_load_ps(cb + r * kGroupN + 16);
          if (t.promote) {
            const __m512 as = _mm512_set1_ps(t.a_s[(r0 + r) * t.kl.kblocks + kb]);
            q0 = _mm512_mul_ps(_mm512_mul_ps(q0, as), ws0);
            q1 = _mm512_mul_ps(_mm512_mul_ps(q1, as), ws1);
          }
          float* a = acc + (r0 + r) * kGroupN;
          _mm512_storeu_ps(a, _mm512_add_ps(_mm512_loadu_ps(a), q0));
          _mm512_storeu_ps(a + 16, _mm512_add_ps(_mm512_loadu_ps(a + 16), q1));
        }
      }
    }
    store_outputs(t, g, acc);
  }
  _tile_release();
}

}  // namespace finefp8::cpu
