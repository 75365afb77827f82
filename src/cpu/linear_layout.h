#pragma once
// Private to src/cpu/: the re-packed weight layout every SIMD tier of linear.h reads, and
// the task one kernel call computes. Shared by the baseline code that packs weights and
// prepares activations (linear_pack.cc, linear.cc) and the per-ISA kernels
// (linear_avx2.cc, linear_avx512.cc, linear_avx512bf16.cc, linear_amx.cc).
//
// Layout ("group-pair" layout; see docs/KERNELS.md):
//   * Output features are cut into groups of kGroupN = 32 (n padded with zero rows).
//   * K is cut into the weight's K blocks of bc = block.cols columns (dense weights use
//     pseudo-blocks of 128); each block is padded with zeros to a multiple of kKPad = 32,
//     block kb starting at padded column kb * bcp, bcp = round_up(bc, 32). KP is the padded
//     length of the whole row.
//   * Group g is one contiguous stream of KP / 2 "pair rows"; pair row p holds, for the
//     32 outputs nn of the group, the two columns 2p and 2p + 1 (padded indexing):
//       natural order: elem[2 * nn + t] = W[32 g + nn, col(2p + t)]          (64 elements)
//     FP8: one byte per element (64 bytes per pair row). bf16: 2 bytes (128 bytes). This is
//     the VNNI order of vdpbf16ps (lane nn sums the pair) and of AMX B tiles (a 16 x 64-byte
//     B tile is 16 consecutive pair rows of one 16-output half, row stride 128 bytes in bf16).
//   * FP8 codes of the fp32-FMA variants (AVX2, AVX-512 without BF16) are stored split by
//     column inside each pair row: stored[32 t + nn] = natural[2 nn + t], so 16 (8) bytes are
//     one column of 16 (8) outputs, decoded through the fp16 bit trick + F16C.
//   * FP8 codes of the AVX-512 BF16/VBMI variant are stored byte-permuted inside each 64-byte
//     pair row so that one vpermi2b table lookup for the high and one for the low bf16 byte
//     followed by vpunpcklbw / vpunpckhbw yield the natural order (outputs 0..15 then 16..31):
//       stored[16 j + q]     = natural[8 j + q]        (j < 4, q < 8)
//       stored[16 j + 8 + q] = natural[32 + 8 j + q]
//   * Dense fp32 weights use the fp32 panel order instead: group g is [KP][32] floats.
//   * Scales: gscale [G][kblocks][32] fp32, the weight scale_inv of each output (0 for pad).
//   * W8A16 bf16 tables (BF16/VBMI variant, block.rows % 32 == 0): for each weight block
//     (rb, kb) 256 bytes: high bytes then low bytes of bf16(e4m3(c) * scale_inv) for the 128
//     magnitudes c (the sign is or-ed into the high byte: rounding is sign-symmetric).
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "fp8/gemm_ref.h"

namespace finefp8::cpu {

inline constexpr size_t kGroupN = 32;
inline constexpr size_t kKPad = 32;

inline size_t round_up(size_t v, size_t to) { return (v + to - 1) / to * to; }

// How a weight is cut along K (shared by weights and the activation buffers).
struct KLayout {
  size_t k = 0;        // real K
  size_t bc = 0;       // block columns (real)
  size_t bcp = 0;      // padded block stride
  size_t kblocks = 0;  // ceil(k / bc)
  size_t kp = 0;       // padded row length

