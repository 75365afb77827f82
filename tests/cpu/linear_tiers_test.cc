// Every SIMD kernel variant of src/cpu/linear.h that this machine can run, against the
// scalar reference GEMMs (src/fp8/gemm_ref.h), over ragged shapes, both modes, both dtypes,
// zero groups and extreme scales. Variants the CPU lacks are skipped (and printed).
//
// Tolerance. E4M3 values, and products of two of them (or of a bf16 activation and a bf16
// weight), are exact in fp32, so a tier differs from the reference only by the order of its
// fp32 sums. For a sum of n terms two orders differ by at most 2 (n - 1) 2^-24 sum|terms|.
//   W8A8: n <= 128 per K block; the promotion steps (partial * a_s) * w_s and the sum over
//         blocks are done in the same order as the reference. Bound: 2^-15 * B, with
//         B = sum_kb (sum_k |a w|) a_s |w_s| (as tests/fp8/gemm_ref_test.cc).
//   W8A16 and dense: n = K, plus one fp32 rounding per product where the tier fuses it
//         (fp32 activations: FMA). Bound: (4 K + 8) 2^-24 * sum_k |x w|.
// Then the cast to the output dtype (and the bias added in it) can land on the neighbouring
// value: + 2 ulps of the output dtype at |y_ref| + |bias|. The bf16 dot instructions flush
// fp32-subnormal products: + K 2^-126 (never reached by these cases but stated).
// With K = 1 there is one term, and every tier is bit-identical to the reference.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "cpu/linear.h"
#include "cpu/linear_layout.h"
#include "fp8/block_quant.h"
#include "fp8/float16.h"
#include "fp8/formats.h"
#include "util/error.h"

namespace finefp8::cpu {
namespace {

struct Tier {
  std::string name;
  Isa isa;
  PackOptions opt;
};

// The variants this machine runs (each printed once), the forced lower tiers included.
const std::vector<Tier>& tiers() {
  static const std::vector<Tier> list = [] {
    std::vector<Tier> t;
    const CpuFeatures& f = cpu_features();
    auto add = [&](const char* name, Isa isa, bool bf16, bool available) {
      if (available) {
        t.push_back({name, isa, PackOptions{bf16}});
      } else {
        std::printf("[ linear tiers ] skipping %s: not supported by this CPU\n", name);
      }
    };
    add("avx2-fma", Isa::kAvx2, false, isa_supported(Isa::kAvx2));
    add("avx512-fma", Isa::kAvx512, false, isa_supported(Isa::kAvx512));
    add("avx512-bf16", Isa::kAvx512, true, isa_supported(Isa::kAvx512) && f.avx512_bf16 && f.avx512_vbmi);
    add("amx", Isa::kAmx, true, isa_supported(Isa::kAmx));
    std::printf("[ linear tiers ] testing:");
    for (const Tier& x : t) std::printf(" %s", x.name.c_str());
    std::printf("\n");
    return t;
  }();
  return list;
}

ThreadPool& pool() {
  static ThreadPool p(2);
  return p;
}

struct Weight {
  std::vector<uint8_t> codes;
  std::vector<float> scale_inv;
  Fp8WeightView view() const { return {codes, scale_inv, n, k, block}; }
  size_t n = 0, k = 0;
  BlockShape block;
};

Weight random_weight(size_t n, size_t k, BlockShape block, uint32_t seed, float scale_mul = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> w(n * k);
  for (auto& v : w) v = u(rng);
  Weight r;
  r.n = n;
  r.k = k;
  r.block = block;
  r.codes.resize(n * k);
  r.scale_inv.resize(((n + block.rows - 1) / block.rows) * ((k + block.cols - 1) / block.cols));
  quantize_weight_blocks({w.data(), WeightView::DType::kF32, n, k}, block, ScaleRecipe::kTransformers, r.codes,
                         r.scale_inv);
  for (auto& s : r.scale_inv) s *= scale_mul;
  return r;
}

// bf16-valued activations in [-amp, amp]; rows listed in zero_rows are all zero, and row 1
// (if present) has its second K block zero.
std::vector<float> random_x(size_t m, size_t k, uint32_t seed, float amp, size_t bc) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-amp, amp);
  std::vector<float> x(m * k);
  for (auto& v : x) v = round_to(OutDType::kBF16, u(rng));
  if (m > 2) std::fill_n(x.begin() + 2 * k, k, 0.0f);  // a zero row
  if (m > 1) {
    for (size_t c = bc; c < std::min(k, 2 * bc); ++c) x[k + c] = 0.0f;  // a zero group
  }
  return x;
}

