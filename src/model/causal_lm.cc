#include "util/json_value.h"
#include "model/causal_lm.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "convert/quantize_checkpoint.h"
#include "io/atomic_output.h"
#include "io/checkpoint.h"
#include "io/fp8_checkpoint.h"
#include "io/hf_directory.h"
#include "io/json_file.h"
#include "model/cpu_backend.h"
#include "model/weight_loader.h"
#include "util/error.h"

namespace finefp8 {
namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxChunk = 256;  // prompt tokens per forward step (bounds the buffers)

const char* const kArchitectures[] = {"LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM",
                                      "Qwen3ForCausalLM"};

struct Layer {
  LinearLayer q, k, v, o, gate, up, down;
  std::vector<float> input_norm, post_norm, q_norm, k_norm;  // q/k_norm: Qwen3 only
};

// Activations of one forward step of up to kMaxChunk tokens, allocated once.
struct Buffers {
  std::vector<float> h, xn, q, k, v, attn, o, gate, up, act, down, logits;
  std::vector<int64_t> positions;
};

std::vector<int32_t> ids_from_json(const nlohmann::json& j) {
  std::vector<int32_t> out;
  if (j.is_number_integer()) out.push_back(j.get<int32_t>());
  if (j.is_array()) {
    for (const auto& e : j) {
      if (e.is_number_integer()) out.push_back(e.get<int32_t>());
    }
  }
  return out;
}

}  // namespace

std::string supported_architectures() {
  std::string s;
  for (const char* a : kArchitectures) s += (s.empty() ? "" : ", ") + std::string(a);
  return s;
}

struct CausalLM::Impl {
  fs::path source;
  ModelConfig cfg;
  OutDType act = OutDType::kF32;
  std::optional<FineGrainedFP8Config> quant;
  bool quantized_on_load = false;
  std::vector<int32_t> eos;
  SamplingConfig sampling;
  size_t window = 0;  // sliding-window attention (Mistral), 0 = full
  size_t context = 0;

  std::unique_ptr<CpuBackend> backend;
  cpu::DenseWeight embed;
  std::vector<Layer> layers;
  std::vector<float> final_norm;
  LinearLayer lm_head;
  std::unique_ptr<Rope> rope;
  ModelMemory memory;

  Buffers buf;
  size_t n_past = 0;

  void allocate(size_t m) {
    const size_t H = size_t(cfg.hidden_size), hd = size_t(cfg.head_dim);
    const size_t nq = size_t(cfg.num_attention_heads) * hd, nkv = size_t(cfg.num_key_value_heads) * hd;
    const size_t I = size_t(cfg.intermediate_size);
    buf.h.resize(m * H);
    buf.xn.resize(m * H);
    buf.q.resize(m * nq);
    buf.k.resize(m * nkv);
    buf.v.resize(m * nkv);
    buf.attn.resize(m * nq);
    buf.o.resize(m * H);
    buf.gate.resize(m * I);
    buf.up.resize(m * I);
    buf.act.resize(m * I);
    buf.down.resize(m * H);
    buf.positions.resize(m);
  }

