#include "convert/dequantize_checkpoint.h"

#include <cstring>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "fp8/float16.h"
#include "fp8/formats.h"
#include "io/atomic_output.h"
#include "io/hf_directory.h"
#include "io/checkpoint.h"
#include "io/fp8_checkpoint.h"
#include "io/quant_config.h"
#include "io/safetensors_writer.h"
#include "util/error.h"
#include "util/interrupt.h"
#include "util/parallel.h"
#include "util/progress.h"

namespace finefp8 {
namespace fs = std::filesystem;

namespace {

// Stores fp32 `v` as element i of `out` in `dtype`.
void store(DType dtype, uint8_t* out, size_t i, float v) {
  if (dtype == DType::kF32) {
    std::memcpy(out + 4 * i, &v, 4);
  } else {
    const uint16_t b = dtype == DType::kBF16 ? bf16_from_f32(v).bits : fp16_from_f32(v).bits;
    std::memcpy(out + 2 * i, &b, 2);
  }
}

}  // namespace

DequantizeReport dequantize_checkpoint(const fs::path& src, const fs::path& out,
                                       const DequantizeOptions& o,
                                       const std::atomic<bool>* interrupt) {
  if (o.dtype != DType::kBF16 && o.dtype != DType::kF16 && o.dtype != DType::kF32) {
    fail("dequantize: output dtype must be bf16, fp16 or fp32");
  }
  if (!fs::is_directory(src)) fail("{}: not a model directory", src.string());
  check_distinct_output(src, out);
  const Checkpoint ckpt = Checkpoint::open(src);
  nlohmann::json config = read_config_json(src);
  Fp8QuantConfig qc;  // defaults: 128x128, weight_scale_inv
  if (config.contains("quantization_config") && !config.at("quantization_config").is_null()) {
    qc = parse_quant_config(config.at("quantization_config"), (src / "config.json").string());
  }
  const std::vector<Fp8LinearTensors> linears = validate_fp8_checkpoint(ckpt, qc);
  if (linears.empty()) fail("{}: no FP8 weights to dequantize", src.string());
  std::map<std::string, const TensorInfo*> scale_of;
  std::set<std::string> scale_names;
  for (const auto& l : linears) {
    scale_of[l.weight->name] = l.scale;
    scale_names.insert(l.scale->name);
  }

  DequantizeReport report;
  report.block = qc.weight_block_size ? fmt::format("{}x{}", qc.weight_block_size->rows, qc.weight_block_size->cols)
                                      : std::string("per-tensor");
  std::vector<TensorDecl> decls;
  uint64_t total_in = 0;
  for (const auto& e : ckpt.tensors()) {
    const TensorInfo& t = *e.info;
    total_in += t.bytes();
    if (scale_names.count(t.name) != 0) continue;
    decls.push_back({t.name, scale_of.count(t.name) ? o.dtype : t.dtype, t.shape});
  }

  AtomicDirectory dir(out, o.overwrite);
  ShardedCheckpointWriter writer(dir.temp_path(), decls, o.shard_bytes);
  Progress progress("dequantize", ckpt.tensors().size(), total_in, o.progress);
  float lut[256];
  for (int c = 0; c < 256; ++c) lut[c] = e4m3_to_f32(uint8_t(c));
  std::vector<uint8_t> buf;
  uint64_t done = 0;
  for (size_t i = 0; i < ckpt.tensors().size(); ++i) {
    throw_if_interrupted(interrupt);
    const auto& e = ckpt.tensors()[i];
    const TensorInfo& t = *e.info;
    const SafetensorsFile& shard = ckpt.shards()[e.shard];
    report.bytes_in += t.bytes();
    done += t.bytes();
    if (scale_names.count(t.name) != 0) {
      ++report.scales_dropped;
    } else if (const auto it = scale_of.find(t.name); it != scale_of.end()) {
      const TensorView w = shard.view(t);
      const TensorView s = ckpt.tensor(it->second->name);
      const size_t rows = t.shape[t.shape.size() - 2], cols = t.shape.back();
      const size_t matrices = t.elements() / (rows * cols);
      const size_t bm = qc.weight_block_size ? size_t(qc.weight_block_size->rows) : rows;
      const size_t bn = qc.weight_block_size ? size_t(qc.weight_block_size->cols) : cols;
      const size_t grows = (rows + bm - 1) / bm, gcols = (cols + bn - 1) / bn;
      buf.resize(t.elements() * dtype_size(o.dtype));
      parallel_for(matrices * rows, o.threads, [&](size_t begin, size_t end) {
        for (size_t row = begin; row < end; ++row) {
          const size_t m = row / rows, r = row % rows;
          const size_t sbase = m * grows * gcols + (r / bm) * gcols;
          for (size_t c = 0; c < cols; ++c) {
            const size_t idx = row * cols + c;
            store(o.dtype, buf.data(), idx, lut[w.data[idx]] * s.f32(sbase + c / bn));
          }
        }
      });
      writer.write(t.name, buf);
      report.bytes_out += buf.size();
      ++report.dequantized;
    } else {
      writer.copy_from(t.name, shard.fd(), shard.file_offset(t));
      report.bytes_out += t.bytes();
      ++report.kept;
    }
    shard.release(t);
    progress.update(i + 1, done, t.name);
  }
  writer.finish();
  progress.finish();
  config.erase("quantization_config");
  write_file_atomic(dir.temp_path() / "config.json", config.dump(2) + "\n");
  report.copied_files = copy_side_files(src, dir.temp_path());
  throw_if_interrupted(interrupt);
  dir.commit();
  report.seconds = progress.seconds();
  return report;
}

}  // namespace finefp8