double ulp(OutDType d, double v) {
  const int e = v == 0 ? -126 : std::max(-126, std::ilogb(v));
  return std::ldexp(1.0, e - (d == OutDType::kBF16 ? 7 : 23));
}

// Compares got to want with the tolerance of the header; `bound[i * n + j]` is the
// summation-order bound for that output.
void expect_close(const std::vector<float>& want, const std::vector<float>& got, const std::vector<double>& bound,
                  const float* bias, size_t m, size_t n, OutDType out, bool exact, const std::string& what) {
  ASSERT_EQ(want.size(), got.size());
  int reported = 0;
  for (size_t i = 0; i < m; ++i) {
    for (size_t j = 0; j < n; ++j) {
      const float w = want[i * n + j], g = got[i * n + j];
      if (!std::isfinite(w)) {
        EXPECT_TRUE(std::isnan(w) ? std::isnan(g) : g == w) << what << " at [" << i << "," << j << "] want " << w
                                                           << " got " << g;
        continue;
      }
      const double b = bias ? std::fabs(bias[j]) : 0.0;
      const double tol = exact ? 0.0 : bound[i * n + j] + 2 * ulp(out, std::fabs(w) + b) + m * 0x1p-126;
      if (!(std::fabs(double(g) - w) <= tol) && reported++ < 5) {
        ADD_FAILURE() << what << " at [" << i << "," << j << "]: want " << w << " got " << g << " tol " << tol;
      }
    }
  }
}

struct Fp8Case {
  size_t m, n, k;
  BlockShape block;
  Fp8LinearOptions opt;
  bool bias;
  float x_amp = 4.0f;
  float scale_mul = 1.0f;
  bool use_pool = true;
};

std::string describe(const Fp8Case& c) {
  return "m=" + std::to_string(c.m) + " n=" + std::to_string(c.n) + " k=" + std::to_string(c.k) + " block=" +
         std::to_string(c.block.rows) + "x" + std::to_string(c.block.cols) +
         (c.opt.mode == Fp8Mode::kW8A8 ? (c.opt.static_act_scale > 0 ? " w8a8-static" : " w8a8") : " w8a16") +
         (c.opt.act_dtype == OutDType::kBF16 ? " bf16" : " f32") + (c.bias ? " bias" : "") +
         " x_amp=" + std::to_string(c.x_amp) + " scale_mul=" + std::to_string(c.scale_mul);
}

