#include "convert/quantize_checkpoint.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <mutex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cpu/quantize_e4m3.h"
#include "fp8/formats.h"
#include "io/atomic_output.h"
#include "io/hf_directory.h"
#include "io/quant_config.h"
#include "io/safetensors_writer.h"
#include "util/error.h"
#include "util/interrupt.h"
#include "util/parallel.h"
#include "util/progress.h"

namespace finefp8 {
namespace fs = std::filesystem;

namespace {

std::string_view last_component(std::string_view module) {
  const size_t dot = module.rfind('.');
  return dot == std::string_view::npos ? module : module.substr(dot + 1);
}

// Sums for the error statistics of one block row, merged under a lock.
struct ErrorSums {
  double sums[3] = {0, 0, 0};  // sum e^2, sum x^2, max |e| (cpu::QuantizeRowKernels)
  size_t count = 0;
};

}  // namespace

TensorPlan plan_tensor(const TensorInfo& t, const QuantizeOptions& o) {
  if (t.dtype != DType::kF32 && t.dtype != DType::kBF16 && t.dtype != DType::kF16) {
    return {false, fmt::format("kept: dtype {}", dtype_name(t.dtype)), false};
  }
  if (!t.name.ends_with(".weight") || t.shape.size() != 2) return {false, "kept: not a 2-D weight", false};
  const std::string_view module = std::string_view(t.name).substr(0, t.name.size() - 7);
  const std::string_view last = last_component(module);
  if (module.find("embed") != std::string_view::npos || last == "wte" || last == "wpe") {
    return {false, "kept: embedding", false};
  }
  if (last.find("norm") != std::string_view::npos) return {false, "kept: norm", false};
  if (last == "lm_head" && !o.quantize_lm_head) return {false, "kept: lm_head", true};
  if (last == "gate") return {false, "kept: MoE router gate", true};
  for (const std::string& p : o.skip) {
    Fp8QuantConfig probe;
    probe.modules_to_not_convert = std::vector<std::string>{p};
    if (module_not_converted(probe, module)) return {false, fmt::format("kept: --skip {}", p), true};
  }
  const uint64_t rows = t.shape[0], cols = t.shape[1], bm = uint64_t(o.block.rows), bn = uint64_t(o.block.cols);
  const bool ragged = rows % bm != 0 || cols % bn != 0;
  if (ragged && o.ragged == QuantizeOptions::Ragged::kSkip) {
    return {false, "kept: ragged shape (--ragged skip)", true};
  }
  if (ragged && o.ragged == QuantizeOptions::Ragged::kAuto) {
    // A reader inferring block = dim / grid maps row r to r / (dim / grid) instead of r / bm:
    // the same blocks only if there is one block along that dim or the division gives bm.
    const uint64_t gr = (rows + bm - 1) / bm, gc = (cols + bn - 1) / bn;
    const bool divisible = rows % gr == 0 && cols % gc == 0;
    const bool misread = divisible && ((gr > 1 && rows / gr != bm) || (gc > 1 && cols / gc != bn));
    if (misread) {
      return {false, "kept: ragged shape a grid-inferring reader would misread (--ragged ceil to quantize)", true};
    }
  }
  return {true, "quantized", false};
}

ErrorStats quantize_weight_fast(const WeightView& w, BlockShape block, std::span<uint8_t> codes,
                                std::span<float> scale_inv, std::string_view name, int threads,
                                const std::atomic<bool>* interrupt) {
  const ScaleGrid grid = scale_grid(w.rows, w.cols, block);
  FINEFP8_ASSERT(codes.size() == w.rows * w.cols && scale_inv.size() == grid.size());
  const cpu::QuantizeRowKernels& k = cpu::quantize_row_kernels();
  std::mutex mu;
  ErrorSums total;
  parallel_for(grid.rows, threads, [&](size_t br_begin, size_t br_end) {
    std::vector<float> stripe(size_t(block.rows) * w.cols);
    std::vector<uint32_t> amax_bits(grid.cols);
    ErrorSums sums;
    for (size_t br = br_begin; br < br_end; ++br) {
      throw_if_interrupted(interrupt);
      const size_t r0 = br * block.rows, r1 = std::min(w.rows, r0 + block.rows);
      std::fill(amax_bits.begin(), amax_bits.end(), 0u);
      for (size_t r = r0; r < r1; ++r) {
        float* row = stripe.data() + (r - r0) * w.cols;
        w.row_to_f32(r, 0, w.cols, row);
        for (size_t bc = 0; bc < grid.cols; ++bc) {
          const size_t c0 = bc * block.cols, c1 = std::min(w.cols, c0 + block.cols);
          amax_bits[bc] = std::max(amax_bits[bc], k.max_abs_bits_row(row + c0, c1 - c0));
        }
      }
      for (size_t bc = 0; bc < grid.cols; ++bc) {
        const size_t c0 = bc * block.cols, c1 = std::min(w.cols, c0 + block.cols);
        if (amax_bits[bc] >= 0x7F800000u) {  // NaN or inf somewhere in this block: find it
          for (size_t r = r0; r < r1; ++r) {
            for (size_t c = c0; c < c1; ++c) {
              const float v = stripe[(r - r0) * w.cols + c];
              if (!std::isfinite(v)) {
                fail("cannot quantize tensor '{}': element [{}, {}] is {}; the checkpoint holds "
                     "non-finite weights", name, r, c, v);
              }
            }
          }
        }
        const BlockScale s = block_scale(std::bit_cast<float>(amax_bits[bc]), ScaleRecipe::kTransformers);
        scale_inv[br * grid.cols + bc] = s.scale_inv;
        for (size_t r = r0; r < r1; ++r) {
          const float* x = stripe.data() + (r - r0) * w.cols + c0;
          uint8_t* q = codes.data() + r * w.cols + c0;
          k.encode_e4m3_row(x, c1 - c0, s.multiplier, s.divide, q);
          k.error_sums_row(q, x, c1 - c0, s.scale_inv, sums.sums);
        }
      }
      sums.count += (r1 - r0) * w.cols;
    }
    std::lock_guard lock(mu);
    total.sums[0] += sums.sums[0];
    total.sums[1] += sums.sums[1];
    total.sums[2] = std::max(total.sums[2], sums.sums[2]);
    total.count += sums.count;
  });
  return error_stats_from_sums(total.count, total.sums[1], total.sums[0], total.sums[2]);
}

namespace {

WeightView::DType weight_dtype(DType d) {
  return d == DType::kBF16 ? WeightView::DType::kBF16
                           : d == DType::kF16 ? WeightView::DType::kF16 : WeightView::DType::kF32;
}

}  // namespace

Fp8CheckpointBuilder::Fp8CheckpointBuilder(const fs::path& dir, std::vector<TensorInfo> tensors,
                                           const QuantizeOptions& o)
    : o_(o), tensors_(std::move(tensors)) {
  // Plan every tensor and declare the output layout (same order as the source).
  std::vector<TensorDecl> decls;
  std::vector<std::string>& not_converted = report_.modules_to_not_convert;
  for (const TensorInfo& t : tensors_) {
    plans_.push_back(plan_tensor(t, o));
    if (plans_.back().quantize) {
      const ScaleGrid g = scale_grid(t.shape[0], t.shape[1], o.block);
      decls.push_back({t.name, DType::kF8_E4M3, t.shape});
      decls.push_back({t.name + "_scale_inv", DType::kF32, {g.rows, g.cols}});
    } else {
      decls.push_back({t.name, t.dtype, t.shape});
      if (plans_.back().list_as_not_converted) not_converted.push_back(t.name.substr(0, t.name.size() - 7));
    }
  }
  // transformers converts every nn.Linear not listed, lm_head included once a list is given
  // (tied embeddings have no lm_head tensor but still an lm_head module).
  if (!o.quantize_lm_head && std::find(not_converted.begin(), not_converted.end(), "lm_head") == not_converted.end()) {
    not_converted.insert(not_converted.begin(), "lm_head");
  }
  writer_ = std::make_unique<ShardedCheckpointWriter>(dir, decls, o.shard_bytes);
  report_.tensors.resize(tensors_.size());
}

Fp8CheckpointBuilder::~Fp8CheckpointBuilder() = default;

const TensorOutcome& Fp8CheckpointBuilder::add(size_t i, std::span<const uint8_t> bytes,
                                               const std::atomic<bool>* interrupt) {
  const TensorInfo& t = tensors_.at(i);
  FINEFP8_ASSERT(bytes.size() == t.bytes());
  TensorOutcome& outcome = report_.tensors[i];
  outcome = {t.name, plans_[i].reason, t.dtype, t.shape, t.bytes(), 0, {}};
  if (plans_[i].quantize) {
    const size_t rows = t.shape[0], cols = t.shape[1];
    codes_.resize(rows * cols);
    scales_.resize(scale_grid(rows, cols, o_.block).size());
    const WeightView w{bytes.data(), weight_dtype(t.dtype), rows, cols};
    outcome.error = quantize_weight_fast(w, o_.block, codes_, scales_, t.name, o_.threads, interrupt);
    writer_->write(t.name, codes_);
    writer_->write(t.name + "_scale_inv",
                   {reinterpret_cast<const uint8_t*>(scales_.data()), scales_.size() * sizeof(float)});
    outcome.bytes_out = codes_.size() + scales_.size() * sizeof(float);
    ++report_.quantized;
  } else {
    writer_->write(t.name, bytes);
    outcome.bytes_out = t.bytes();
    ++report_.kept;
  }
  report_.bytes_in += outcome.bytes_in;
  report_.bytes_out += outcome.bytes_out;
  return outcome;
}

const TensorOutcome& Fp8CheckpointBuilder::copy(size_t i, int fd, uint64_t offset) {
  const TensorInfo& t = tensors_.at(i);
  FINEFP8_ASSERT(!plans_[i].quantize);
  TensorOutcome& outcome = report_.tensors[i];
  outcome = {t.name, plans_[i].reason, t.dtype, t.shape, t.bytes(), t.bytes(), {}};
  writer_->copy_from(t.name, fd, offset);  // never mapped: RSS stays flat
  ++report_.kept;
  report_.bytes_in += outcome.bytes_in;
  report_.bytes_out += outcome.bytes_out;
  return outcome;
}

void Fp8CheckpointBuilder::finish() { writer_->finish(); }

nlohmann::json Fp8CheckpointBuilder::quantized_config(nlohmann::json config) const {
  Fp8QuantConfig qc;
  qc.weight_block_size = o_.block;
  qc.modules_to_not_convert = report_.modules_to_not_convert;
  nlohmann::json qjson = to_transformers_json(qc);
  qjson["fmt"] = "e4m3";  // DeepSeek's key, kept by DeepSeek/Qwen FP8 checkpoints; ignored by transformers
  config["quantization_config"] = qjson;
  return config;
}

QuantizeReport quantize_checkpoint(const fs::path& src, const fs::path& out,
                                   const QuantizeOptions& o, const std::atomic<bool>* interrupt) {
  if (!fs::is_directory(src)) fail("{}: not a model directory", src.string());
  check_distinct_output(src, out);
  const Checkpoint ckpt = Checkpoint::open(src);
  nlohmann::json config = read_config_json(src);
  if (config.contains("quantization_config") && !config.at("quantization_config").is_null()) {
    fail("{}: the checkpoint is already quantized (config.json has a quantization_config); "
         "dequantize it first with `finefp8 dequantize`", src.string());
  }
  std::vector<TensorInfo> infos;
  uint64_t total_in = 0;
  for (const auto& e : ckpt.tensors()) {
    const DType d = e.info->dtype;
    if (d == DType::kF8_E4M3 || d == DType::kF8_E5M2 || d == DType::kF8_E4M3FNUZ || d == DType::kF8_E5M2FNUZ) {
      fail("{}: tensor '{}' is already {}; this checkpoint is already FP8", src.string(), e.info->name,
           dtype_name(d));
    }
    infos.push_back(*e.info);
    total_in += e.info->bytes();
  }

  AtomicDirectory dir(out, o.overwrite);
  Fp8CheckpointBuilder builder(dir.temp_path(), std::move(infos), o);
  Progress progress("quantize", ckpt.tensors().size(), total_in, o.progress);
  uint64_t done = 0;
  for (size_t i = 0; i < ckpt.tensors().size(); ++i) {
    throw_if_interrupted(interrupt);
    const auto& e = ckpt.tensors()[i];
    const TensorInfo& t = *e.info;
    const SafetensorsFile& shard = ckpt.shards()[e.shard];
    if (builder.quantizes(i)) {
      builder.add(i, shard.view(t).data, interrupt);
    } else {
      builder.copy(i, shard.fd(), shard.file_offset(t));
    }
    shard.release(t);
    done += t.bytes();
    progress.update(i + 1, done, t.name);
  }
  builder.finish();
  progress.finish();

  write_file_atomic(dir.temp_path() / "config.json", builder.quantized_config(config).dump(2) + "\n");
  QuantizeReport report = builder.report();
  report.copied_files = copy_side_files(src, dir.temp_path());
  throw_if_interrupted(interrupt);
  dir.commit();
  report.seconds = progress.seconds();
  return report;
}

}  // namespace finefp8
