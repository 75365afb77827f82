// `finefp8 convert` as a library on the tiny models of the GGUF corpus: tensors land under
// their Hugging Face names and shapes with Q/K rows back in HF order, bf16 is the exact
// dequantization rounded to nearest even, the FP8 output equals convert + quantize byte for
// byte, the tokenizer files follow transformers' GGUF builders, and failures leave nothing.
#include "convert/convert_gguf.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <tuple>

#include <nlohmann/json.hpp>

#include "fixtures.h"
#include "fp8/float16.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_to_hf.h"
#include "gguf/gguf_tokenizer.h"
#include "io/checkpoint.h"
#include "util/error.h"

namespace finefp8 {
namespace {
namespace fs = std::filesystem;

const std::string kDir = std::string(FINEFP8_FIXTURES_DIR) + "/gguf_hostile/";

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("finefp8-gguf-" + std::to_string(::getpid()) + "-" +
                                               std::to_string(counter++));
  ~TempDir() { fs::remove_all(path); }
  static inline int counter = 0;
};

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

GgufConvertOptions quiet(bool fp8 = false) {
  GgufConvertOptions o;
  o.quantize_fp8 = fp8;
  o.quant.progress = false;
  o.quant.block = {16, 16};
  return o;
}

TEST(GgufConvert, UnpermuteInvertsLlamaCppPermute) {
  // llama.cpp: w.reshape(n_head, 2, rows/n_head/2, cols).swapaxes(1, 2): GGUF row
  // (h, i, t) holds HF row (h, t, i).
  for (auto [rows, heads] : {std::pair<uint64_t, uint64_t>{64, 2}, {576, 9}, {192, 3}, {8, 4}}) {
    const uint64_t per = rows / heads, half = per / 2;
    std::vector<uint64_t> gguf_row_of(rows);
    for (uint64_t h = 0; h < heads; ++h)
      for (uint64_t i = 0; i < half; ++i)
        for (uint64_t t = 0; t < 2; ++t) gguf_row_of[h * per + t * half + i] = h * per + i * 2 + t;
    for (uint64_t r = 0; r < rows; ++r) EXPECT_EQ(gguf_row_of_hf_row(r, rows, heads), gguf_row_of[r]) << rows << " " << r;
  }
}

TEST(GgufConvert, Bf16IsTheDequantizedGgufInHfLayout) {
  TempDir out;
  const GgufConvertReport r = convert_gguf(kDir + "valid_model.gguf", out.path, quiet());
  EXPECT_EQ(r.tensors, 11u);
  const GgufFile f = GgufFile::open(kDir + "valid_model.gguf");
  const Checkpoint ckpt = Checkpoint::open(out.path);
  EXPECT_EQ(ckpt.tensors().size(), 11u);
  const std::map<std::string, std::pair<std::string, uint64_t>> names = {
      {"token_embd.weight", {"model.embed_tokens.weight", 0}},
      {"blk.0.attn_q.weight", {"model.layers.0.self_attn.q_proj.weight", 2}},
      {"blk.0.attn_k.weight", {"model.layers.0.self_attn.k_proj.weight", 1}},
      {"blk.0.ffn_down.weight", {"model.layers.0.mlp.down_proj.weight", 0}},
      {"output_norm.weight", {"model.norm.weight", 0}},
  };
  for (const auto& [gguf_name, hf] : names) {
    const GgufTensorInfo& t = *f.find_tensor(gguf_name);
    const TensorView v = ckpt.tensor(hf.first);
    ASSERT_EQ(v.info->shape, t.hf_shape()) << hf.first;
    ASSERT_EQ(v.info->dtype, DType::kBF16);
    const uint64_t cols = t.ne[0], rows = t.elements / cols;
    std::vector<float> src(t.elements);
    f.dequantize_rows(t, 0, rows, src);
    for (uint64_t r = 0; r < rows; ++r) {
      const uint64_t g = hf.second ? gguf_row_of_hf_row(r, rows, hf.second) : r;
      for (uint64_t c = 0; c < cols; ++c) {
        ASSERT_EQ(v.f32(r * cols + c), bf16_to_f32(bf16_from_f32(src[g * cols + c]))) << hf.first << " " << r << "," << c;
      }
    }
  }
  const nlohmann::json config = nlohmann::json::parse(read_text(out.path / "config.json"));
  EXPECT_EQ(config.at("num_attention_heads"), 2);
  EXPECT_EQ(config.at("num_key_value_heads"), 1);
  EXPECT_EQ(config.at("head_dim"), 16);
  EXPECT_EQ(config.at("tie_word_embeddings"), true);
  EXPECT_EQ(config.at("bos_token_id"), 6);
  EXPECT_EQ(config.at("dtype"), "bfloat16");
  const nlohmann::json gen = nlohmann::json::parse(read_text(out.path / "generation_config.json"));
  EXPECT_EQ(gen.at("eos_token_id"), 7);
}

TEST(GgufConvert, QAndKBiasesAreUnpermutedLikeTheirRows) {
  TempDir out;
  convert_gguf(kDir + "valid_model_bias.gguf", out.path, quiet());
  const GgufFile f = GgufFile::open(kDir + "valid_model_bias.gguf");
  const Checkpoint ckpt = Checkpoint::open(out.path);
  for (const auto& [gguf_name, hf_name, heads] : {std::tuple{"blk.0.attn_q.bias", "model.layers.0.self_attn.q_proj.bias", 2},
                                                  std::tuple{"blk.0.attn_k.bias", "model.layers.0.self_attn.k_proj.bias", 1},
                                                  std::tuple{"blk.0.attn_v.bias", "model.layers.0.self_attn.v_proj.bias", 0}}) {
    const GgufTensorInfo& t = *f.find_tensor(gguf_name);
    std::vector<float> src(t.elements);
    f.dequantize_rows(t, 0, 1, src);
    const TensorView v = ckpt.tensor(hf_name);
    ASSERT_EQ(v.info->shape, t.hf_shape());
    for (uint64_t r = 0; r < t.elements; ++r) {
      const uint64_t g = heads ? gguf_row_of_hf_row(r, t.elements, uint64_t(heads)) : r;
      EXPECT_EQ(v.f32(r), bf16_to_f32(bf16_from_f32(src[g]))) << hf_name << " " << r;
    }
  }
  const nlohmann::json config = nlohmann::json::parse(read_text(out.path / "config.json"));
  EXPECT_EQ(config.at("attention_bias"), true);
}

TEST(GgufConvert, Fp8OutputEqualsConvertThenQuantizeByteForByte) {
  TempDir bf16, quantized, direct;
  convert_gguf(kDir + "valid_model.gguf", bf16.path, quiet());
  QuantizeOptions q = quiet().quant;
  const QuantizeReport qr = quantize_checkpoint(bf16.path, quantized.path, q);
  EXPECT_GT(qr.quantized, 0u);
  const GgufConvertReport r = convert_gguf(kDir + "valid_model.gguf", direct.path, quiet(true));
  ASSERT_TRUE(r.fp8.has_value());
  EXPECT_EQ(r.fp8->quantized, qr.quantized);
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(quantized.path)) {
    const fs::path other = direct.path / e.path().filename();
    ASSERT_TRUE(fs::exists(other)) << other;
    EXPECT_EQ(read_text(e.path()), read_text(other)) << e.path().filename();
    ++files;
  }
  EXPECT_EQ(files, size_t(std::distance(fs::directory_iterator(direct.path), fs::directory_iterator())));
}