void check_fp8(const Fp8Case& c, uint32_t seed) {
  const Weight w = random_weight(c.n, c.k, c.block, seed, c.scale_mul);
  const std::vector<float> x = random_x(c.m, c.k, seed + 1, c.x_amp, size_t(c.block.cols));
  std::vector<float> bias(c.n);
  std::mt19937 rng(seed + 2);
  std::uniform_real_distribution<float> u(-2.0f, 2.0f);
  for (auto& v : bias) v = round_to(c.opt.act_dtype, u(rng));
  const std::span<const float> bspan = c.bias ? std::span<const float>(bias) : std::span<const float>();
  const Fp8WeightView wv = w.view();
  const size_t kb_count = act_groups(c.k, c.block.cols);
  const size_t grid_cols = kb_count;

  std::vector<float> want(c.m * c.n);
  std::vector<double> bound(c.m * c.n);
  if (c.opt.mode == Fp8Mode::kW8A8) {
    std::vector<uint8_t> ac(c.m * c.k);
    std::vector<float> as(c.m * kb_count);
    if (c.opt.static_act_scale > 0) {
      quantize_activations_static(x, c.m, c.k, c.block.cols, c.opt.static_act_scale, ac, as);
    } else {
      ActQuantRecipe r = c.opt.act;
      r.group = c.block.cols;
      quantize_activations_dynamic(x, c.m, c.k, r, ac, as);
    }
    gemm_w8a8_ref(ac, as, c.m, wv, bspan, c.opt.act_dtype, want);
    for (size_t i = 0; i < c.m; ++i) {
      for (size_t j = 0; j < c.n; ++j) {
        double total = 0;
        for (size_t kb = 0; kb < kb_count; ++kb) {
          double s = 0;
          for (size_t kk = kb * c.block.cols; kk < std::min(c.k, (kb + 1) * size_t(c.block.cols)); ++kk) {
            s += std::fabs(double(e4m3_to_f32(ac[i * c.k + kk])) * e4m3_to_f32(w.codes[j * c.k + kk]));
          }
          total += s * as[i * kb_count + kb] * std::fabs(w.scale_inv[(j / c.block.rows) * grid_cols + kb]);
        }
        bound[i * c.n + j] = 0x1p-15 * total;
      }
    }
  } else {
    gemm_w8a16_ref(x, c.m, wv, bspan, c.opt.act_dtype, want);
    for (size_t i = 0; i < c.m; ++i) {
      for (size_t j = 0; j < c.n; ++j) {
        double s = 0;
        for (size_t kk = 0; kk < c.k; ++kk) {
          const float wq = round_to(c.opt.act_dtype, e4m3_to_f32(w.codes[j * c.k + kk]) *
                                                         w.scale_inv[(j / c.block.rows) * grid_cols + kk / c.block.cols]);
          s += std::fabs(double(x[i * c.k + kk]) * wq);
        }
        bound[i * c.n + j] = (4.0 * c.k + 8) * 0x1p-24 * s;
      }
    }
  }
  for (const Tier& t : tiers()) {
    const PackedFp8Weight p = PackedFp8Weight::pack(wv, t.isa, t.opt);
    std::vector<float> got(c.m * c.n, -1.0f);
    fp8_linear(x.data(), c.m, p, c.bias ? bias.data() : nullptr, c.opt, got.data(), c.use_pool ? &pool() : nullptr);
    expect_close(want, got, bound, c.bias ? bias.data() : nullptr, c.m, c.n, c.opt.act_dtype, c.k == 1,
                 t.name + " (" + std::string(p.kernel()) + ") " + describe(c));
  }
}

TEST(LinearTiers, Fp8MatchesReferenceOverShapes) {
  uint32_t seed = 1;
  const std::vector<std::pair<size_t, size_t>> shapes = {{1, 1}, {130, 100}, {257, 129}, {33, 576}};
  for (size_t m : {1, 2, 3, 7, 16, 17, 128, 300}) {
    for (auto [n, k] : shapes) {
      if (m >= 128 && n * k > 257 * 129) continue;  // keep the reference affordable
      for (BlockShape block : {BlockShape{128, 128}, BlockShape{48, 80}}) {
        if (block.rows == 48 && m > 17 && k > 1) continue;
        const Fp8LinearOptions w8a8_bf16{Fp8Mode::kW8A8, OutDType::kBF16};
        const Fp8LinearOptions w8a8_f32{Fp8Mode::kW8A8, OutDType::kF32};
        const Fp8LinearOptions w8a16_bf16{Fp8Mode::kW8A16, OutDType::kBF16};
        const Fp8LinearOptions w8a16_f32{Fp8Mode::kW8A16, OutDType::kF32};
        check_fp8({m, n, k, block, w8a8_bf16, true}, seed++);
        check_fp8({m, n, k, block, w8a8_f32, false}, seed++);
        check_fp8({m, n, k, block, w8a16_bf16, true}, seed++);
        check_fp8({m, n, k, block, w8a16_f32, (m % 2) == 1}, seed++);
      }
    }
  }
  // A larger K and N for the multi-group, multi-block, two-thread split.
  check_fp8({130, 520, 1000, {128, 128}, {Fp8Mode::kW8A8, OutDType::kBF16}, true}, seed++);
  check_fp8({40, 520, 1000, {128, 128}, {Fp8Mode::kW8A16, OutDType::kBF16}, true}, seed++);
  // More rows than one L2 row block of the prefill drivers (row_block: 240 bf16 / 96 fp32
  // rows at K = 1000).
  check_fp8({300, 70, 1000, {128, 128}, {Fp8Mode::kW8A8, OutDType::kBF16}, true}, seed++);
  check_fp8({300, 70, 1000, {128, 128}, {Fp8Mode::kW8A16, OutDType::kF32}, false}, seed++);
}