  // Runs the decoder on ids at positions [n_past, n_past + m); leaves the final hidden
  // states (normed) in buf.xn.
  void step(std::span<const int32_t> ids) {
    const size_t m = ids.size();
    const size_t H = size_t(cfg.hidden_size), hd = size_t(cfg.head_dim);
    const size_t nh = size_t(cfg.num_attention_heads), nkv = size_t(cfg.num_key_value_heads);
    const float eps = float(cfg.rms_norm_eps);
    const float scale = 1.0f / std::sqrt(float(hd));
    Backend& be = *backend;
    for (size_t i = 0; i < m; ++i) buf.positions[i] = int64_t(n_past + i);
    be.embed(embed, ids, buf.h.data());
    for (size_t li = 0; li < layers.size(); ++li) {
      const Layer& L = layers[li];
      be.rms_norm(buf.h.data(), m, H, L.input_norm.data(), eps, act, buf.xn.data());
      be.linear(L.q, buf.xn.data(), m, buf.q.data());
      be.linear(L.k, buf.xn.data(), m, buf.k.data());
      be.linear(L.v, buf.xn.data(), m, buf.v.data());
      if (!L.q_norm.empty()) {
        be.rms_norm(buf.q.data(), m * nh, hd, L.q_norm.data(), eps, act, buf.q.data());
        be.rms_norm(buf.k.data(), m * nkv, hd, L.k_norm.data(), eps, act, buf.k.data());
      }
      be.rope(buf.q.data(), m, nh, buf.positions.data(), *rope);
      be.rope(buf.k.data(), m, nkv, buf.positions.data(), *rope);
      be.attention(li, buf.q.data(), buf.k.data(), buf.v.data(), m, buf.positions.data(), nh,
                   scale, window, act, buf.attn.data());
      be.linear(L.o, buf.attn.data(), m, buf.o.data());
      be.add(buf.h.data(), buf.o.data(), m * H, act);
      be.rms_norm(buf.h.data(), m, H, L.post_norm.data(), eps, act, buf.xn.data());
      be.linear(L.gate, buf.xn.data(), m, buf.gate.data());
      be.linear(L.up, buf.xn.data(), m, buf.up.data());
      be.silu_mul(buf.gate.data(), buf.up.data(), m, size_t(cfg.intermediate_size), act, buf.act.data());
      be.linear(L.down, buf.act.data(), m, buf.down.data());
      be.add(buf.h.data(), buf.down.data(), m * H, act);
    }
    be.rms_norm(buf.h.data(), m, H, final_norm.data(), eps, act, buf.xn.data());
    n_past += m;
  }
};

