// `finefp8 bench-gemm -M 1 -N 4096 -K 4096 [--mode w8a8|w8a16] [--tier ...] [--threads T]
// [--json]`: one shape on one tier beside the bf16 baselines (src/bench/gemm_bench.h).
#include <fmt/format.h>

#include "bench/gemm_bench.h"
#include "cli/commands.h"
#include "util/error.h"

namespace finefp8::cli {

Runner add_bench_gemm(CLI::App& app) {
  struct Flags {
    size_t m = 1, n = 4096, k = 4096;
    std::string mode = "w8a8", tier = "auto";
    int threads = 0;
    double seconds = 0.5;
    bool json = false, no_peaks = false, no_onednn = false, warm = false;
  };
  auto f = std::make_shared<Flags>();
  app.add_option("-M", f->m, "rows of x (tokens)")->capture_default_str();
  app.add_option("-N", f->n, "output features")->capture_default_str();
  app.add_option("-K", f->k, "input features")->capture_default_str();
  app.add_option("--mode", f->mode, "w8a8 or w8a16")->capture_default_str();
  app.add_option("--tier", f->tier, "auto, ref, avx2, avx512, avx512-fma or amx")->capture_default_str();
  app.add_option("--threads", f->threads, "threads (0: all hardware threads)")->capture_default_str();
  app.add_option("--seconds", f->seconds, "timing budget per kernel")->capture_default_str();
  app.add_flag("--json", f->json, "print one JSON object");
  app.add_flag("--no-peaks", f->no_peaks, "skip the bandwidth and compute peak probes");
  app.add_flag("--no-onednn", f->no_onednn, "skip the oneDNN baseline");
  app.add_flag("--warm", f->warm, "reuse one weight copy (cache-warm) instead of rotating >= 256 MiB");
  return [f] {
    bench::GemmBenchConfig cfg;
    cfg.m = f->m;
    cfg.n = f->n;
    cfg.k = f->k;
    if (f->mode == "w8a8") {
      cfg.mode = cpu::Fp8Mode::kW8A8;
    } else if (f->mode == "w8a16") {
      cfg.mode = cpu::Fp8Mode::kW8A16;
    } else {
      fail("--mode '{}' is not w8a8 or w8a16", f->mode);
    }
    cfg.tier = f->tier;
    cfg.threads = f->threads;
    cfg.min_seconds = f->seconds;
    cfg.probe_peaks = !f->no_peaks;
    cfg.onednn = !f->no_onednn;
    if (f->warm) cfg.cold_bytes = 0;
    const bench::GemmBenchResult r = bench::run_gemm_bench(cfg);
    if (f->json) {
      fmt::print("{}\n", bench::to_json(r));
      return 0;
    }
    fmt::print("{} M={} N={} K={} tier={} ({}) threads={}\n", f->mode, r.cfg.m, r.cfg.n, r.cfg.k, r.tier, r.kernel,
               r.threads);
    fmt::print("  fp8:      {:9.1f} us  {:8.1f} GFLOP/s  {:7.2f} GB/s of weights\n", r.seconds * 1e6, r.gflops,
               r.weight_gbps);
    fmt::print("  bf16:     {:8.1f} GFLOP/s ({})  ratio {:.2f}x;  finefp8 bf16 {:.1f} GFLOP/s, ratio {:.2f}x\n",
               r.bf16_gflops, r.baseline, r.ratio_vs_bf16, r.own_bf16_gflops, r.ratio_vs_own_bf16);
    if (cfg.probe_peaks) {
      fmt::print("  peaks:    stream {:.1f} GB/s ({:.0f}% used), {} {:.1f} GFLOP/s ({:.0f}% used)\n",
                 r.peaks.stream_gbps, r.pct_stream, r.peaks.compute_unit, r.peaks.compute_gflops, r.pct_compute);
    }
    return 0;
  };
}

}  // namespace finefp8::cli
