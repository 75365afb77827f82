#include "gguf/gguf_to_hf.h"

#include <charconv>
#include <map>
#include <set>
#include <vector>

#include <fmt/ranges.h>

#include <fmt/format.h>

#include "util/error.h"
#include "util/parallel.h"

namespace finefp8 {
namespace {

using json = nlohmann::json;

// GGUF tensor name inside a block -> HF name inside model.layers.N.
const std::map<std::string, std::string, std::less<>>& layer_names() {
  static const std::map<std::string, std::string, std::less<>> m = {
      {"attn_norm", "input_layernorm"},        {"ffn_norm", "post_attention_layernorm"},
      {"attn_q", "self_attn.q_proj"},          {"attn_k", "self_attn.k_proj"},
      {"attn_v", "self_attn.v_proj"},          {"attn_output", "self_attn.o_proj"},
      {"ffn_gate", "mlp.gate_proj"},           {"ffn_up", "mlp.up_proj"},
      {"ffn_down", "mlp.down_proj"},
  };
  return m;
}

struct Dims {
  uint64_t layers, hidden, ffn, heads, kv_heads, head_dim, vocab;
};

std::string shape_str(const std::vector<uint64_t>& s) { return fmt::format("[{}]", fmt::join(s, ", ")); }

// Expected HF shape of a weight or bias; the GGUF name's suffix chooses.
std::vector<uint64_t> expected_shape(std::string_view base, bool bias, const Dims& d) {
  const uint64_t q = d.heads * d.head_dim, kv = d.kv_heads * d.head_dim;
  std::vector<uint64_t> w;
  if (base == "attn_norm" || base == "ffn_norm") return {d.hidden};
  if (base == "attn_q") w = {q, d.hidden};
  else if (base == "attn_k" || base == "attn_v") w = {kv, d.hidden};
  else if (base == "attn_output") w = {d.hidden, q};
  else if (base == "ffn_gate" || base == "ffn_up") w = {d.ffn, d.hidden};
  else if (base == "ffn_down") w = {d.hidden, d.ffn};
  if (bias) return {w[0]};
  return w;
}

}  // namespace

uint64_t gguf_row_of_hf_row(uint64_t row, uint64_t rows, uint64_t n_head) {
  const uint64_t per_head = rows / n_head, half = per_head / 2;
  const uint64_t head = row / per_head, within = row % per_head;
  const uint64_t t = within / half, i = within % half;  // HF: (head, t, i)
  return head * per_head + i * 2 + t;                    // GGUF: (head, i, t)
}

HfModelPlan plan_gguf_to_hf(const GgufFile& f) {
  const std::string& src = f.path();
  const std::string arch = f.get_string("general.architecture");
  if (arch != "llama") {
    fail("{}: architecture '{}' is not supported by `finefp8 convert` yet (supported: llama)", src, arch);
  }
  const uint64_t kMaxDim = 1ull << 24, kMaxLayers = 4096;
  Dims d{};
  d.layers = f.get_uint("llama.block_count", kMaxLayers);
  d.hidden = f.get_uint("llama.embedding_length", kMaxDim);
  d.ffn = f.get_uint("llama.feed_forward_length", kMaxDim);
  d.heads = f.get_uint("llama.attention.head_count", kMaxDim);
  d.kv_heads = f.uint_or("llama.attention.head_count_kv", kMaxDim).value_or(d.heads);
  if (d.layers == 0 || d.hidden == 0 || d.ffn == 0 || d.heads == 0 || d.kv_heads == 0) {
    fail("{}: block_count, embedding_length, feed_forward_length and head counts must be positive", src);
  }
  if (d.heads % d.kv_heads != 0) {
    fail("{}: head_count {} is not a multiple of head_count_kv {}", src, d.heads, d.kv_heads);
  }
  const auto rope_dim = f.uint_or("llama.rope.dimension_count", kMaxDim);
  const auto key_len = f.uint_or("llama.attention.key_length", kMaxDim);
  d.head_dim = key_len ? *key_len : rope_dim ? *rope_dim : d.hidden / d.heads;
  if (d.head_dim == 0 || d.head_dim % 2 != 0) {
    fail("{}: head dimension {} must be positive and even (rotary embedding)", src, d.head_dim);
  }
  const GgufTensorInfo* embd = f.find_tensor("token_embd.weight");
  if (embd == nullptr) fail("{}: no tensor 'token_embd.weight'", src);
  if (embd->ne.size() != 2) fail("{}: tensor 'token_embd.weight' must be 2-D", src);
  d.vocab = f.uint_or("llama.vocab_size", uint64_t(INT32_MAX)).value_or(embd->ne[1]);

  HfModelPlan plan;
  std::set<std::string> seen;
  bool has_output = false, attn_bias = false, mlp_bias = false;
  for (const GgufTensorInfo& t : f.tensors()) {
    HfTensorPlan p;
    p.src = &t;
    p.shape = t.hf_shape();
    std::vector<uint64_t> want;
    if (t.name == "token_embd.weight") {
      p.name = "model.embed_tokens.weight";
      want = {d.vocab, d.hidden};
    } else if (t.name == "output_norm.weight") {
      p.name = "model.norm.weight";
      want = {d.hidden};
    } else if (t.name == "output.weight") {
      p.name = "lm_head.weight";
      want = {d.vocab, d.hidden};
      has_output = true;
    } else if (t.name == "rope_freqs.weight") {
      plan.skipped.push_back(t.name);  // llama 3 rope scaling; transformers recomputes it
      continue;
    } else if (t.name.starts_with("blk.")) {
      const std::string_view rest = std::string_view(t.name).substr(4);
      const size_t dot = rest.find('.');
      uint64_t layer = 0;
      const auto [end, ec] = std::from_chars(rest.data(), rest.data() + (dot == std::string_view::npos ? rest.size() : dot), layer);
      if (dot == std::string_view::npos || ec != std::errc() || end != rest.data() + dot || dot == 0 ||
          (dot > 1 && rest[0] == '0')) {
        fail("{}: tensor '{}' has no Hugging Face llama equivalent", src, t.name);
      }
      if (layer >= d.layers) {
        fail("{}: tensor '{}' is in block {}, but llama.block_count is {}", src, t.name, layer, d.layers);
      }
      const std::string_view leaf = rest.substr(dot + 1);
      const bool bias = leaf.ends_with(".bias");
      if (!bias && !leaf.ends_with(".weight")) fail("{}: tensor '{}' has no Hugging Face llama equivalent", src, t.name);
      const std::string_view base = leaf.substr(0, leaf.rfind('.'));
      const auto it = layer_names().find(base);
      if (it == layer_names().end() || (bias && base.ends_with("norm"))) {
        fail("{}: tensor '{}' has no Hugging Face llama equivalent", src, t.name);
      }
      p.name = fmt::format("model.layers.{}.{}.{}", layer, it->second, bias ? "bias" : "weight");
      want = expected_shape(base, bias, d);
      if (base == "attn_q") p.unpermute_heads = d.heads;
      if (base == "attn_k") p.unpermute_heads = d.kv_heads;
      if (bias && base.starts_with("attn")) attn_bias = true;
      if (bias && base.starts_with("ffn")) mlp_bias = true;
    } else {
      fail("{}: tensor '{}' has no Hugging Face llama equivalent", src, t.name);
    }
    if (p.shape != want) {
      fail("{}: tensor '{}' has shape {} (HF order), expected {} from the metadata", src, t.name,
           shape_str(p.shape), shape_str(want));
    }
    seen.insert(p.name);
    plan.tensors.push_back(std::move(p));
  }
  // Every layer must be complete: a missing weight would load as random values.
  for (uint64_t l = 0; l < d.layers; ++l) {
    for (const auto& [gguf, hf] : layer_names()) {
      if (seen.count(fmt::format("model.layers.{}.{}.weight", l, hf)) == 0) {
        fail("{}: tensor 'blk.{}.{}.weight' is missing", src, l, gguf);
      }
    }
  }
  if (seen.count("model.norm.weight") == 0) fail("{}: tensor 'output_norm.weight' is missing", src);

  json c;
  c["architectures"] = {"LlamaForCausalLM"};
  c["model_type"] = "llama";
  c["vocab_size"] = d.vocab;
  c["hidden_size"] = d.hidden;
  c["intermediate_size"] = d.ffn;
  c["num_hidden_layers"] = d.layers;
  c["num_attention_heads"] = d.heads;
  c["num_key_value_heads"] = d.kv_heads;
  c["head_dim"] = d.head_dim;
  c["hidden_act"] = "silu";
  c["max_position_embeddings"] = f.uint_or("llama.context_length", uint64_t(INT32_MAX)).value_or(2048);
  c["initializer_range"] = 0.02;
  c["rms_norm_eps"] = f.float_or("llama.attention.layer_norm_rms_epsilon").value_or(1e-6);
  const double theta = f.float_or("llama.rope.freq_base").value_or(10000.0);
  c["rope_theta"] = theta;  // transformers 4.x; 5.x reads rope_parameters
  c["rope_parameters"] = {{"rope_theta", theta}, {"rope_type", "default"}};
  c["attention_bias"] = attn_bias;
  c["attention_dropout"] = 0.0;
  c["mlp_bias"] = mlp_bias;
  c["pretraining_tp"] = 1;
  c["use_cache"] = true;
  c["tie_word_embeddings"] = !has_output;
  c["dtype"] = "bfloat16";
  json g;
  for (const auto& [key, name] : {std::pair{"tokenizer.ggml.bos_token_id", "bos_token_id"},
                                  std::pair{"tokenizer.ggml.eos_token_id", "eos_token_id"},
                                  std::pair{"tokenizer.ggml.padding_token_id", "pad_token_id"}}) {
    if (const auto id = f.uint_or(key, d.vocab - 1)) {
      c[name] = *id;
      g[name] = *id;
    }
  }
  plan.config = c;
  g["_from_model_config"] = true;
  plan.generation_config = g;
  return plan;
}

namespace {

// Calls sink(first_element, values) for consecutive pieces of the tensor in HF layout, from
// `threads` threads (pieces disjoint). Memory: one piece of fp32 per thread.
template <typename Sink>
void for_each_hf_piece(const GgufFile& f, const HfTensorPlan& p, int threads, Sink sink) {
  const GgufTensorInfo& t = *p.src;
  const uint64_t cols = t.ne[0], rows = t.elements / cols;
  const uint64_t n_head = p.unpermute_heads;
  if (n_head != 0 && t.ne.size() == 1) {  // a Q/K bias: its elements are the rows
    std::vector<float> tmp(cols), out(cols);
    f.dequantize_rows(t, 0, 1, tmp);
    for (uint64_t r = 0; r < cols; ++r) out[r] = tmp[gguf_row_of_hf_row(r, cols, n_head)];
    sink(0, std::span<const float>(out));
    return;
  }
  if (n_head != 0 && (rows % n_head != 0 || (rows / n_head) % 2 != 0)) {
    fail("{}: tensor '{}': {} rows do not split into {} heads of an even size", f.path(), t.name, rows, n_head);
  }
  // Pieces of whole rows, ~64k elements: small tensors still spread over the threads.
  const uint64_t chunk = std::max<uint64_t>(1, 65536 / cols);
  parallel_for((rows + chunk - 1) / chunk, threads, [&](size_t b, size_t e) {
    std::vector<float> buf(chunk * cols);
    for (size_t k = b; k < e; ++k) {
      const uint64_t r0 = k * chunk, r1 = std::min(rows, r0 + chunk);
      const std::span<float> piece(buf.data(), (r1 - r0) * cols);
      if (n_head == 0) {
        f.dequantize_rows(t, r0, r1, piece);
      } else {
        for (uint64_t r = r0; r < r1; ++r) {
          const uint64_t g = gguf_row_of_hf_row(r, rows, n_head);
          f.dequantize_rows(t, g, g + 1, piece.subspan((r - r0) * cols, cols));
        }
      }
      sink(r0 * cols, std::span<const float>(piece));
    }
  });
}

}  // namespace

void dequantize_hf_tensor(const GgufFile& f, const HfTensorPlan& p, std::span<float> out, int threads) {
  FINEFP8_ASSERT(out.size() == p.src->elements);
  for_each_hf_piece(f, p, threads, [&](uint64_t first, std::span<const float> v) {
    std::copy(v.begin(), v.end(), out.begin() + std::ptrdiff_t(first));
  });
}

void dequantize_hf_tensor(const GgufFile& f, const HfTensorPlan& p, std::span<bf16> out, int threads) {
  FINEFP8_ASSERT(out.size() == p.src->elements);
  for_each_hf_piece(f, p, threads, [&](uint64_t first, std::span<const float> v) {
    for (size_t i = 0; i < v.size(); ++i) out[first + i] = bf16_from_f32(v[i]);
  });
}

}  // namespace finefp8