CausalLM::CausalLM(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CausalLM::CausalLM(CausalLM&&) noexcept = default;
CausalLM& CausalLM::operator=(CausalLM&&) noexcept = default;
CausalLM::~CausalLM() = default;

CausalLM CausalLM::from_pretrained(const fs::path& dir, const LoadOptions& opt) {
  auto p = std::make_unique<Impl>();
  p->source = dir;
  if (!fs::is_directory(dir)) fail("{}: not a model directory", dir.string());
  p->cfg = load_model_config(dir / "config.json");
  const ModelConfig& cfg = p->cfg;
  if (std::find(std::begin(kArchitectures), std::end(kArchitectures), cfg.architecture) ==
      std::end(kArchitectures)) {
    fail("{}: architecture {} is not supported by the runtime yet; supported: {}",
         (dir / "config.json").string(), cfg.architecture, supported_architectures());
  }
  switch (opt.dtype) {
    case LoadOptions::DTypeRequest::kF32: p->act = OutDType::kF32; break;
    case LoadOptions::DTypeRequest::kBF16: p->act = OutDType::kBF16; break;
    case LoadOptions::DTypeRequest::kAuto:
      p->act = cfg.torch_dtype == "bfloat16" ? OutDType::kBF16 : OutDType::kF32;
      break;
  }
  if (const auto* w = cfg.raw.contains("sliding_window") ? &cfg.raw["sliding_window"] : nullptr;
      w && w->is_number_integer() && w->get<int64_t>() > 0) {
    const bool used = cfg.architecture == "MistralForCausalLM" ||
                      json_value_or(cfg.raw, "use_sliding_window", false, "config.json");
    if (used) p->window = size_t(w->get<int64_t>());
  }

  const Checkpoint ckpt = Checkpoint::open(dir);
  std::optional<Fp8QuantConfig> ckpt_quant;
  if (cfg.quantization_config) {
    ckpt_quant = parse_quant_config(*cfg.quantization_config, (dir / "config.json").string());
    validate_fp8_checkpoint(ckpt, *ckpt_quant);
    p->quant = from_checkpoint_config(*ckpt_quant, opt.quantization.value_or(FineGrainedFP8Config{}));
  } else if (opt.quantization) {
    p->quant = opt.quantization;
    p->quantized_on_load = true;
  }

  p->backend = std::make_unique<CpuBackend>(opt.threads);
  p->rope = std::make_unique<Rope>(cfg, p->act);
  WeightLoader load(ckpt, p->quant, ckpt_quant, p->act, p->backend->threads());
  const size_t H = size_t(cfg.hidden_size), hd = size_t(cfg.head_dim), V = size_t(cfg.vocab_size);
  const size_t nq = size_t(cfg.num_attention_heads) * hd, nkv = size_t(cfg.num_key_value_heads) * hd;
  const size_t I = size_t(cfg.intermediate_size);
  p->embed = load.dense("model.embed_tokens.weight", V, H);
  for (int64_t l = 0; l < cfg.num_hidden_layers; ++l) {
    const std::string pre = fmt::format("model.layers.{}.", l);
    Layer L;
    L.q = load.linear(pre + "self_attn.q_proj", nq, H);
    L.k = load.linear(pre + "self_attn.k_proj", nkv, H);
    L.v = load.linear(pre + "self_attn.v_proj", nkv, H);
    L.o = load.linear(pre + "self_attn.o_proj", H, nq);
    L.gate = load.linear(pre + "mlp.gate_proj", I, H);
    L.up = load.linear(pre + "mlp.up_proj", I, H);
    L.down = load.linear(pre + "mlp.down_proj", H, I);
    L.input_norm = load.vector(pre + "input_layernorm.weight", H);
    L.post_norm = load.vector(pre + "post_attention_layernorm.weight", H);
    if (cfg.architecture == "Qwen3ForCausalLM") {
      L.q_norm = load.vector(pre + "self_attn.q_norm.weight", hd);
      L.k_norm = load.vector(pre + "self_attn.k_norm.weight", hd);
    }
    p->layers.push_back(std::move(L));
  }
  p->final_norm = load.vector("model.norm.weight", H);
  if (load.has("lm_head.weight")) {
    p->lm_head = load.linear("lm_head", V, H);
  } else if (cfg.tie_word_embeddings) {
    p->lm_head = LinearLayer::dense(p->embed, {}, p->act);
  } else {
    fail("{}: lm_head.weight is missing and tie_word_embeddings is false", dir.string());
  }

  // Memory and parameter counts.
  ModelMemory& mem = p->memory;
  auto count = [&](const LinearLayer& l) {
    mem.parameters += l.n() * l.k();
    if (l.is_fp8()) mem.fp8_parameters += l.n() * l.k();
    mem.weight_bytes += l.bytes();
  };
  mem.parameters += V * H;
  mem.weight_bytes += p->embed.bytes() + p->final_norm.size() * sizeof(float);
  for (const Layer& L : p->layers) {
    for (const LinearLayer* l : {&L.q, &L.k, &L.v, &L.o, &L.gate, &L.up, &L.down}) count(*l);
    mem.weight_bytes += (L.input_norm.size() + L.post_norm.size() + L.q_norm.size() + L.k_norm.size()) * sizeof(float);
  }
  if (load.has("lm_head.weight")) count(p->lm_head);

  // EOS and sampling defaults: generation_config.json first, then config.json.
  const fs::path gen = dir / "generation_config.json";
  nlohmann::json g = fs::exists(gen) ? read_json_file(gen) : nlohmann::json::object();
  if (!g.is_object()) fail("{}: not a JSON object", gen.string());
  p->eos = g.contains("eos_token_id") ? ids_from_json(g["eos_token_id"]) : std::vector<int32_t>{};
  if (p->eos.empty()) {
    for (int64_t e : cfg.eos_token_ids) p->eos.push_back(int32_t(e));
  }
  if (json_value_or(g, "do_sample", false, "generation_config.json")) {
    auto num = [&](const char* key, float fallback) {
      return g.contains(key) && g[key].is_number() ? g[key].get<float>() : fallback;
    };
    p->sampling.temperature = num("temperature", 1.0f);
    p->sampling.top_k = int(num("top_k", 50.0f));
    p->sampling.top_p = num("top_p", 1.0f);
    p->sampling.min_p = num("min_p", 0.0f);
  }
  if (g.contains("repetition_penalty") && g["repetition_penalty"].is_number()) {
    p->sampling.repetition_penalty = g["repetition_penalty"].get<float>();
  }

  p->context = opt.context > 0 ? opt.context
                               : size_t(std::min<int64_t>(cfg.max_position_embeddings > 0 ? cfg.max_position_embeddings : 4096, 4096));
  p->backend->kv_reset({p->layers.size(), p->context, size_t(cfg.num_key_value_heads), hd});
  mem.kv_cache_bytes = p->backend->kv_bytes();
  p->allocate(1);
  return CausalLM(std::move(p));
}

const ModelConfig& CausalLM::config() const { return impl_->cfg; }
OutDType CausalLM::act_dtype() const { return impl_->act; }
const std::optional<FineGrainedFP8Config>& CausalLM::quantization() const { return impl_->quant; }
const std::vector<int32_t>& CausalLM::eos_ids() const { return impl_->eos; }
const SamplingConfig& CausalLM::default_sampling() const { return impl_->sampling; }
ModelMemory CausalLM::memory() const { return impl_->memory; }
size_t CausalLM::context() const { return impl_->context; }
Backend& CausalLM::backend() { return *impl_->backend; }
void CausalLM::reset() { impl_->n_past = 0; }
size_t CausalLM::n_past() const { return impl_->n_past; }

std::span<const float> CausalLM::forward(std::span<const int32_t> ids, bool all_logits) {
  Impl& p = *impl_;
  if (ids.empty()) fail("forward: no tokens");
  if (p.n_past + ids.size() > p.context) {
    fail("{} tokens do not fit: {} already in the context of {} (raise the context size)",
         ids.size(), p.n_past, p.context);
  }
  const size_t V = size_t(p.cfg.vocab_size), H = size_t(p.cfg.hidden_size);
  p.buf.logits.resize((all_logits ? ids.size() : 1) * V);
  for (size_t start = 0; start < ids.size(); start += kMaxChunk) {
    const size_t m = std::min(kMaxChunk, ids.size() - start);
    if (p.buf.h.size() < m * H) p.allocate(m);
    p.step(ids.subspan(start, m));
    if (all_logits) {
      p.backend->linear(p.lm_head, p.buf.xn.data(), m, p.buf.logits.data() + start * V);
    } else if (start + m == ids.size()) {
      p.backend->linear(p.lm_head, p.buf.xn.data() + (m - 1) * H, 1, p.buf.logits.data());
    }
  }
  return p.buf.logits;
}

std::vector<int32_t> CausalLM::generate(std::span<const int32_t> prompt, const GenerationConfig& cfg,
                                        const TokenCallback& on_token, GenerationStats* stats) {
  using clock = std::chrono::steady_clock;
  if (prompt.empty()) fail("generate: the prompt has no tokens");
  Impl& p = *impl_;
  reset();
  const std::vector<int32_t>& eos = cfg.eos_ids.empty() ? p.eos : cfg.eos_ids;
  Sampler sampler(cfg.sampling);
  std::vector<int32_t> history(prompt.begin(), prompt.end());
  std::vector<int32_t> out;
  std::vector<float> logits;
  GenerationStats st;
  st.prompt_tokens = prompt.size();
  st.stop_reason = "length";
  auto t0 = clock::now();
  std::span<const float> l = forward(prompt);
  st.prompt_seconds = std::chrono::duration<double>(clock::now() - t0).count();
  t0 = clock::now();
  while (out.size() < cfg.max_new_tokens) {
    logits.assign(l.begin(), l.end());
    const int32_t next = sampler.sample(logits, history);
    out.push_back(next);
    history.push_back(next);
    const bool is_eos = !cfg.ignore_eos && std::find(eos.begin(), eos.end(), next) != eos.end();
    if (on_token && !on_token(next)) {
      st.stop_reason = "callback";
      break;
    }
    if (is_eos) {
      st.stop_reason = "eos";
      break;
    }
    if (out.size() >= cfg.max_new_tokens) break;
    if (p.n_past + 1 > p.context) {
      st.stop_reason = "context";
      break;
    }
    l = forward(std::span<const int32_t>(&out.back(), 1));
  }
  st.generated_tokens = out.size();
  st.generation_seconds = std::chrono::duration<double>(clock::now() - t0).count();
  if (stats) *stats = st;
  return out;
}

void CausalLM::save_pretrained(const fs::path& out, bool overwrite) const {
  const Impl& p = *impl_;
  check_distinct_output(p.source, out);
  if (p.quantized_on_load) {
    QuantizeOptions o = to_quantize_options(*p.quant);
    o.overwrite = overwrite;
    o.threads = p.backend->threads();
    quantize_checkpoint(p.source, out, o);
    return;
  }
  // Already in its saved form (FP8 or unquantized): copy every regular file.
  AtomicDirectory dir(out, overwrite);
  for (const auto& e : fs::directory_iterator(p.source)) {
    if (!e.is_regular_file()) continue;
    fs::copy_file(e.path(), dir.temp_path() / e.path().filename());
  }
  dir.commit();
}

}  // namespace finefp8
