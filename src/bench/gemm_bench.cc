#include "bench/gemm_bench.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <thread>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include "bench/onednn_matmul.h"
#include "bench/peak_probe.h"
#include "fp8/float16.h"
#include "util/error.h"
#include "util/parallel.h"

namespace finefp8::bench {
namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Timed {
  std::function<void()> fn;
  double best = 1e30;  // seconds of the fastest call
};

// One warm-up call each, then `rounds` rounds in which each kernel runs for its share of
// min_seconds (>= 1 call), with a pause between kernels so that spinning worker threads
// (ours, OpenMP's) have gone to sleep before the next one starts.
void time_interleaved(std::vector<Timed>& ks, double min_seconds, int rounds = 5) {
  for (Timed& k : ks) k.fn();
  for (int round = 0; round < rounds; ++round) {
    for (Timed& k : ks) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      const double end = now() + min_seconds / rounds;
      do {
        const double t0 = now();
        k.fn();
        k.best = std::min(k.best, now() - t0);
      } while (now() < end);
    }
  }
}

// Makes weight copy `copy` differ from the others in every 64-byte line (flips low mantissa
// bits under `mask`): identical copies can share physical pages (the hypervisor's or the
// kernel's same-page merging), and then the rotation would read one copy from cache.
template <typename T>
void vary(T* data, size_t count, size_t copy, T mask) {
  uint64_t state = 0x9E3779B97F4A7C15ull * (copy + 1);
  for (size_t i = 0; i < count; ++i) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    data[i] = T(data[i] ^ (T(state) & mask));
  }
}

struct TierChoice {
  cpu::Isa isa;
  cpu::PackOptions opt;
};

TierChoice parse_tier(const std::string& tier) {
  if (tier == "auto") return {cpu::best_isa(), {}};
  if (tier == "ref" || tier == "scalar") return {cpu::Isa::kScalar, {}};
  if (tier == "avx2") return {cpu::Isa::kAvx2, {}};
  if (tier == "avx512") return {cpu::Isa::kAvx512, {}};
  if (tier == "avx512-fma") return {cpu::Isa::kAvx512, {false}};
  if (tier == "amx") return {cpu::Isa::kAmx, {}};
  fail("unknown tier '{}': use auto, ref, avx2, avx512, avx512-fma or amx", tier);
}

PeakUnit unit_for(const std::string& kernel) {
  if (kernel == "amx") return PeakUnit::kAmxBf16;
  if (kernel == "avx512-bf16") return PeakUnit::kDpBf16;
  if (kernel == "avx512-fma") return PeakUnit::kFma512;
  return PeakUnit::kFma256;
}

}  // namespace

