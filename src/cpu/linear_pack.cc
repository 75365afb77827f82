// Packing of linear-layer weights into the layout of the tier chosen at pack time
// (src/cpu/linear_layout.h), and the accessors that read them back.
#include <algorithm>
#include <array>
#include <bit>
#include <cstdlib>
#include <cstring>

#include "cpu/linear.h"
#include "cpu/linear_storage.h"
#include "fp8/float16.h"
#include "fp8/formats.h"
#include "util/error.h"
#include "util/huge_pages.h"

namespace finefp8::cpu {

AlignedBytes::AlignedBytes(size_t bytes) : size_(bytes) {
  if (bytes == 0) return;
  const size_t alloc = round_up(bytes, 64);
  void* p = alloc_maybe_huge(alloc);
  std::memset(p, 0, alloc);
  p_.reset(static_cast<uint8_t*>(p));
}

void AlignedBytes::Free::operator()(uint8_t* p) const { std::free(p); }

namespace {

KernelVariant choose_variant(Isa isa, const PackOptions& opt) {
  const CpuFeatures& f = cpu_features();
  const bool bf16 = opt.allow_avx512_bf16 && f.avx512_bf16 && f.avx512_vbmi;
  switch (isa) {
    case Isa::kScalar: return KernelVariant::kScalar;
    case Isa::kAvx2: return KernelVariant::kAvx2Fma;
    case Isa::kAvx512: return bf16 ? KernelVariant::kAvx512Bf16 : KernelVariant::kAvx512Fma;
    case Isa::kAmx: return bf16 ? KernelVariant::kAmx : KernelVariant::kAvx512Fma;
  }
  return KernelVariant::kScalar;
}

std::string_view variant_name(KernelVariant v) {
  switch (v) {
    case KernelVariant::kScalar: return "scalar";
    case KernelVariant::kAvx2Fma: return "avx2-fma";
    case KernelVariant::kAvx512Fma: return "avx512-fma";
    case KernelVariant::kAvx512Bf16: return "avx512-bf16";
    case KernelVariant::kAmx: return "amx";
  }
  return "?";
}

bool permuted(KernelVariant v) { return v == KernelVariant::kAvx512Bf16 || v == KernelVariant::kAmx; }

PairOrder fp8_order(KernelVariant v) { return permuted(v) ? PairOrder::kVbmi : PairOrder::kSplit; }

// Element offset of weight element (row, col) in the group-pair layout.
size_t pair_offset(const KLayout& kl, size_t row, size_t col, PairOrder order) {
  const size_t g = row / kGroupN, nn = row % kGroupN;
  const size_t kb = col / kl.bc, kpad = kl.off(kb) + col % kl.bc;
  const size_t e = 2 * nn + kpad % 2;
  return (g * kl.kp + kpad - kpad % 2) * kGroupN + stored_pos(order, e);
}

// Copies src [n, k] (row-major, T elements) into the group-pair layout dst (zeros in the
// pads), in destination order: one sequential write stream.
template <typename T>
void pack_pairs(const T* src, size_t n, size_t k, const KLayout& kl, PairOrder order, T* dst) {
  size_t pos[64];
  for (size_t e = 0; e < 64; ++e) pos[e] = stored_pos(order, e);
  const size_t groups = (n + kGroupN - 1) / kGroupN;
  for (size_t g = 0; g < groups; ++g) {
    const size_t rows = std::min(kGroupN, n - g * kGroupN);
    for (size_t kb = 0; kb < kl.kblocks; ++kb) {
      const size_t len = kl.len(kb);
      for (size_t j = 0; j < len; j += 2) {
        T* d = dst + (g * kl.kp + kl.off(kb) + j) * kGroupN;
        const T* s = src + (g * kGroupN) * k + kb * kl.bc + j;
        for (size_t nn = 0; nn < rows; ++nn) {
          d[pos[2 * nn]] = s[nn * k];
          if (j + 1 < len) d[pos[2 * nn + 1]] = s[nn * k + 1];
        }
      }
    }
  }
}

bool bf16_subnormal(uint16_t bits) { return (bits & 0x7F80u) == 0 && (bits & 0x7Fu) != 0; }

}  // namespace

namespace bf16_detail {
const uint8_t* exact_bf16_table() {
  static const auto table = [] {
    std::array<uint8_t, 256> t{};
    for (int c = 0; c < 128; ++c) {
      const uint16_t b = bf16_from_f32(e4m3_to_f32(uint8_t(c))).bits;
      t[c] = uint8_t(b >> 8);
      t[128 + c] = uint8_t(b & 0xFF);
    }
    return t;
  }();
  return table.data();
}
}  // namespace bf16_detail

PackedFp8Weight PackedFp8Weight::pack(const Fp8WeightView& w) { return pack(w, best_isa()); }

PackedFp8Weight PackedFp8Weight::pack(const Fp8WeightView& w, Isa isa) { return pack(w, isa, PackOptions{}); }

PackedFp8Weight PackedFp8Weight::pack(const Fp8WeightView& w, Isa isa, const PackOptions& opt) {
  if (!isa_supported(isa)) fail("instruction-set tier {} is not available on this CPU", isa_name(isa));
  if (w.block.rows <= 0 || w.block.cols <= 0) fail("FP8 weight block shape must be positive");
  const size_t row_blocks = (w.n + w.block.rows - 1) / w.block.rows;
  const size_t kblocks = (w.k + w.block.cols - 1) / w.block.cols;
  FINEFP8_ASSERT(w.codes.size() == w.n * w.k && w.scale_inv.size() == row_blocks * kblocks);
  auto s = std::make_shared<Storage>();
  s->variant = choose_variant(isa, opt);
  s->scale_inv.assign(w.scale_inv.begin(), w.scale_inv.end());
  if (s->variant == KernelVariant::kScalar) {
    s->codes.assign(w.codes.begin(), w.codes.end());
  } else {
    const KLayout kl = KLayout::make(w.k, size_t(w.block.cols));
    const bool permute = permuted(s->variant);
    const PairOrder order = fp8_order(s->variant);
    s->kl = kl;
    s->groups = (w.n + kGroupN - 1) / kGroupN;
    s->packed = AlignedBytes(s->groups * kl.kp * kGroupN);
    pack_pairs(w.codes.data(), w.n, w.k, kl, order, s->packed.data());
    s->nan_codes = std::any_of(w.codes.begin(), w.codes.end(), [](uint8_t c) { return (c & 0x7F) == 0x7F; });
    s->gscale.assign(s->groups * kblocks * kGroupN, 0.0f);
    for (size_t r = 0; r < w.n; ++r) {
      for (size_t kb = 0; kb < kblocks; ++kb) {
        s->gscale[((r / kGroupN) * kblocks + kb) * kGroupN + r % kGroupN] =
            w.scale_inv[(r / w.block.rows) * kblocks + kb];
      }
    }
    // W8A16 bf16 tables: bf16(e4m3(c) * scale_inv) per weight block, unless a value would be
    // a bf16 subnormal (vdpbf16ps reads those as zero: such weights take the fp32 path).
    if (permute && w.block.rows % int(kGroupN) == 0) {
      AlignedBytes tables(row_blocks * kblocks * 256);
      bool ok = true;
      for (size_t b = 0; b < row_blocks * kblocks && ok; ++b) {
        uint8_t* t = tables.data() + b * 256;
        for (int c = 0; c < 128; ++c) {
          const uint16_t v = bf16_from_f32(e4m3_to_f32(uint8_t(c)) * w.scale_inv[b]).bits;
          ok = ok && !bf16_subnormal(v);
          t[c] = uint8_t(v >> 8);
          t[128 + c] = uint8_t(v & 0xFF);
        }
      }
      if (ok) s->w16_tables = std::move(tables);
    }
  }
  PackedFp8Weight p;
  p.n_ = w.n;
  p.k_ = w.k;
  p.block_ = w.block;
  p.isa_ = isa;
  p.storage_ = std::move(s);
  return p;
}

size_t PackedFp8Weight::bytes() const {
  const Storage& s = *storage_;
  const size_t codes = s.variant == KernelVariant::kScalar ? s.codes.size() : 0;
  return codes + s.scale_inv.size() * sizeof(float) + s.packed.size() + s.gscale.size() * sizeof(float) +
         s.w16_tables.size();
}

std::string_view PackedFp8Weight::kernel() const { return variant_name(storage_->variant); }

Fp8WeightView PackedFp8Weight::view() const {
  const Storage& s = *storage_;
  if (s.variant != KernelVariant::kScalar) {
    std::call_once(s.codes_once, [&] {
      s.codes.resize(n_ * k_);
      const PairOrder order = fp8_order(s.variant);
      for (size_t r = 0; r < n_; ++r) {
        for (size_t c = 0; c < k_; ++c) s.codes[r * k_ + c] = s.packed.data()[pair_offset(s.kl, r, c, order)];
      }
    });
  }
  return {s.codes, s.scale_inv, n_, k_, block_};
}

DenseWeight DenseWeight::pack(const void* data, DenseDType dtype, size_t n, size_t k) {
  return pack(data, dtype, n, k, best_isa());
}

DenseWeight DenseWeight::pack(const void* data, DenseDType dtype, size_t n, size_t k, Isa isa) {
  return pack(data, dtype, n, k, isa, PackOptions{});
}

DenseWeight DenseWeight::pack(const void* data, DenseDType dtype, size_t n, size_t k, Isa isa,
                              const PackOptions& opt) {
  if (!isa_supported(isa)) fail("instruction-set tier {} is not available on this CPU", isa_name(isa));
  auto s = std::make_shared<Storage>();
  s->variant = choose_variant(isa, opt);
  if (s->variant == KernelVariant::kScalar) {
    if (dtype == DenseDType::kF32) {
      const auto* p = static_cast<const float*>(data);
      s->f32.assign(p, p + n * k);
    } else {
      const auto* p = static_cast<const uint16_t*>(data);
      s->bf16.assign(p, p + n * k);
    }
  } else {
    const KLayout kl = KLayout::make(k, 128);
    s->kl = kl;
    s->groups = (n + kGroupN - 1) / kGroupN;
    if (dtype == DenseDType::kF32) {
      // fp32 panels [G][KP][32].
      s->packed = AlignedBytes(s->groups * kl.kp * kGroupN * sizeof(float));
      auto* dst = reinterpret_cast<float*>(s->packed.data());
      const auto* src = static_cast<const float*>(data);
      for (size_t r = 0; r < n; ++r) {
        for (size_t c = 0; c < k; ++c) dst[((r / kGroupN) * kl.kp + c) * kGroupN + r % kGroupN] = src[r * k + c];
      }
    } else {
      s->packed = AlignedBytes(s->groups * kl.kp * kGroupN * sizeof(uint16_t));
      auto* dst = reinterpret_cast<uint16_t*>(s->packed.data());
      const auto* src = static_cast<const uint16_t*>(data);
      pack_pairs(src, n, k, kl, PairOrder::kNatural, dst);
      s->bf16_subnormal = std::any_of(src, src + n * k, bf16_subnormal);
    }
  }
  DenseWeight d;
  d.n_ = n;
  d.k_ = k;
  d.dtype_ = dtype;
  d.isa_ = isa;
  d.storage_ = std::move(s);
  return d;
}

size_t DenseWeight::bytes() const {
  return storage_->f32.size() * sizeof(float) + storage_->bf16.size() * sizeof(uint16_t) + storage_->packed.size();
}

std::string_view DenseWeight::kernel() const { return variant_name(storage_->variant); }

void DenseWeight::row_f32(size_t r, float* out) const {
  FINEFP8_ASSERT(r < n_);
  const Storage& s = *storage_;
  if (s.variant == KernelVariant::kScalar) {
    if (dtype_ == DenseDType::kF32) {
      std::copy_n(&s.f32[r * k_], k_, out);
    } else {
      for (size_t j = 0; j < k_; ++j) out[j] = bf16_to_f32(bf16{s.bf16[r * k_ + j]});
    }
  } else if (dtype_ == DenseDType::kF32) {
    const auto* src = reinterpret_cast<const float*>(s.packed.data());
    for (size_t c = 0; c < k_; ++c) out[c] = src[((r / kGroupN) * s.kl.kp + c) * kGroupN + r % kGroupN];
  } else {
    const auto* src = reinterpret_cast<const uint16_t*>(s.packed.data());
    for (size_t c = 0; c < k_; ++c) out[c] = bf16_to_f32(bf16{src[pair_offset(s.kl, r, c, PairOrder::kNatural)]});
  }
}

}  // namespace finefp8::cpu