TEST(LinearTiers, Fp8StaticScaleDeepSeekRecipeAndNoPool) {
  Fp8LinearOptions st{Fp8Mode::kW8A8, OutDType::kBF16};
  st.static_act_scale = 0.02f;
  Fp8LinearOptions ds{Fp8Mode::kW8A8, OutDType::kBF16};
  ds.act = ActQuantRecipe::deepseek(true);
  for (size_t m : {1, 4, 5, 8, 17}) {
    check_fp8({m, 130, 300, {128, 128}, st, true}, 900 + uint32_t(m));
    check_fp8({m, 130, 300, {128, 128}, ds, false}, 950 + uint32_t(m));
    Fp8Case c{m, 257, 129, {128, 128}, {Fp8Mode::kW8A8, OutDType::kF32}, true};
    c.use_pool = false;
    check_fp8(c, 990 + uint32_t(m));
  }
}

TEST(LinearTiers, Fp8ExtremeScales) {
  uint32_t seed = 500;
  for (float scale_mul : {1e-30f, 1e-12f, 1e12f, 1e25f}) {
    for (Fp8Mode mode : {Fp8Mode::kW8A8, Fp8Mode::kW8A16}) {
      for (OutDType d : {OutDType::kBF16, OutDType::kF32}) {
        check_fp8({3, 130, 300, {128, 128}, {mode, d}, true, 4.0f, scale_mul}, seed++);
      }
    }
  }
  // Activations near the fp32 extremes (W8A8 scales them into E4M3; W8A16 keeps them, with
  // weights scaled so that products stay finite).
  for (float amp : {1.5e38f, 1.0e-37f}) {
    for (OutDType d : {OutDType::kBF16, OutDType::kF32}) {
      check_fp8({7, 130, 300, {128, 128}, {Fp8Mode::kW8A8, d}, true, amp}, seed++);
      check_fp8({7, 130, 300, {128, 128}, {Fp8Mode::kW8A16, d}, false, amp, amp > 1 ? 1e-38f / 448 : 1.0f}, seed++);
    }
  }
}

TEST(LinearTiers, Fp8RejectsNonFiniteActivations) {
  const Weight w = random_weight(40, 64, {128, 128}, 7);
  std::vector<float> x(2 * 64, 1.0f), y(2 * 40);
  x[70] = std::numeric_limits<float>::infinity();
  for (const Tier& t : tiers()) {
    const PackedFp8Weight p = PackedFp8Weight::pack(w.view(), t.isa, t.opt);
    EXPECT_THROW(fp8_linear(x.data(), 2, p, nullptr, {}, y.data(), &pool()), Error) << t.name;
  }
}