GemmBenchResult run_gemm_bench(const GemmBenchConfig& cfg) {
  const TierChoice tc = parse_tier(cfg.tier);
  if (!cpu::isa_supported(tc.isa)) fail("tier '{}' is not available on this CPU", cfg.tier);
  if (cfg.m == 0 || cfg.n == 0 || cfg.k == 0) fail("M, N and K must be positive");
  const int threads = resolve_threads(cfg.threads);
  const size_t m = cfg.m, n = cfg.n, k = cfg.k;
  const BlockShape block{128, 128};
  std::mt19937 rng(42);
  // FP8 weight: random finite codes, scales ~ 1/448.
  std::vector<uint8_t> codes(n * k);
  for (auto& c : codes) {
    c = uint8_t(rng());
    if ((c & 0x7F) == 0x7F) c ^= 1;
  }
  const size_t rb = (n + 127) / 128, kb = (k + 127) / 128;
  std::vector<float> scale_inv(rb * kb);
  std::uniform_real_distribution<float> us(0.5f / 448, 2.0f / 448);
  for (auto& s : scale_inv) s = us(rng);
  // bf16 weight of the same shape and x (bf16 values).
  std::vector<uint16_t> wb(n * k), xb(m * k);
  std::vector<float> x(m * k), y(m * n);
  std::uniform_real_distribution<float> ux(-2.0f, 2.0f);
  for (auto& v : wb) v = bf16_from_f32(ux(rng) * 0.05f).bits;
  for (size_t i = 0; i < m * k; ++i) {
    xb[i] = bf16_from_f32(ux(rng)).bits;
    x[i] = bf16_to_f32(bf16{xb[i]});
  }

  GemmBenchResult r;
  r.cfg = cfg;
  r.threads = threads;
  r.tier = std::string(cpu::isa_name(tc.isa));
  ThreadPool pool(threads);
  const double flop = 2.0 * double(m) * double(n) * double(k);
  auto copies_for = [&](size_t bytes) {
    return std::clamp<size_t>((cfg.cold_bytes + bytes - 1) / bytes, 1, 64);
  };
  r.copies = copies_for(n * k);
  r.bf16_copies = copies_for(2 * n * k);
  // All kernels are built first, then timed in interleaved rounds so that each sees the
  // same machine (other processes on a shared machine come and go); best time per kernel.
  std::vector<cpu::PackedFp8Weight> fp8_ws;
  for (size_t c = 0; c < r.copies; ++c) {
    if (c > 0) {
      vary(codes.data(), codes.size(), c, uint8_t(0x07));
      for (auto& v : codes) v = (v & 0x7F) == 0x7F ? uint8_t(v ^ 1) : v;  // no NaN codes
    }
    fp8_ws.push_back(cpu::PackedFp8Weight::pack({codes, scale_inv, n, k, block}, tc.isa, tc.opt));
  }
  r.kernel = std::string(fp8_ws[0].kernel());
  std::vector<cpu::DenseWeight> bf16_ws;
  for (size_t c = 0; c < r.bf16_copies; ++c) {
    if (c > 0) vary(wb.data(), wb.size(), c, uint16_t(0x007F));
    bf16_ws.push_back(cpu::DenseWeight::pack(wb.data(), cpu::DenseDType::kBF16, n, k, tc.isa, tc.opt));
  }
  std::vector<std::unique_ptr<OnednnBf16Matmul>> mms;
  if (cfg.onednn && OnednnBf16Matmul::available()) {
    for (size_t c = 0; c < r.bf16_copies; ++c) {
      if (c > 0) vary(wb.data(), wb.size(), c + 1000, uint16_t(0x007F));
      mms.push_back(std::make_unique<OnednnBf16Matmul>(m, n, k, wb.data(), threads));
    }
  }
  cpu::Fp8LinearOptions opt;
  opt.mode = cfg.mode;
  size_t next_fp8 = 0, next_bf16 = 0, next_mm = 0;
  std::vector<Timed> timed;
  timed.push_back({[&] { cpu::fp8_linear(x.data(), m, fp8_ws[next_fp8++ % r.copies], nullptr, opt, y.data(), &pool); }});
  timed.push_back({[&] {
    cpu::dense_linear(x.data(), m, bf16_ws[next_bf16++ % r.bf16_copies], nullptr, OutDType::kBF16, y.data(), &pool);
  }});
  if (!mms.empty()) timed.push_back({[&] { mms[next_mm++ % mms.size()]->run(xb.data(), y.data()); }});
  // The peaks are timed in the same rounds, so "% of peak" compares like with like.
  const PeakUnit unit = unit_for(r.kernel);
  std::unique_ptr<StreamProbe> stream;
  double peak_flops = 0;
  const size_t peak_iters = unit == PeakUnit::kAmxBf16 ? 200'000 : 2'000'000;
  const size_t first_probe = timed.size();
  if (cfg.probe_peaks) {
    stream = std::make_unique<StreamProbe>(pool, std::max<size_t>(size_t(512) << 20, 4 * n * k), n * k);
    timed.push_back({[&] { stream->run(); }});
    timed.push_back({[&] { peak_flops = run_peak_loop(unit, pool, peak_iters); }});
  }
  time_interleaved(timed, cfg.min_seconds);
  r.seconds = timed[0].best;
  r.gflops = flop / r.seconds / 1e9;
  r.weight_gbps = double(n * k + scale_inv.size() * sizeof(float)) / r.seconds / 1e9;
  r.own_bf16_gflops = flop / timed[1].best / 1e9;
  if (!mms.empty()) {
    r.onednn_gflops = flop / timed[2].best / 1e9;
    r.baseline = OnednnBf16Matmul::version() + " matmul bf16";
    r.bf16_gflops = r.onednn_gflops;
  } else {
    r.baseline = "finefp8 bf16 only";
    r.bf16_gflops = r.own_bf16_gflops;
  }
  r.ratio_vs_bf16 = r.gflops / r.bf16_gflops;
  r.ratio_vs_own_bf16 = r.gflops / r.own_bf16_gflops;
  if (cfg.probe_peaks) {
    r.peaks.stream_gbps = double(stream->bytes()) / timed[first_probe].best / 1e9;
    r.peaks.compute_unit = peak_unit_name(unit);
    r.peaks.compute_gflops = peak_unit_available(unit) ? peak_flops / timed[first_probe + 1].best / 1e9 : 0;
    if (r.peaks.stream_gbps > 0) r.pct_stream = 100 * r.weight_gbps / r.peaks.stream_gbps;
    if (r.peaks.compute_gflops > 0) r.pct_compute = 100 * r.gflops / r.peaks.compute_gflops;
  }
  return r;
}

std::string to_json(const GemmBenchResult& r) {
  return fmt::format(
      "{{\"tier\": \"{}\", \"kernel\": \"{}\", \"mode\": \"{}\", \"M\": {}, \"N\": {}, \"K\": {}, \"threads\": {}, "
      "\"weight_copies\": {}, \"seconds\": {:.6g}, \"gflops\": {:.4g}, \"weight_gbps\": {:.4g}, \"bf16_gflops\": {:.4g}, "
      "\"bf16_baseline\": \"{}\", \"ratio_vs_bf16\": {:.3f}, \"finefp8_bf16_gflops\": {:.4g}, "
      "\"ratio_vs_finefp8_bf16\": {:.3f}, \"onednn_bf16_gflops\": {:.4g}, "
      "\"peaks\": {{\"stream_gbps\": {:.4g}, \"compute_unit\": \"{}\", \"compute_gflops\": {:.4g}}}, "
      "\"pct_of_stream_bw\": {:.1f}, \"pct_of_compute_peak\": {:.1f}}}",
      r.tier, r.kernel, r.cfg.mode == cpu::Fp8Mode::kW8A8 ? "w8a8" : "w8a16", r.cfg.m, r.cfg.n, r.cfg.k, r.threads,
      r.copies, r.seconds, r.gflops, r.weight_gbps, r.bf16_gflops, r.baseline, r.ratio_vs_bf16, r.own_bf16_gflops,
      r.ratio_vs_own_bf16, r.onednn_gflops, r.peaks.stream_gbps, r.peaks.compute_unit, r.peaks.compute_gflops,
      r.pct_stream, r.pct_compute);
}

}  // namespace finefp8::bench
