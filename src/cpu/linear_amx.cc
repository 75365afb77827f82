// The AMX-BF16 linear kernel (amx tier, m >= kAmxMinRows with bf16 activations; smaller m
// use the AVX-512 BF16 kernels). Each FP8 [K block x 32 outputs] panel is converted to bf16
// (the vpermi2b conversion of linear_avx512bf16.cc) into a buffer whose
// [pair row][32 outputs][2] order is the AMX VNNI B layout; for every 32 rows of x, 2 x 2 C
// tiles (16 rows x 16 outputs fp32) accumulate the block with _tile_dpbf16ps over 32-column
// steps, then are stored and promoted into fp32 accumulators with AVX-512
// ((partial * a_s) * w_s, as the reference). Activation rows are padded to a multiple of 16
// by the caller.
//
// Blocking (per call, i.e. per chunk [g0, g1) of output groups of one thread):
//   for each row block of up to kRowBlock padded rows, and each pass over up to
//   kGroupsPerPass groups of the chunk:
//     for each K block kb: the panels of all groups of the pass are converted once into an
//     L2 buffer [groups][plen / 2][64] bf16; then for every 32 rows of the row block (their
//     [32 x bcp] activations stay in L1) and every group of the pass, the tiles accumulate
//     the block and are promoted into acc [groups][row block][32] fp32 (L2).
//   Activations are read from memory once per pass, weights converted once per row block.
//
// Tiles: 0..3 C (rows r0..r0+15 / r0+16..r0+31 x outputs 0..15 / 16..31), 4..5 A (16 rows x
// 32 bf16 columns), 6..7 B (16 pair rows x 16 outputs x 2 bf16, row stride 128 bytes).
//
// Built with -march=sapphirerapids only (CMake finefp8_isa_sources); reached through dispatch
// in linear.cc; tested against the reference where isa_supported(Isa::kAmx).
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

namespace {
constexpr size_t kRowBlock = 256;      // padded rows per row block (multiple of 32)
constexpr size_t kGroupsPerPass = 16;  // output groups per pass: 128 KiB of bf16 panels per K block

// 32 (two) or 16 rows of x [rows][ldx] from column kb's start against the bf16 panel p
// [steps * 16][64]: the [rows x 32] partial sums, row stride 32, into cb.
inline void tile_block(const uint16_t* x, size_t ldx, const uint16_t* p, size_t steps, bool two, float* cb) {
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  for (size_t s = 0; s < steps; ++s) {
    _tile_loadd(6, p + 16 * s * 64, 128);
    _tile_loadd(7, p + 16 * s * 64 + 32, 128);
    _tile_loadd(4, x + 32 * s, ldx * sizeof(uint16_t));
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
  if (two) {
    _tile_stored(2, cb + 16 * kGroupN, 128);
    _tile_stored(3, cb + 16 * kGroupN + 16, 128);
  }
}

// A stored [n x 32] block of partial sums waiting to be promoted into its accumulators.
struct PendingBlock {
  const float* cb = nullptr;  // [n][32] partials, null when none
  float* acc = nullptr;       // [n][32] accumulators
  const float* ws = nullptr;  // [32] weight scales of the K block (W8A8), else null
  const float* as = nullptr;  // a_s of the first row at this K block, row stride kblocks
  size_t n = 0;
};

// acc += (partial * a_s) * w_s (W8A8, as the reference) or acc += partial.
inline void promote(const PendingBlock& b, size_t kblocks) {
  if (b.ws) {
    const __m512 ws0 = _mm512_loadu_ps(b.ws), ws1 = _mm512_loadu_ps(b.ws + 16);
    for (size_t r = 0; r < b.n; ++r) {
      const __m512 s = _mm512_set1_ps(b.as[r * kblocks]);
      const float* c = b.cb + r * kGroupN;
      float* a = b.acc + r * kGroupN;
      const __m512 q0 = _mm512_mul_ps(_mm512_mul_ps(_mm512_load_ps(c), s), ws0);
      const __m512 q1 = _mm512_mul_ps(_mm512_mul_ps(_mm512_load_ps(c + 16), s), ws1);
      _mm512_store_ps(a, _mm512_add_ps(_mm512_load_ps(a), q0));
      _mm512_store_ps(a + 16, _mm512_add_ps(_mm512_load_ps(a + 16), q1));
    }
  } else {
    for (size_t i = 0; i < b.n * kGroupN; i += 16) {
      _mm512_store_ps(b.acc + i, _mm512_add_ps(_mm512_load_ps(b.acc + i), _mm512_load_ps(b.cb + i)));
    }
  }
}
}  // namespace

void gemm_groups_amx(const GemmTask& t, size_t g0, size_t g1) {
  FINEFP8_ASSERT(t.xb != nullptr);
  const size_t mp = round_up(t.m, 16), ldx = t.ldx, kblocks = t.kl.kblocks;
  const size_t mb = std::min(mp, kRowBlock), gp = std::min(g1 - g0, kGroupsPerPass);
  const size_t panel_elems = t.kl.bcp * kGroupN;
  thread_local std::vector<float> acc_buf, c_buf;
  thread_local std::vector<uint16_t> panel_buf;
  float* acc = scratch(acc_buf, gp * mb * kGroupN);  // [gp][mb][32]
  float* cbs = scratch(c_buf, 2 * 32 * kGroupN);     // two [32 rows][32 outputs] partials
  uint16_t* pbuf = scratch(panel_buf, gp * panel_elems);
  const uint16_t* panels[kGroupsPerPass];
  configure_tiles();
  // The tiles of one block run while the AVX-512 units promote the block before it.
  PendingBlock pending;
  size_t cur = 0;
  for (size_t rb = 0; rb < mp; rb += mb) {
    const size_t rows = std::min(mb, mp - rb);
    for (size_t ga = g0; ga < g1; ga += gp) {
      const size_t ng = std::min(gp, g1 - ga);
      std::memset(acc, 0, ng * mb * kGroupN * sizeof(float));
      for (size_t kb = 0; kb < kblocks; ++kb) {
        for (size_t j = 0; j < ng; ++j) panels[j] = bf16_panel(t, ga + j, kb, pbuf + j * panel_elems);
        const size_t steps = t.kl.plen(kb) / 32;
        for (size_t r0 = rb; r0 < rb + rows; r0 += 32) {
          const bool two = rb + rows - r0 >= 32;
          const uint16_t* x = t.xb + r0 * ldx + t.kl.off(kb);
          for (size_t j = 0; j < ng; ++j) {
            float* cb = cbs + cur * 32 * kGroupN;
            tile_block(x, ldx, panels[j], steps, two, cb);
            if (pending.cb) promote(pending, kblocks);
            pending = {cb, acc + (j * mb + (r0 - rb)) * kGroupN,
                       t.promote ? t.gscale + ((ga + j) * kblocks + kb) * kGroupN : nullptr,
                       t.promote ? t.a_s + r0 * kblocks + kb : nullptr, size_t(two ? 32 : 16)};
            cur ^= 1;
          }
        }
      }
      if (pending.cb) promote(pending, kblocks);
      pending = {};
      const size_t real = rb < t.m ? std::min(rows, t.m - rb) : 0;
      for (size_t j = 0; real > 0 && j < ng; ++j) store_outputs(t, ga + j, acc + j * mb * kGroupN, rb, real);
    }
  }
  _tile_release();
}

}  // namespace finefp8::cpu