  static KLayout make(size_t k, size_t bc) {
    KLayout l;
    l.k = k;
    l.bc = bc;
    l.bcp = round_up(bc, kKPad);
    l.kblocks = (k + bc - 1) / bc;
    l.kp = l.kblocks == 0 ? 0 : (l.kblocks - 1) * l.bcp + round_up(l.len(l.kblocks - 1), kKPad);
    return l;
  }
  size_t len(size_t kb) const { return kb + 1 < kblocks ? bc : k - kb * bc; }  // real columns
  size_t plen(size_t kb) const { return round_up(len(kb), kKPad); }         // padded columns
  size_t off(size_t kb) const { return kb * bcp; }                           // padded start
};

// The kernel variants (a tier may hold several; the choice is made at pack time).
enum class KernelVariant : uint8_t {
  kScalar,      // the reference GEMMs on the checkpoint layout
  kAvx2Fma,     // fp32 FMA on decoded weights, 8-wide
  kAvx512Fma,   // fp32 FMA on decoded weights, 16-wide (AVX-512 without BF16/VBMI)
  kAvx512Bf16,  // vdpbf16ps on bf16-converted weights (vpermi2b conversion)
  kAmx,         // AMX-BF16 tiles for m >= kAmxMinRows, else kAvx512Bf16
};

inline constexpr size_t kAmxMinRows = 8;

// What the weight stream holds.
enum class WeightSource : uint8_t {
  kFp8,   // E4M3 codes (group-pair layout, permuted for kAvx512Bf16 / kAmx)
  kBf16,  // bf16 bits (group-pair layout)
  kF32,   // fp32 panels [KP][32]
};

// One kernel call: outputs of groups [g0, g1) for all m rows.
struct GemmTask {
  // Weight.
  WeightSource src = WeightSource::kFp8;
  const uint8_t* codes = nullptr;   // kFp8: [G][KP / 2][64]
  const uint16_t* wbf16 = nullptr;  // kBf16: [G][KP / 2][64]
  const float* wf32 = nullptr;      // kF32: [G][KP][32]
  const float* gscale = nullptr;    // kFp8: [G][kblocks][32]
  const uint8_t* tables = nullptr;  // kFp8 W8A16 bf16 tables [row blocks][kblocks][256] or null
  size_t block_rows = 0;            // kFp8: weight block rows (for tables)
  bool nan_codes = false;           // kFp8: the weight holds NaN codes (fp32 variants)
  KLayout kl;
  size_t n = 0;
  // Semantics.
  bool promote = false;   // W8A8: acc += (partial * a_s) * w_s after every K block
  bool scale_w = false;   // W8A16: w = round(code * w_s) before the product
  bool round_w_bf16 = false;  // W8A16 with act dtype bf16: that w rounded to bf16
  // Activations: rows of KP padded columns (zeros in the pads), row stride ldx, one of:
  size_t m = 0;
  size_t ldx = 0;
  const uint16_t* xb = nullptr;  // bf16 bits [m_pad][ldx] (bf16 variants)
  const float* xf = nullptr;     // fp32 [m][ldx] (fp32 variants)
  const float* a_s = nullptr;    // W8A8: [m_pad][kblocks] activation scales
  // Output.
  OutDType out = OutDType::kF32;
  const float* bias = nullptr;  // [n] or null
  // true (W8A16, dense): y = round(acc + bias), as torch's addmm; false (W8A8):
  // y = round(round(acc) + bias), as transformers' FP8 linear adds the bias after the cast.
  bool bias_fused = false;
  float* y = nullptr;           // [m][n]
};

// Rows of x per cache block of the prefill drivers: the block's activations ([rows][ldx]
// elements of elem_bytes) stay in L2 (about 512 KiB) while every output group of the thread
// streams past them; weights are re-read per block, which costs little at prefill sizes.
inline size_t row_block(const GemmTask& t, size_t elem_bytes) {
  const size_t rows = (size_t(512) << 10) / (t.ldx * elem_bytes);
  return std::max<size_t>(48, rows / 48 * 48);
}

// Per-variant entry points (each in the file of its instruction set).
void gemm_groups_avx2(const GemmTask& t, size_t g0, size_t g1);
void gemm_groups_avx512(const GemmTask& t, size_t g0, size_t g1);
void gemm_groups_avx512bf16(const GemmTask& t, size_t g0, size_t g1);
void gemm_groups_amx(const GemmTask& t, size_t g0, size_t g1);

// The bf16 conversion of one permuted 64-byte FP8 pair row, for tests: out[64] bf16 bits in
// natural order, via the W8A8 table (exact values). Needs AVX512_BF16 + VBMI.
void convert_pair_row_avx512bf16(const uint8_t* permuted, uint16_t* out);
// The fp32 decode of one split-order pair row: out[64] fp32 in natural order. nan_codes:
// the decoder for weights holding NaN codes (0x7F, 0xFF), else the fast one (which reads
// those as +-480).
void decode_pair_row_avx512(const uint8_t* split, float* out, bool nan_codes);
void decode_pair_row_avx2(const uint8_t* split, float* out, bool nan_codes);

// The byte order inside a stored FP8 pair row.
enum class PairOrder : uint8_t { kNatural, kSplit, kVbmi };

// Byte position in the stored pair row of natural element e.
inline size_t stored_pos(PairOrder order, size_t e) {
  switch (order) {
    case PairOrder::kNatural: break;
    case PairOrder::kSplit: return 32 * (e % 2) + e / 2;
    case PairOrder::kVbmi: {
      const size_t half = e / 32, r = e % 32, j = r / 8, q = r % 8;
      return 16 * j + 8 * half + q;
    }
  }
  return e;
}

}  // namespace finefp8::cpu