TEST(LinearTiers, Fp8NanCodesGiveNan) {
  Weight w = random_weight(40, 200, {128, 128}, 8);
  w.codes[3 * 200 + 5] = 0x7F;
  w.codes[35 * 200 + 150] = 0xFF;
  std::vector<float> x = random_x(3, 200, 9, 2.0f, 128), want(3 * 40), got(3 * 40);
  const std::vector<double> bound(3 * 40, 1e-2);
  for (Fp8Mode mode : {Fp8Mode::kW8A8, Fp8Mode::kW8A16}) {
    fp8_linear(x.data(), 3, PackedFp8Weight::pack(w.view(), Isa::kScalar), nullptr, {mode}, want.data(), nullptr);
    ASSERT_TRUE(std::isnan(want[3]) && std::isnan(want[2 * 40 + 35]));
    for (const Tier& t : tiers()) {
      fp8_linear(x.data(), 3, PackedFp8Weight::pack(w.view(), t.isa, t.opt), nullptr, {mode}, got.data(), &pool());
      expect_close(want, got, bound, nullptr, 3, 40, OutDType::kBF16, false, t.name + " NaN codes");
    }
  }
}

TEST(LinearTiers, PackedViewRoundTrips) {
  const Weight w = random_weight(70, 200, {48, 80}, 11);
  for (const Tier& t : tiers()) {
    const PackedFp8Weight p = PackedFp8Weight::pack(w.view(), t.isa, t.opt);
    const Fp8WeightView v = p.view();
    EXPECT_TRUE(std::equal(v.codes.begin(), v.codes.end(), w.codes.begin(), w.codes.end())) << t.name;
    EXPECT_TRUE(std::equal(v.scale_inv.begin(), v.scale_inv.end(), w.scale_inv.begin(), w.scale_inv.end()));
  }
}

void check_dense(size_t m, size_t n, size_t k, DenseDType dt, OutDType out, bool bf16_x, bool with_bias,
                 uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-2.0f, 2.0f);
  std::vector<float> wf(n * k), x(m * k), bias(n);
  std::vector<uint16_t> wb(n * k);
  for (size_t i = 0; i < n * k; ++i) {
    wf[i] = u(rng);
    wb[i] = bf16_from_f32(wf[i]).bits;
    if (dt == DenseDType::kBF16) wf[i] = bf16_to_f32(bf16{wb[i]});
  }
  for (auto& v : x) v = bf16_x ? round_to(OutDType::kBF16, u(rng)) : u(rng);
  for (auto& v : bias) v = round_to(out, u(rng));
  const void* data = dt == DenseDType::kF32 ? static_cast<const void*>(wf.data()) : wb.data();
  const float* b = with_bias ? bias.data() : nullptr;
  std::vector<float> want(m * n), got(m * n);
  dense_linear(x.data(), m, DenseWeight::pack(data, dt, n, k, Isa::kScalar), b, out, want.data(), nullptr);
  std::vector<double> bound(m * n);
  for (size_t i = 0; i < m; ++i) {
    for (size_t j = 0; j < n; ++j) {
      double s = 0;
      for (size_t t = 0; t < k; ++t) s += std::fabs(double(x[i * k + t]) * wf[j * k + t]);
      bound[i * n + j] = (4.0 * k + 8) * 0x1p-24 * s;
    }
  }
  for (const Tier& t : tiers()) {
    const DenseWeight w = DenseWeight::pack(data, dt, n, k, t.isa, t.opt);
    std::fill(got.begin(), got.end(), -1.0f);
    dense_linear(x.data(), m, w, b, out, got.data(), &pool());
    const std::string what = t.name + " (" + std::string(w.kernel()) + ") dense " +
                             (dt == DenseDType::kBF16 ? "bf16" : "f32") + " m=" + std::to_string(m) +
                             " n=" + std::to_string(n) + " k=" + std::to_string(k) + (bf16_x ? " bf16-x" : " f32-x");
    expect_close(want, got, bound, b, m, n, out, k == 1, what);
    std::vector<float> row(k);
    w.row_f32(n - 1, row.data());
    for (size_t c = 0; c < k; ++c) ASSERT_EQ(row[c], wf[(n - 1) * k + c]) << what;
  }
}

TEST(LinearTiers, DenseMatchesReference) {
  uint32_t seed = 2000;
  for (size_t m : {1, 3, 17, 64}) {
    for (auto [n, k] : std::vector<std::pair<size_t, size_t>>{{1, 1}, {130, 100}, {257, 300}}) {
      for (DenseDType dt : {DenseDType::kBF16, DenseDType::kF32}) {
        check_dense(m, n, k, dt, OutDType::kBF16, true, true, seed++);
        check_dense(m, n, k, dt, OutDType::kF32, false, m % 2 == 1, seed++);
      }
    }
  }
}