TEST(GgufConvert, ByteLevelTokenizerFollowsTransformers) {
  const GgufFile f = GgufFile::open(kDir + "valid_model.gguf");
  const HfTokenizerFiles t = build_hf_tokenizer(f);
  const auto& model = t.tokenizer.at("model");
  EXPECT_EQ(model.at("type"), "BPE");
  EXPECT_EQ(model.at("vocab").size(), 8u);
  EXPECT_EQ(model.at("vocab").at("\u0120a"), 5);
  EXPECT_EQ(model.at("merges").dump(), R"([["a","b"],["Ġ","a"]])");
  EXPECT_EQ(t.tokenizer.at("added_tokens").size(), 3u);  // the control tokens
  EXPECT_EQ(t.tokenizer.at("pre_tokenizer").at("type"), "ByteLevel");
  EXPECT_EQ(t.tokenizer_config.at("bos_token"), "<|im_start|>");
  EXPECT_EQ(t.tokenizer_config.at("eos_token"), "<|im_end|>");
  EXPECT_EQ(t.tokenizer_config.at("add_bos_token"), false);
  EXPECT_NE(t.tokenizer_config.at("chat_template").get<std::string>().find("im_start"), std::string::npos);
  EXPECT_EQ(gpt2_byte_char(' '), "\u0120");
  EXPECT_EQ(gpt2_byte_char('a'), "a");
  EXPECT_EQ(gpt2_byte_char(0), "\u0100");
}

