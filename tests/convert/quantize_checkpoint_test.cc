// `finefp8 quantize` as a library: the fast path equals the reference byte for byte, the
// plan follows transformers' conventions, and every failure leaves nothing behind.
#include "convert/quantize_checkpoint.h"
#include "convert/dequantize_checkpoint.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "fixtures.h"
#include "fp8/formats.h"
#include "golden_inputs.h"
#include "io/fp8_checkpoint.h"
#include "io/quant_config.h"
#include "io/safetensors_writer.h"
#include "util/error.h"

namespace finefp8 {
namespace {
namespace fs = std::filesystem;

std::vector<float> random_weights(size_t n, uint32_t seed, float stddev = 0.02f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, stddev);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

TEST(QuantizeFast, ByteIdenticalToTheReferenceForEveryInputDtypeAndShape) {
  for (auto [rows, cols] : {std::pair<size_t, size_t>{1, 1}, {127, 129}, {256, 384}, {576, 300}, {130, 1000}}) {
    std::vector<float> w = random_weights(rows * cols, uint32_t(rows * 7 + cols));
    w[0] = 0.0f;
    if (rows * cols > 2000) std::fill(w.begin() + 100, w.begin() + 1100, 0.0f);  // zero-ish block
    std::vector<bf16> wb(w.size());
    std::vector<fp16> wh(w.size());
    for (size_t i = 0; i < w.size(); ++i) {
      wb[i] = bf16_from_f32(w[i]);
      wh[i] = fp16_from_f32(w[i]);
    }
    for (BlockShape block : {BlockShape{128, 128}, BlockShape{64, 32}}) {
      const ScaleGrid g = scale_grid(rows, cols, block);
      for (const WeightView view : {WeightView{w.data(), WeightView::DType::kF32, rows, cols},
                                    WeightView{wb.data(), WeightView::DType::kBF16, rows, cols},
                                    WeightView{wh.data(), WeightView::DType::kF16, rows, cols}}) {
        std::vector<uint8_t> want(rows * cols), got(rows * cols);
        std::vector<float> ws(g.size()), gs(g.size());
        quantize_weight_blocks(view, block, ScaleRecipe::kTransformers, want, ws);
        for (int threads : {1, 3}) {
          const ErrorStats e = quantize_weight_fast(view, block, got, gs, "w", threads);
          ASSERT_EQ(got, want) << rows << "x" << cols;
          ASSERT_EQ(gs, ws);
          EXPECT_GT(e.snr_db, 25.0);
          EXPECT_LT(e.rel_rms, 0.05);
        }
      }
    }
  }
}

// The converter's fast path against the numerics issue's golden fixtures (transformers' own
// quantizer): identical weight and weight_scale_inv bytes.
TEST(QuantizeFast, GoldenFixturesByteIdentical) {
  for (const auto& c : testing::fixture("quant_golden.json").at("weight_cases")) {
    const testing::GoldenInputSpec spec = testing::GoldenInputSpec::from_json(c.at("input"));
    const std::vector<float> w = make_golden_input(spec);
    const BlockShape block{spec.block_rows, spec.block_cols};
    std::vector<uint8_t> q(w.size());
    std::vector<float> s(scale_grid(spec.rows, spec.cols, block).size());
    quantize_weight_fast({w.data(), WeightView::DType::kF32, spec.rows, spec.cols}, block, q, s,
                         c.at("name").get<std::string>(), 2);
    EXPECT_EQ(testing::sha256_of<uint8_t>(q), c.at("expected").at("weight_sha256")) << c.at("name");
    EXPECT_EQ(testing::sha256_of<float>(s), c.at("expected").at("weight_scale_inv_sha256")) << c.at("name");
  }
}

TEST(QuantizeFast, NonFiniteWeightNamesTensorAndPosition) {
  std::vector<float> w = random_weights(300 * 200, 1);
  w[257 * 200 + 131] = -INFINITY;
  std::vector<uint8_t> q(w.size());
  std::vector<float> s(scale_grid(300, 200, {}).size());
  try {
    quantize_weight_fast({w.data(), WeightView::DType::kF32, 300, 200}, {}, q, s, "layer.w", 2);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'layer.w': element [257, 131] is -inf"), std::string::npos) << e.what();
  }
}

TEST(QuantizePlan, FollowsTransformersConventions) {
  const QuantizeOptions o;
  auto plan = [&](std::string name, std::vector<uint64_t> shape, DType d = DType::kBF16) {
    return plan_tensor(TensorInfo{std::move(name), d, std::move(shape), 0, 0}, o);
  };
  EXPECT_TRUE(plan("model.layers.0.self_attn.q_proj.weight", {256, 256}).quantize);
  EXPECT_TRUE(plan("model.layers.0.mlp.down_proj.weight", {576, 1536}).quantize);  // ragged: ceil grid
  EXPECT_TRUE(plan("model.layers.0.self_attn.k_proj.weight", {64, 256}).quantize);  // one block row
  // 192 rows on a grid of 2: a grid-inferring reader would use 96-row blocks: kept (auto).
  const TensorPlan k192 = plan("model.layers.0.self_attn.k_proj.weight", {192, 256});
  EXPECT_FALSE(k192.quantize);
  EXPECT_TRUE(k192.list_as_not_converted);
  EXPECT_TRUE(plan("model.layers.3.mlp.experts.7.gate_proj.weight", {256, 128}).quantize);
  EXPECT_FALSE(plan("model.embed_tokens.weight", {1000, 256}).quantize);
  EXPECT_FALSE(plan("model.norm.weight", {256}).quantize);
  EXPECT_FALSE(plan("model.layers.0.self_attn.q_proj.bias", {256}).quantize);
  EXPECT_FALSE(plan("model.layers.0.self_attn.q_norm.weight", {128}).quantize);
  const TensorPlan head = plan("lm_head.weight", {1000, 256});
  EXPECT_FALSE(head.quantize);
  EXPECT_TRUE(head.list_as_not_converted);
  const TensorPlan gate = plan("model.layers.3.mlp.gate.weight", {64, 256});
  EXPECT_FALSE(gate.quantize);
  EXPECT_TRUE(gate.list_as_not_converted);
  EXPECT_FALSE(plan("model.layers.0.mlp.up_proj.weight", {256, 256}, DType::kI32).quantize);
  QuantizeOptions o2;
  o2.skip = {"model.layers.1"};
  o2.quantize_lm_head = true;
  o2.ragged = QuantizeOptions::Ragged::kSkip;
  auto plan2 = [&](std::string name, std::vector<uint64_t> shape) {
    return plan_tensor(TensorInfo{std::move(name), DType::kBF16, std::move(shape), 0, 0}, o2);
  };
  EXPECT_FALSE(plan2("model.layers.1.mlp.up_proj.weight", {256, 256}).quantize);
  EXPECT_TRUE(plan2("model.layers.11.mlp.up_proj.weight", {256, 256}).quantize);
  EXPECT_TRUE(plan2("lm_head.weight", {1024, 256}).quantize);
  EXPECT_FALSE(plan2("model.layers.0.mlp.down_proj.weight", {576, 1536}).quantize);
  QuantizeOptions ceil;
  ceil.ragged = QuantizeOptions::Ragged::kCeil;
  EXPECT_TRUE(plan_tensor(TensorInfo{"a.k_proj.weight", DType::kBF16, {192, 256}, 0, 0}, ceil).quantize);
}

class QuantizeCheckpointTest : public ::testing::Test {
 protected:
  fs::path root_ = fs::temp_directory_path() / ("finefp8-qc-" + std::to_string(::getpid()));
  fs::path src_ = root_ / "src", out_ = root_ / "out";
  std::vector<float> up_;  // model.layers.0.mlp.up_proj.weight as fp32

