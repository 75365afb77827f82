// `finefp8 roundtrip`: quantize a generated weight tensor to block FP8 and back, and report
// what FP8 costs (error statistics) and how fast the reference quantizer runs.
#include <chrono>
#include <cstdint>
#include <random>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/flags.h"
#include "fp8/block_quant.h"
#include "fp8/error_stats.h"
#include "util/error.h"

namespace finefp8::cli {
namespace {

struct RoundtripOptions {
  size_t rows = 2048;
  size_t cols = 2048;
  std::string block = "128x128";
  std::string recipe = "transformers";
  std::string dtype = "bf16";
  uint64_t seed = 0;
  double stddev = 0.02;
  bool json = false;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int run_roundtrip(const RoundtripOptions& o) {
  const BlockShape block = parse_block_shape(o.block);
  const ScaleRecipe recipe =
      o.recipe == "transformers" ? ScaleRecipe::kTransformers : ScaleRecipe::kCompressedTensors;
  if (o.rows == 0 || o.cols == 0) fail("--rows and --cols must be positive");
  if (o.rows * o.cols > (size_t(1) << 31)) fail("--rows x --cols must be at most 2^31 elements");

  // A weight-like tensor: normal(0, stddev) with a few 20-sigma outliers, as real LLM
  // linears have. bf16 input is rounded first, as a bf16 checkpoint would hold it.
  const size_t n = o.rows * o.cols;
  std::vector<float> w(n);
  std::mt19937_64 rng(o.seed);
  std::normal_distribution<float> normal(0.0f, float(o.stddev));
  std::uniform_int_distribution<size_t> pick(0, n - 1);
  for (float& v : w) v = normal(rng);
  for (size_t i = 0; i < n / 4096 + 1; ++i) w[pick(rng)] = float(20 * o.stddev);
  std::vector<bf16> w_bf16;
  WeightView view{w.data(), WeightView::DType::kF32, o.rows, o.cols};
  if (o.dtype == "bf16") {
    w_bf16.resize(n);
    for (size_t i = 0; i < n; ++i) {
      w_bf16[i] = bf16_from_f32(w[i]);
      w[i] = bf16_to_f32(w_bf16[i]);
    }
    view = {w_bf16.data(), WeightView::DType::kBF16, o.rows, o.cols};
  }

  const ScaleGrid grid = scale_grid(o.rows, o.cols, block);
  std::vector<uint8_t> codes(n);
  std::vector<float> scale_inv(grid.size()), back(n);
  auto t0 = std::chrono::steady_clock::now();
  quantize_weight_blocks(view, block, recipe, codes, scale_inv, "generated");
  const double t_quant = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  dequantize_weight_blocks(codes, scale_inv, o.rows, o.cols, block, back);
  const double t_dequant = seconds_since(t0);
  const ErrorStats s = error_stats(w, back);

  const size_t bytes_in = n * (o.dtype == "bf16" ? 2 : 4);
  const size_t bytes_out = n + grid.size() * 4;
  if (o.json) {
    nlohmann::json j = {
        {"rows", o.rows}, {"cols", o.cols}, {"block", {block.rows, block.cols}},
        {"recipe", o.recipe}, {"dtype", o.dtype}, {"bytes_in", bytes_in},
        {"bytes_out", bytes_out}, {"rel_rms_error", s.rel_rms},
        {"max_abs_error", s.max_abs_error}, {"snr_db", s.snr_db},
        {"quantize_seconds", t_quant}, {"dequantize_seconds", t_dequant}};
    fmt::print("{}\n", j.dump(2));
    return 0;
  }
  fmt::print("tensor      {} x {} {} (normal, std {}, seed {}), {} B\n", o.rows, o.cols, o.dtype,
             o.stddev, o.seed, bytes_in);
  fmt::print("fp8         E4M3 + fp32 scale per {}x{} block ({} x {} scales, {} recipe), {} B "
             "({:.3f} bytes/param)\n", block.rows, block.cols, grid.rows, grid.cols, o.recipe,
             bytes_out, double(bytes_out) / double(n));
  fmt::print("error       relative RMS {:.4e}, max |error| {:.4e}, SNR {:.2f} dB\n", s.rel_rms,
             s.max_abs_error, s.snr_db);
  fmt::print("speed       quantize {:.1f} ms ({:.2f} GB/s in), dequantize {:.1f} ms "
             "(scalar reference)\n", t_quant * 1e3, double(bytes_in) / t_quant / 1e9,
             t_dequant * 1e3);
  return 0;
}

}  // namespace

Runner add_roundtrip(CLI::App& app) {
  auto o = std::make_shared<RoundtripOptions>();
  app.add_option("--rows", o->rows, "Rows (output features) of the generated tensor")
      ->capture_default_str();
  app.add_option("--cols", o->cols, "Columns (input features) of the generated tensor")
      ->capture_default_str();
  app.add_option("--block", o->block, "Weight block ROWSxCOLS")->capture_default_str();
  app.add_option("--recipe", o->recipe,
                 "Scale recipe: transformers (scale = 448/amax, stores 1/scale) or "
                 "compressed-tensors (scale = amax/448)")
      ->check(CLI::IsMember({"transformers", "compressed-tensors"}))
      ->capture_default_str();
  app.add_option("--dtype", o->dtype, "Source dtype: bf16 or f32")
      ->check(CLI::IsMember({"bf16", "f32"}))
      ->capture_default_str();
  app.add_option("--seed", o->seed, "Random seed")->capture_default_str();
  app.add_option("--std", o->stddev, "Standard deviation of the generated values")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_flag("--json", o->json, "Print the results as JSON");
  return [o] { return run_roundtrip(*o); };
}

}  // namespace finefp8::cli