// The default pack (best_isa(), FINEFP8_ISA honoured): ctest runs this binary again with
// FINEFP8_ISA=avx2 and =scalar (tests/cpu/CMakeLists.txt).
TEST(LinearTiers, DefaultTierFollowsEnvironment) {
  Isa isa;
  try {
    isa = best_isa();
  } catch (const Error& e) {
    GTEST_SKIP() << e.what();
  }
  std::printf("[ linear tiers ] default tier: %s\n", std::string(isa_name(isa)).c_str());
  const Weight w = random_weight(130, 300, {128, 128}, 77);
  std::vector<float> x = random_x(5, 300, 78, 4.0f, 128), want(5 * 130), got(5 * 130);
  const PackedFp8Weight p = PackedFp8Weight::pack(w.view());
  EXPECT_EQ(p.isa(), isa);
  const PackedFp8Weight ref = PackedFp8Weight::pack(w.view(), Isa::kScalar);
  for (Fp8Mode mode : {Fp8Mode::kW8A8, Fp8Mode::kW8A16}) {
    fp8_linear(x.data(), 5, ref, nullptr, {mode}, want.data(), nullptr);
    fp8_linear(x.data(), 5, p, nullptr, {mode}, got.data(), &pool());
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_NEAR(got[i], want[i], 0x1p-12 * (std::fabs(want[i]) + 1.0f)) << "at " << i;
    }
  }
}

// Every E4M3 code through the in-register conversions of the variants.
TEST(LinearTiers, Fp8ConversionExhaustive) {
  const CpuFeatures& f = cpu_features();
  auto same = [](float a, float b) { return std::isnan(a) ? std::isnan(b) : std::bit_cast<uint32_t>(a) == std::bit_cast<uint32_t>(b); };
  for (int base = 0; base < 256; base += 64) {
    uint8_t natural[64], permuted[64], split[64];
    for (int e = 0; e < 64; ++e) {
      natural[e] = uint8_t(base + e);
      permuted[stored_pos(PairOrder::kVbmi, size_t(e))] = natural[e];
      split[stored_pos(PairOrder::kSplit, size_t(e))] = natural[e];
    }
    // The fast fp32 decoders read the NaN codes as +-480; weights holding them use the
    // NaN-aware decoder (pack time detects them).
    auto fast_ok = [](uint8_t c) { return (c & 0x7F) != 0x7F; };
    if (isa_supported(Isa::kAvx512) && f.avx512_bf16 && f.avx512_vbmi) {
      uint16_t out[64];
      convert_pair_row_avx512bf16(permuted, out);
      for (int e = 0; e < 64; ++e) {
        EXPECT_TRUE(same(bf16_to_f32(bf16{out[e]}), e4m3_to_f32(natural[e]))) << "bf16 code " << int(natural[e]);
      }
    }
    for (bool nan_codes : {false, true}) {
      if (isa_supported(Isa::kAvx512)) {
        float out[64];
        decode_pair_row_avx512(split, out, nan_codes);
        for (int e = 0; e < 64; ++e) {
          if (nan_codes || fast_ok(natural[e])) {
            EXPECT_TRUE(same(out[e], e4m3_to_f32(natural[e]))) << "avx512 code " << int(natural[e]) << " " << nan_codes;
          }
        }
      }
      if (isa_supported(Isa::kAvx2)) {
        float out[64];
        decode_pair_row_avx2(split, out, nan_codes);
        for (int e = 0; e < 64; ++e) {
          if (nan_codes || fast_ok(natural[e])) {
            EXPECT_TRUE(same(out[e], e4m3_to_f32(natural[e]))) << "avx2 code " << int(natural[e]) << " " << nan_codes;
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace finefp8::cpu