  void SetUp() override {
    fs::create_directories(src_);
    up_ = random_weights(576 * 300, 3);
    std::vector<bf16> up16(up_.size());
    for (size_t i = 0; i < up_.size(); ++i) {
      up16[i] = bf16_from_f32(up_[i]);
      up_[i] = bf16_to_f32(up16[i]);
    }
    std::vector<TensorDecl> decls = {{"model.embed_tokens.weight", DType::kBF16, {10, 300}},
                                     {"model.layers.0.mlp.up_proj.weight", DType::kBF16, {576, 300}},
                                     {"model.norm.weight", DType::kF32, {300}}};
    SafetensorsWriter w(src_ / "model.safetensors", decls);
    w.write(decls[0].name, std::vector<uint8_t>(decls[0].bytes(), 0x3C));
    w.write(decls[1].name, {reinterpret_cast<const uint8_t*>(up16.data()), up16.size() * 2});
    w.write(decls[2].name, std::vector<uint8_t>(decls[2].bytes(), 0));
    w.finish();
    std::ofstream(src_ / "config.json") << R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 300})";
    std::ofstream(src_ / "tokenizer.json") << "{}";
  }
  void TearDown() override { fs::remove_all(root_); }
  QuantizeOptions quiet() const {
    QuantizeOptions o;
    o.progress = false;
    return o;
  }
};

