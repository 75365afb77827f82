// fp8_linear and dense_linear: activation preparation (quantization for W8A8, padding to
// the packed K layout, bf16 or fp32) and dispatch to the kernel variant chosen at pack time.
// The scalar tier runs the reference GEMMs of src/fp8/gemm_ref in parallel over blocks of
// output features; the SIMD tiers run the kernels of linear_<isa>.cc in parallel over groups
// of 32 outputs.
#include "cpu/linear.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <atomic>
#include <bit>
#include <cstring>
#include <vector>

#include "cpu/linear_storage.h"
#include "cpu/quantize_e4m3.h"
#include "fp8/float16.h"
#include "fp8/formats.h"
#include "util/error.h"

namespace finefp8::cpu {

namespace {

// The rows [n0, n1) of w (n0 a multiple of block.rows) as a weight of their own.
Fp8WeightView row_slice(const Fp8WeightView& w, size_t n0, size_t n1) {
  const size_t kb = (w.k + w.block.cols - 1) / w.block.cols;
  const size_t b0 = n0 / w.block.rows, b1 = (n1 + w.block.rows - 1) / w.block.rows;
  return {w.codes.subspan(n0 * w.k, (n1 - n0) * w.k), w.scale_inv.subspan(b0 * kb, (b1 - b0) * kb),
          n1 - n0, w.k, w.block};
}

// Runs ref(x, w_slice, bias_slice, out_slice) over blocks of block.rows output features.
template <typename Ref>
void over_row_blocks(size_t m, const PackedFp8Weight& w, const float* bias, float* y,
                     ThreadPool* pool, Ref ref) {
  const Fp8WeightView full = w.view();
  const size_t rows = w.block().rows;
  const size_t nblocks = (w.n() + rows - 1) / rows;
  parallel_for(pool, nblocks, [&](size_t b0, size_t b1) {
    const size_t n0 = b0 * rows, n1 = std::min(w.n(), b1 * rows), nn = n1 - n0;
    std::vector<float> out(m * nn);
    std::span<const float> bias_slice;
    if (bias) bias_slice = {bias + n0, nn};
    ref(row_slice(full, n0, n1), bias_slice, std::span<float>(out));
    for (size_t i = 0; i < m; ++i) std::copy_n(&out[i * nn], nn, y + i * w.n() + n0);
  });
}

// True if v is exactly a bf16 value that vdpbf16ps reads as itself (not subnormal).
inline bool bf16_exact(float v) {
  const uint32_t u = std::bit_cast<uint32_t>(v);
  return (u & 0xFFFFu) == 0 && ((u & 0x7F800000u) != 0 || (u & 0x7FFFFFFFu) == 0);
}

// Per-call activation buffers of the calling thread (grown, never shrunk: no allocation per
// call once warm).
struct ActBuffers {
  std::vector<uint8_t> codes;
  std::vector<float> scales, a_s, xf;
  std::vector<uint16_t> xb;
};
ActBuffers& act_buffers() {
  thread_local ActBuffers b;
  return b;
}

template <typename T>
T* grow(std::vector<T>& v, size_t n) {
  if (v.size() < n) v.resize(n);
  return v.data();
}

// Row stride of the activation buffers: KP plus one cache line, so that the rows a register
// block reads together do not all fall into one L1 set when KP * element size is a multiple
// of 4 KiB (K = 4096, 14336, ...).
size_t act_stride(const KLayout& kl) { return kl.kp + 32; }

// Rows of the packed activation: row r (kl.kp columns, zero pads, stride act_stride) from
// value(r, c).
template <typename T, typename Value>
void pad_rows(const KLayout& kl, size_t r0, size_t r1, T* dst, Value value) {
  const size_t ldx = act_stride(kl);
  for (size_t r = r0; r < r1; ++r) {
    T* row = dst + r * ldx;
    std::memset(static_cast<void*>(row), 0, ldx * sizeof(T));
    for (size_t kb = 0; kb < kl.kblocks; ++kb) {
      for (size_t j = 0; j < kl.len(kb); ++j) row[kl.off(kb) + j] = value(r, kb * kl.bc + j);
    }
  }
}

// Activation quantization of rows [r0, r1) with the row kernels of `isa` (byte-identical to
// quantize_activations_dynamic / _static, which are the specification).
void quantize_rows(const float* x, size_t r0, size_t r1, size_t k, int group, const Fp8LinearOptions& opt, Isa isa,
                   uint8_t* codes, float* scales) {
  const QuantizeRowKernels& kern = quantize_row_kernels_for(isa == Isa::kAmx ? Isa::kAvx512 : isa);
  const size_t groups = act_groups(k, group);
  auto check = [&](const float* p, size_t n, size_t row, size_t col0) {
    if (kern.max_abs_bits_row(p, n) < 0x7F800000u) return;
    for (size_t i = 0; i < n; ++i) {
      if (!std::isfinite(p[i])) fail("cannot quantize activations: element [{}, {}] is {}", row, col0 + i, p[i]);
    }
  };
  for (size_t r = r0; r < r1; ++r) {
    const float* xr = x + r * k;
    if (opt.static_act_scale > 0) {
      const float scale = opt.static_act_scale;
      if (!std::isfinite(scale)) fail("static activation scale must be a positive finite number, got {}", scale);
      check(xr, k, r, 0);
      kern.encode_e4m3_row(xr, k, scale, true, codes + r * k);
      std::fill_n(scales + r * groups, groups, scale);
      continue;
    }
    ActQuantRecipe recipe = opt.act;
    for (size_t g = 0; g < groups; ++g) {
      const size_t k0 = g * size_t(group), len = std::min(k, k0 + size_t(group)) - k0;
      const uint32_t bits = kern.max_abs_bits_row(xr + k0, len);
      if (bits >= 0x7F800000u) check(xr + k0, len, r, k0);
      float s = std::max(std::bit_cast<float>(bits), recipe.amax_floor) / kE4M3Max;
      if (recipe.pow2_scale) s = ue8m0_to_f32(ue8m0_from_f32_ceil(s));
      kern.encode_e4m3_row(xr + k0, len, std::max(s, recipe.div_eps), true, codes + r * k + k0);
      scales[r * groups + g] = s;
    }
  }
}

// bf16 bits of the 256 E4M3 codes (exact).
const uint16_t* e4m3_bf16_bits() {
  static const auto table = [] {
    std::array<uint16_t, 256> t{};
    for (int c = 0; c < 256; ++c) t[c] = bf16_from_f32(e4m3_to_f32(uint8_t(c))).bits;
    return t;
  }();
  return table.data();
}

// The pool for the per-row activation preparation: decode rows are too short to be worth
// waking the workers.
ThreadPool* prep_pool(ThreadPool* pool, size_t m) { return m >= 8 ? pool : nullptr; }

using GroupsFn = void (*)(const GemmTask&, size_t, size_t);

GroupsFn groups_fn(KernelVariant v, bool bf16_x, size_t m) {
  switch (v) {
    case KernelVariant::kAvx2Fma: return gemm_groups_avx2;
    case KernelVariant::kAvx512Fma: return gemm_groups_avx512;
    case KernelVariant::kAvx512Bf16: return gemm_groups_avx512bf16;
    case KernelVariant::kAmx: return bf16_x && m >= kAmxMinRows ? gemm_groups_amx : gemm_groups_avx512bf16;
    case KernelVariant::kScalar: break;
  }
  FINEFP8_ASSERT(false && "no SIMD kernel for the scalar variant");
  return nullptr;
}

bool bf16_variant(KernelVariant v) { return v == KernelVariant::kAvx512Bf16 || v == KernelVariant::kAmx; }

// Rows the activation buffers hold: AMX tiles read 16 rows at a time.
size_t padded_rows(KernelVariant v, size_t m) { return v == KernelVariant::kAmx ? round_up(m, 16) : m; }

void run_groups(const GemmTask& t, size_t groups, GroupsFn fn, ThreadPool* pool) {
  parallel_for(pool, groups, [&](size_t g0, size_t g1) { fn(t, g0, g1); });
}

// The SIMD tiers of fp8_linear.
void fp8_linear_simd(const float* x, size_t m, const PackedFp8Weight& w, const float* bias,
                     const Fp8LinearOptions& opt, float* y, ThreadPool* pool) {
  const PackedFp8Weight::Storage& s = w.storage();
  const KLayout& kl = s.kl;
  const size_t k = w.k(), mp = padded_rows(s.variant, m);
  ActBuffers& buf = act_buffers();
  GemmTask t;
  t.src = WeightSource::kFp8;
  t.codes = s.packed.data();
  t.gscale = s.gscale.data();
  t.block_rows = size_t(w.block().rows);
  t.nan_codes = s.nan_codes;
  t.kl = kl;
  t.ldx = act_stride(kl);
  t.n = w.n();
  t.m = m;
  t.out = opt.act_dtype;
  t.bias = bias;
  t.y = y;
  const bool bf16_kernels = bf16_variant(s.variant);
  if (opt.mode == Fp8Mode::kW8A8) {
    t.promote = true;
    const int group = w.block().cols;
    uint8_t* codes = grow(buf.codes, m * k);
    float* scales = grow(buf.scales, m * kl.kblocks);
    float* a_s = grow(buf.a_s, mp * kl.kblocks);
    uint16_t* xb = bf16_kernels ? grow(buf.xb, mp * act_stride(kl)) : nullptr;
    float* xf = bf16_kernels ? nullptr : grow(buf.xf, m * act_stride(kl));
    const uint16_t* to_bf16 = e4m3_bf16_bits();
    parallel_for(prep_pool(pool, m), m, [&](size_t r0, size_t r1) {
      quantize_rows(x, r0, r1, k, group, opt, w.isa(), codes, scales);
      if (xb) {
        pad_rows(kl, r0, r1, xb, [&](size_t r, size_t c) { return to_bf16[codes[r * k + c]]; });
      } else {
        pad_rows(kl, r0, r1, xf, [&](size_t r, size_t c) { return bf16_to_f32(bf16{to_bf16[codes[r * k + c]]}); });
      }
    });
    std::copy_n(scales, m * kl.kblocks, a_s);
    std::fill(a_s + m * kl.kblocks, a_s + mp * kl.kblocks, 0.0f);
    if (xb) std::memset(xb + m * act_stride(kl), 0, (mp - m) * act_stride(kl) * sizeof(uint16_t));
    t.a_s = a_s;
    t.xb = xb;
    t.xf = xf;
  } else {
    t.scale_w = true;
    t.bias_fused = true;
    t.round_w_bf16 = opt.act_dtype == OutDType::kBF16;
    bool use_bf16 = bf16_kernels && t.round_w_bf16 && s.w16_tables.size() > 0;
    if (use_bf16) {
      for (size_t i = 0; i < m * k && use_bf16; ++i) use_bf16 = bf16_exact(x[i]);
    }
    if (use_bf16) {
      t.tables = s.w16_tables.data();
      uint16_t* xb = grow(buf.xb, mp * act_stride(kl));
      parallel_for(prep_pool(pool, m), m, [&](size_t r0, size_t r1) {
        pad_rows(kl, r0, r1, xb, [&](size_t r, size_t c) { return uint16_t(std::bit_cast<uint32_t>(x[r * k + c]) >> 16); });
      });
      std::memset(xb + m * act_stride(kl), 0, (mp - m) * act_stride(kl) * sizeof(uint16_t));
      t.xb = xb;
    } else {
      float* xf = grow(buf.xf, m * act_stride(kl));
      parallel_for(prep_pool(pool, m), m, [&](size_t r0, size_t r1) {
        pad_rows(kl, r0, r1, xf, [&](size_t r, size_t c) { return x[r * k + c]; });
      });
      t.xf = xf;
    }
  }
  run_groups(t, s.groups, groups_fn(s.variant, t.xb != nullptr, m), pool);
}

// The SIMD tiers of dense_linear.
void dense_linear_simd(const float* x, size_t m, const DenseWeight& w, const float* bias, OutDType out_dtype,
                       float* y, ThreadPool* pool) {
  const DenseWeight::Storage& s = w.storage();
  const KLayout& kl = s.kl;
  const size_t k = w.k(), mp = padded_rows(s.variant, m);
  ActBuffers& buf = act_buffers();
  GemmTask t;
  t.kl = kl;
  t.ldx = act_stride(kl);
  t.n = w.n();
  t.m = m;
  t.out = out_dtype;
  t.bias = bias;
  t.bias_fused = true;
  t.y = y;
  if (w.dtype() == DenseDType::kF32) {
    t.src = WeightSource::kF32;
    t.wf32 = reinterpret_cast<const float*>(s.packed.data());
  } else {
    t.src = WeightSource::kBf16;
    t.wbf16 = reinterpret_cast<const uint16_t*>(s.packed.data());
  }
  bool use_bf16 = bf16_variant(s.variant) && t.src == WeightSource::kBf16 && !s.bf16_subnormal;
  for (size_t i = 0; i < m * k && use_bf16; ++i) use_bf16 = bf16_exact(x[i]);
  if (use_bf16) {
    uint16_t* xb = grow(buf.xb, mp * act_stride(kl));
    parallel_for(prep_pool(pool, m), m, [&](size_t r0, size_t r1) {
      pad_rows(kl, r0, r1, xb, [&](size_t r, size_t c) { return uint16_t(std::bit_cast<uint32_t>(x[r * k + c]) >> 16); });
    });
    std::memset(xb + m * act_stride(kl), 0, (mp - m) * act_stride(kl) * sizeof(uint16_t));
    t.xb = xb;
  } else {
    float* xf = grow(buf.xf, m * act_stride(kl));
    parallel_for(prep_pool(pool, m), m, [&](size_t r0, size_t r1) {
      pad_rows(kl, r0, r1, xf, [&](size_t r, size_t c) { return x[r * k + c]; });
    });
    t.xf = xf;
  }
  run_groups(t, s.groups, groups_fn(s.variant, t.xb != nullptr, m), pool);
}

}  // namespace

void fp8_linear(const float* x, size_t m, const PackedFp8Weight& w, const float* bias,
                const Fp8LinearOptions& opt, float* y, ThreadPool* pool) {
  if (m == 0) return;
  if (w.storage().variant != KernelVariant::kScalar) {
    fp8_linear_simd(x, m, w, bias, opt, y, pool);
    return;
  }
  const size_t k = w.k();
  if (opt.mode == Fp8Mode::kW8A16) {
    const std::span<const float> xs(x, m * k);
    over_row_blocks(m, w, bias, y, pool, [&](const Fp8WeightView& ws, std::span<const float> b, std::span<float> out) {
      gemm_w8a16_ref(xs, m, ws, b, opt.act_dtype, out);
    });
    return;
  }
  const int group = int(w.block().cols);
  std::vector<uint8_t> a_codes(m * k);
  std::vector<float> a_scales(m * act_groups(k, group));
  if (opt.static_act_scale > 0) {
    quantize_activations_static({x, m * k}, m, k, group, opt.static_act_scale, a_codes, a_scales);
  } else {
    ActQuantRecipe recipe = opt.act;
    recipe.group = group;
    quantize_activations_dynamic({x, m * k}, m, k, recipe, a_codes, a_scales);
  }
  over_row_blocks(m, w, bias, y, pool, [&](const Fp8WeightView& ws, std::span<const float> b, std::span<float> out) {
    gemm_w8a8_ref(a_codes, a_scales, m, ws, b, opt.act_dtype, out);
  });
}

void dense_linear(const float* x, size_t m, const DenseWeight& w, const float* bias,
                  OutDType out_dtype, float* y, ThreadPool* pool) {
  if (m == 0) return;
  if (w.storage().variant != KernelVariant::kScalar) {
    dense_linear_simd(x, m, w, bias, out_dtype, y, pool);
    return;
  }
  const size_t n = w.n(), k = w.k();
  parallel_for(pool, n, [&](size_t n0, size_t n1) {
    std::vector<float> row(k);
    for (size_t j = n0; j < n1; ++j) {
      w.row_f32(j, row.data());
      for (size_t i = 0; i < m; ++i) {
        const float* xi = x + i * k;
        float acc = 0.0f;
        for (size_t t = 0; t < k; ++t) acc += xi[t] * row[t];
        y[i * n + j] = round_to(out_dtype, bias ? acc + bias[j] : acc);
      }
    }
  });
}

}  // namespace finefp8::cpu
