#include "convert/convert_gguf.h"

#include <algorithm>
#include <memory>

#include <nlohmann/json.hpp>

#include "fp8/float16.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_to_hf.h"
#include "gguf/gguf_tokenizer.h"
#include "io/atomic_output.h"
#include "io/safetensors_writer.h"
#include "util/error.h"
#include "util/interrupt.h"
#include "util/progress.h"

namespace finefp8 {
namespace fs = std::filesystem;

namespace {

// GGUF strings need not be valid UTF-8; JSON must be: invalid bytes become U+FFFD.
template <typename Json>
std::string dump(const Json& j) {
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace

GgufConvertReport convert_gguf(const fs::path& gguf, const fs::path& out, const GgufConvertOptions& o,
                               const std::atomic<bool>* interrupt) {
  GgufConvertReport report;
  // With --force, committing OUT replaces it: it must not be, or hold, the source.
  std::error_code ec;
  const fs::path src_abs = fs::weakly_canonical(gguf, ec), out_abs = fs::weakly_canonical(out, ec);
  const auto [o_end, s_it] = std::mismatch(out_abs.begin(), out_abs.end(), src_abs.begin(), src_abs.end());
  if (!out_abs.empty() && o_end == out_abs.end()) {
    fail("{}: the output directory {} is or contains the source file; choose another OUT",
         gguf.string(), out.string());
  }
  const GgufFile f = GgufFile::open(gguf.string());
  // Everything is validated before the first byte is written.
  const HfModelPlan plan = plan_gguf_to_hf(f);
  const HfTokenizerFiles tok = build_hf_tokenizer(f);
  for (const HfTensorPlan& p : plan.tensors) {
    if (p.src->type_info().to_f32 == nullptr) {
      fail("{}: tensor '{}' has type {}, which finefp8 cannot dequantize yet (supported: {})",
           f.path(), p.src->name, p.src->type_info().name, ggml_dequantizable_types());
    }
  }

  std::vector<TensorInfo> infos;
  uint64_t total_in = 0;
  for (const HfTensorPlan& p : plan.tensors) {
    TensorInfo t;
    t.name = p.name;
    t.dtype = DType::kBF16;
    t.shape = p.shape;
    t.end = p.src->elements * 2;
    infos.push_back(t);
    total_in += p.src->bytes;
  }
  AtomicDirectory dir(out, o.quant.overwrite);
  std::unique_ptr<Fp8CheckpointBuilder> fp8;
  std::unique_ptr<ShardedCheckpointWriter> bf16_writer;
  if (o.quantize_fp8) {
    fp8 = std::make_unique<Fp8CheckpointBuilder>(dir.temp_path(), infos, o.quant);
  } else {
    std::vector<TensorDecl> decls;
    for (const TensorInfo& t : infos) decls.push_back({t.name, t.dtype, t.shape});
    bf16_writer = std::make_unique<ShardedCheckpointWriter>(dir.temp_path(), decls, o.quant.shard_bytes);
  }

  Progress progress("convert", plan.tensors.size(), total_in, o.quant.progress);
  std::vector<bf16> b16;  // one tensor
  uint64_t done = 0;
  for (size_t i = 0; i < plan.tensors.size(); ++i) {
    throw_if_interrupted(interrupt);
    const HfTensorPlan& p = plan.tensors[i];
    const uint64_t n = p.src->elements;
    b16.resize(n);
    dequantize_hf_tensor(f, p, std::span<bf16>(b16), o.quant.threads);
    const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(b16.data()), n * 2);
    if (fp8) {
      fp8->add(i, bytes, interrupt);
    } else {
      bf16_writer->write(p.name, bytes);
      report.bytes_out += bytes.size();
    }
    f.release(*p.src);
    done += p.src->bytes;
    progress.update(i + 1, done, p.name);
  }
  nlohmann::json config = plan.config;
  if (fp8) {
    fp8->finish();
    config = fp8->quantized_config(config);
    report.fp8 = fp8->report();
    report.bytes_out = report.fp8->bytes_out;
  } else {
    bf16_writer->finish();
  }
  progress.finish();

  const std::pair<const char*, std::string> files[] = {
      {"config.json", dump(config)},
      {"generation_config.json", dump(plan.generation_config)},
      {"tokenizer.json", dump(tok.tokenizer)},
      {"tokenizer_config.json", dump(tok.tokenizer_config)},
  };
  for (const auto& [name, text] : files) {
    write_file_atomic(dir.temp_path() / name, text);
    report.files.push_back(name);
  }
  throw_if_interrupted(interrupt);
  dir.commit();
  report.tensors = plan.tensors.size();
  report.bytes_in = total_in;
  report.skipped = plan.skipped;
  report.seconds = progress.seconds();
  return report;
}

}  // namespace finefp8