TEST(GgufConvert, SentencePieceTokenizerDerivesMergesFromScores) {
  const GgufFile f = GgufFile::open(kDir + "valid_model_spm.gguf");
  const HfTokenizerFiles t = build_hf_tokenizer(f);
  const auto& model = t.tokenizer.at("model");
  EXPECT_EQ(model.at("byte_fallback"), true);
  EXPECT_TRUE(model.at("unk_token").is_null());  // as transformers: byte fallback only
  EXPECT_EQ(t.tokenizer.at("added_tokens").size(), 3u);  // <unk> (named), <s>, </s>
  // transformers' generate_merges: by score, best first.
  EXPECT_EQ(model.at("merges").dump(), R"([["▁","a"],["a","b"]])");
  EXPECT_EQ(t.tokenizer.at("pre_tokenizer").at("type"), "Metaspace");
  const auto& single = t.tokenizer.at("post_processor").at("single");
  ASSERT_EQ(single.size(), 2u);  // add_bos_token: <s> $A
  EXPECT_EQ(single[0].at("SpecialToken").at("id"), "<s>");
  EXPECT_EQ(t.tokenizer_config.at("add_bos_token"), true);
}

TEST(GgufConvert, TokenizerJsonEqualsTransformersOnBothVocabularyKinds) {
  // tests/fixtures/gguf_tokenizers.json: what transformers builds from the same files
  // (tools/fixtures/gen_gguf_tokenizer_oracle.py).
  const auto& models = testing::fixture("gguf_tokenizers.json").at("models");
  ASSERT_EQ(models.size(), 2u);
  for (const auto& [file, want] : models.items()) {
    const HfTokenizerFiles t = build_hf_tokenizer(GgufFile::open(kDir + file));
    EXPECT_EQ(nlohmann::json::parse(t.tokenizer.dump()), want.at("tokenizer")) << file;
  }
}

TEST(GgufConvert, FailuresLeaveNothingBehind) {
  TempDir out;
  for (const char* file : {"missing_layer_tensor.gguf", "bad_merge.gguf", "undequantizable_type.gguf"}) {
    EXPECT_THROW(convert_gguf(kDir + file, out.path, quiet()), Error) << file;
    EXPECT_FALSE(fs::exists(out.path)) << file;
    for (const auto& e : fs::directory_iterator(out.path.parent_path())) {
      EXPECT_EQ(e.path().filename().string().find(out.path.filename().string() + ".tmp"), std::string::npos);
    }
  }
  // OUT must not be, or hold, the source (--force would delete it at commit).
  fs::create_directories(out.path);
  fs::copy_file(kDir + "valid_model.gguf", out.path / "m.gguf");
  GgufConvertOptions force = quiet();
  force.quant.overwrite = true;
  EXPECT_THROW(convert_gguf(out.path / "m.gguf", out.path, force), Error);
  EXPECT_THROW(convert_gguf(out.path / "m.gguf", out.path / "m.gguf", force), Error);
  EXPECT_TRUE(fs::exists(out.path / "m.gguf"));
  fs::remove_all(out.path);
  std::atomic<bool> stop{true};
  EXPECT_THROW(convert_gguf(kDir + "valid_model.gguf", out.path, quiet(), &stop), Error);
  EXPECT_FALSE(fs::exists(out.path));
}

}  // namespace
}  // namespace finefp8
