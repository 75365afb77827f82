#pragma once
// A GGUF model as a Hugging Face checkpoint: tensor names, shapes and the Q/K row order
// (llama.cpp's convert_hf_to_gguf.py permutes them for its rotary embedding), config.json and
// generation_config.json from the metadata. Llama architecture (llama.cpp's "llama": Llama,
// SmolLM, Mistral-style dense models). Pure planning: no tensor data is read.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fp8/float16.h"
#include "gguf/gguf_file.h"

namespace finefp8 {

struct HfTensorPlan {
  const GgufTensorInfo* src = nullptr;
  std::string name;              // e.g. model.layers.0.self_attn.q_proj.weight
  std::vector<uint64_t> shape;   // HF (PyTorch) order
  uint64_t unpermute_heads = 0;  // 0, or the head count whose Q/K row permutation to undo
};

struct HfModelPlan {
  nlohmann::json config;             // config.json (dtype "bfloat16")
  nlohmann::json generation_config;  // generation_config.json
  std::vector<HfTensorPlan> tensors;  // in GGUF file order
  std::vector<std::string> skipped;   // GGUF tensors with no HF counterpart (rope_freqs)
};

// Validates the metadata and every tensor's name, type and shape against it; Error naming
// the file and the key or tensor otherwise (unknown architecture or tensor, missing or
// mistyped key, block index out of range, missing layer tensor, wrong shape).
HfModelPlan plan_gguf_to_hf(const GgufFile& f);

// GGUF row of HF row `row` of a Q or K weight (or bias) with `rows` rows in `n_head` heads.
// llama.cpp stored HF rows (head, half, i) at (head, i, half); this maps back.
uint64_t gguf_row_of_hf_row(uint64_t row, uint64_t rows, uint64_t n_head);

// Dequantizes the tensor of `p` into fp32 in HF layout (rows reordered when
// p.unpermute_heads), `out` holding all its elements. Parallel over rows.
void dequantize_hf_tensor(const GgufFile& f, const HfTensorPlan& p, std::span<float> out, int threads);
// The same rounded to bf16 (nearest even, as torch casts), without an fp32 copy of the whole
// tensor: memory is the output plus ~64k floats per thread.
void dequantize_hf_tensor(const GgufFile& f, const HfTensorPlan& p, std::span<bf16> out, int threads);

}  // namespace finefp8
