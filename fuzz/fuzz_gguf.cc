// libFuzzer target: the GGUF reader and everything `finefp8 convert` does before writing
// (dequantizing, planning the Hugging Face layout, building the tokenizer). Any input must
// either pass or throw finefp8::Error; a crash, a sanitizer report or another exception is a
// bug. Seeds: fuzz/corpus/gguf (tools/fixtures/gen_hostile_gguf.py).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "gguf/gguf_file.h"
#include "gguf/gguf_to_hf.h"
#include "gguf/gguf_tokenizer.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace finefp8;
  try {
    const GgufFile f = GgufFile::from_memory({data, size}, "fuzz");
    // Every tensor's bytes lie inside the input.
    for (const GgufTensorInfo& t : f.tensors()) {
      const auto bytes = f.data(t);
      if (bytes.data() < data || bytes.data() + bytes.size() > data + size) __builtin_trap();
    }
    // The first few rows of each dequantizable tensor (bounded work per input).
    std::vector<float> out;
    for (const GgufTensorInfo& t : f.tensors()) {
      if (t.type_info().to_f32 == nullptr) continue;
      const uint64_t rows = std::min<uint64_t>(t.elements / t.ne[0], 4);
      if (rows * t.ne[0] > (1u << 20)) continue;
      out.resize(rows * t.ne[0]);
      f.dequantize_rows(t, 0, rows, out);
    }
    try {
      const HfModelPlan plan = plan_gguf_to_hf(f);
      for (const HfTensorPlan& p : plan.tensors) {
        if (p.src->elements > (1u << 20) || p.src->type_info().to_f32 == nullptr) continue;
        out.resize(p.src->elements);
        dequantize_hf_tensor(f, p, out, 1);
      }
    } catch (const Error&) {
    }
    const HfTokenizerFiles tok = build_hf_tokenizer(f);
    (void)tok.tokenizer.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    (void)tok.tokenizer_config.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  } catch (const Error&) {
  }
  return 0;
}