TEST_F(QuantizeCheckpointTest, WritesAReloadableTransformersFp8Checkpoint) {
  const QuantizeReport r = quantize_checkpoint(src_, out_, quiet());
  EXPECT_EQ(r.quantized, 1u);
  EXPECT_EQ(r.kept, 2u);
  EXPECT_EQ(r.copied_files, std::vector<std::string>{"tokenizer.json"});
  const Checkpoint c = Checkpoint::open(out_);
  std::ifstream in(out_ / "config.json");
  const auto config = nlohmann::json::parse(in);
  const Fp8QuantConfig qc = parse_quant_config(config.at("quantization_config"), "config.json");
  EXPECT_EQ(qc.modules_to_not_convert, std::vector<std::string>{"lm_head"});
  EXPECT_EQ(config.at("quantization_config").at("fmt"), "e4m3");
  EXPECT_EQ(config.at("hidden_size"), 300);
  ASSERT_EQ(validate_fp8_checkpoint(c, qc).size(), 1u);
  // Identical to the reference quantizer on the same values.
  std::vector<uint8_t> codes(up_.size());
  std::vector<float> s(scale_grid(576, 300, {}).size());
  quantize_weight_blocks({up_.data(), WeightView::DType::kF32, 576, 300}, {}, ScaleRecipe::kTransformers, codes, s);
  const TensorView q = c.tensor("model.layers.0.mlp.up_proj.weight");
  const TensorView qs = c.tensor("model.layers.0.mlp.up_proj.weight_scale_inv");
  EXPECT_TRUE(std::equal(q.data.begin(), q.data.end(), codes.begin(), codes.end()));
  EXPECT_EQ(std::memcmp(qs.data.data(), s.data(), qs.data.size()), 0);
  EXPECT_EQ(qs.info->shape, (std::vector<uint64_t>{5, 3}));
  // Same input, same bytes.
  quantize_checkpoint(src_, root_ / "again", quiet());
  std::ifstream a(out_ / "model.safetensors", std::ios::binary), b(root_ / "again" / "model.safetensors", std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(a), {}), std::string(std::istreambuf_iterator<char>(b), {}));
}

TEST_F(QuantizeCheckpointTest, RefusesExistingOutputAlreadyFp8InputAndInterrupts) {
  fs::create_directories(out_);
  EXPECT_THROW(quantize_checkpoint(src_, out_, quiet()), Error);
  fs::remove(out_);
  quantize_checkpoint(src_, out_, quiet());
  try {
    quantize_checkpoint(out_, root_ / "twice", quiet());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("already quantized"), std::string::npos) << e.what();
  }
  {
    QuantizeOptions force = quiet();
    force.overwrite = true;
    try {
      quantize_checkpoint(src_, src_, force);
      FAIL();
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("is the source model directory itself"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(fs::exists(src_ / "model.safetensors"));
  }
  std::atomic<bool> stop{true};
  EXPECT_THROW(quantize_checkpoint(src_, root_ / "stopped", quiet(), &stop), Error);
  EXPECT_FALSE(fs::exists(root_ / "stopped"));
  for (const auto& e : fs::directory_iterator(root_)) {
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
  }
}

TEST_F(QuantizeCheckpointTest, NonFiniteWeightStopsAndWritesNothing) {
  // Overwrite one bf16 element of up_proj with NaN in the source file.
  const Checkpoint c = Checkpoint::open(src_);
  const TensorInfo* t = c.find("model.layers.0.mlp.up_proj.weight");
  const uint64_t offset = c.shards()[0].header().data_offset() + t->begin + 2 * (300 * 200 + 17);
  {
    std::fstream f(src_ / "model.safetensors", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(std::streamoff(offset));
    const uint16_t nan = 0x7FC0;
    f.write(reinterpret_cast<const char*>(&nan), 2);
  }
  try {
    quantize_checkpoint(src_, out_, quiet());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("element [200, 17] is nan"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(out_));
}

TEST_F(QuantizeCheckpointTest, DequantizeReproducesTheReferenceDequantization) {
  quantize_checkpoint(src_, out_, quiet());
  DequantizeOptions d;
  d.progress = false;
  dequantize_checkpoint(out_, root_ / "deq", d);
  const Checkpoint q = Checkpoint::open(out_), back = Checkpoint::open(root_ / "deq");
  EXPECT_EQ(back.find("model.layers.0.mlp.up_proj.weight_scale_inv"), nullptr);
  const TensorView codes = q.tensor("model.layers.0.mlp.up_proj.weight");
  const TensorView s = q.tensor("model.layers.0.mlp.up_proj.weight_scale_inv");
  std::vector<float> scales(s.info->elements());
  std::memcpy(scales.data(), s.data.data(), s.data.size());
  std::vector<bf16> want(576 * 300);
  dequantize_weight_blocks(codes.data, scales, 576, 300, {}, std::span<bf16>(want));
  const TensorView got = back.tensor("model.layers.0.mlp.up_proj.weight");
  EXPECT_EQ(got.info->dtype, DType::kBF16);
  EXPECT_EQ(std::memcmp(got.data.data(), want.data(), got.data.size()), 0);
  // Unquantized tensors pass through; quantization_config is gone.
  const Checkpoint source = Checkpoint::open(src_);
  const TensorView e0 = source.tensor("model.embed_tokens.weight");
  const TensorView e1 = back.tensor("model.embed_tokens.weight");
  EXPECT_TRUE(std::equal(e0.data.begin(), e0.data.end(), e1.data.begin(), e1.data.end()));
  std::ifstream in(root_ / "deq" / "config.json");
  EXPECT_FALSE(nlohmann::json::parse(in).contains("quantization_config"));
  // Quantizing the dequantized model again reproduces the FP8 bytes: the round trip is stable.
  quantize_checkpoint(root_ / "deq", root_ / "requant", quiet());
  const Checkpoint requant = Checkpoint::open(root_ / "requant");
  const TensorView again = requant.tensor("model.layers.0.mlp.up_proj.weight");
  EXPECT_TRUE(std::equal(again.data.begin(), again.data.end(), codes.data.begin(), codes.data.end()));
}

// Real-format variants: compressed-tensors FP8_BLOCK (`weight_scale`, scales in bf16) and
// DeepSeek-V3.1-style UE8M0 scales; ragged 130x200 weight on the ceil grid.
TEST_F(QuantizeCheckpointTest, DequantizeReadsCompressedTensorsAndUe8m0Checkpoints) {
  std::vector<uint8_t> codes(130 * 200);
  for (size_t i = 0; i < codes.size(); ++i) {
    codes[i] = uint8_t(i * 37);
    if ((codes[i] & 0x7F) == 0x7F) codes[i] = 0;  // no NaN codes
  }
  const float scale_values[4] = {0.5f, 0.25f, 2.0f, 0.125f};  // exact in bf16 and UE8M0
  for (const bool ct : {true, false}) {
    const fs::path dir = root_ / (ct ? "ct" : "ue8m0");
    fs::create_directories(dir);
    const std::string scale_name = ct ? "m.weight_scale" : "m.weight_scale_inv";
    TensorDecl w{"m.weight", DType::kF8_E4M3, {130, 200}};
    TensorDecl sd{scale_name, ct ? DType::kBF16 : DType::kF8_E8M0, {2, 2}};
    std::vector<uint8_t> sbytes;
    for (float v : scale_values) {
      if (ct) {
        const uint16_t b = bf16_from_f32(v).bits;
        sbytes.push_back(uint8_t(b));
        sbytes.push_back(uint8_t(b >> 8));
      } else {
        sbytes.push_back(ue8m0_from_f32(v));
      }
    }
    {
      SafetensorsWriter sw(dir / "model.safetensors", {w, sd});
      sw.write("m.weight", codes);
      sw.write(scale_name, sbytes);
      sw.finish();
    }
    nlohmann::json config = {{"architectures", {"LlamaForCausalLM"}}};
    if (ct) {
      std::ifstream in(std::string(FINEFP8_FIXTURES_DIR) + "/configs/compressed_tensors_fp8_block.json");
      config["quantization_config"] = nlohmann::json::parse(in).at("quantization_config");
    } else {
      config["quantization_config"] = {{"quant_method", "fp8"}, {"weight_block_size", {128, 128}},
                                       {"scale_fmt", "ue8m0"}, {"activation_scheme", "dynamic"}};
    }
    std::ofstream(dir / "config.json") << config.dump();
    DequantizeOptions d;
    d.progress = false;
    d.dtype = DType::kF32;
    dequantize_checkpoint(dir, dir.string() + "-deq", d);
    const Checkpoint back = Checkpoint::open(dir.string() + "-deq");
    EXPECT_EQ(back.find(scale_name), nullptr);
    const TensorView v = back.tensor("m.weight");
    ASSERT_EQ(v.info->dtype, DType::kF32);
    for (size_t r = 0; r < 130; r += 43) {
      for (size_t c = 0; c < 200; c += 37) {
        const float want = e4m3_to_f32(codes[r * 200 + c]) * scale_values[(r / 128) * 2 + c / 128];
        EXPECT_EQ(v.f32(r * 200 + c), want) << (ct ? "ct " : "ue8m0 ") << r << "," << c;
      }
    }
  }
}

TEST_F(QuantizeCheckpointTest, DequantizeRejectsBrokenScales) {
  quantize_checkpoint(src_, out_, quiet());
  // Zero one scale in place.
  const Checkpoint c = Checkpoint::open(out_);
  const TensorInfo* t = c.find("model.layers.0.mlp.up_proj.weight_scale_inv");
  const uint64_t offset = c.shards()[0].header().data_offset() + t->begin;
  {
    std::fstream f(out_ / "model.safetensors", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(std::streamoff(offset));
    const float zero = 0.0f;
    f.write(reinterpret_cast<const char*>(&zero), 4);
  }
  DequantizeOptions d;
  d.progress = false;
  try {
    dequantize_checkpoint(out_, root_ / "deq", d);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("must be finite and positive"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(root_ / "deq"));
}

}  // namespace
}  // namespace finefp8
