// validate_fp8_checkpoint: the rejections of docs/fp8-format.md section 5.
#include "io/fp8_checkpoint.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "fp8/float16.h"
#include "io/safetensors_writer.h"
#include "util/error.h"

namespace finefp8 {
namespace {
namespace fs = std::filesystem;

struct Tensor {
  TensorDecl decl;
  std::vector<uint8_t> bytes;
};

Tensor f32_tensor(std::string name, std::vector<uint64_t> shape, float value) {
  TensorDecl d{std::move(name), DType::kF32, std::move(shape)};
  std::vector<uint8_t> b(d.bytes());
  for (size_t i = 0; i < b.size(); i += 4) std::memcpy(&b[i], &value, 4);
  return {d, b};
}
Tensor fp8_weight(std::string name, std::vector<uint64_t> shape) {
  TensorDecl d{std::move(name), DType::kF8_E4M3, std::move(shape)};
  return {d, std::vector<uint8_t>(d.bytes(), 0x38)};
}

class Fp8CheckpointTest : public ::testing::Test {
 protected:
  fs::path dir_ = fs::temp_directory_path() / ("finefp8-fp8ckpt-" + std::to_string(::getpid()));
  void SetUp() override { fs::create_directories(dir_); }
  void TearDown() override { fs::remove_all(dir_); }

  Checkpoint write(const std::vector<Tensor>& tensors) {
    fs::remove(dir_ / "model.safetensors");
    std::vector<TensorDecl> decls;
    for (const auto& t : tensors) decls.push_back(t.decl);
    SafetensorsWriter w(dir_ / "model.safetensors", decls);
    for (const auto& t : tensors) w.write(t.decl.name, t.bytes);
    w.finish();
    return Checkpoint::open(dir_);
  }
  void expect_error(const std::vector<Tensor>& tensors, const Fp8QuantConfig& cfg,
                    const std::string& substring) {
    const Checkpoint c = write(tensors);
    try {
      validate_fp8_checkpoint(c, cfg);
      ADD_FAILURE() << "no error, expected '" << substring << "'";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(substring), std::string::npos) << e.what();
    }
  }
};

TEST_F(Fp8CheckpointTest, AcceptsCeilGridScalesInEveryScaleDtype) {
  const Checkpoint c = write({fp8_weight("a.weight", {576, 7168}),
                              f32_tensor("a.weight_scale_inv", {5, 56}, 0.01f),
                              fp8_weight("e.weight", {4, 300, 129}),
                              f32_tensor("e.weight_scale_inv", {4, 3, 2}, 1.0f),
                              f32_tensor("norm.weight", {7}, 1.0f)});
  const auto linears = validate_fp8_checkpoint(c, Fp8QuantConfig{});
  ASSERT_EQ(linears.size(), 2u);
  TensorDecl bf{"a.weight_scale_inv", DType::kBF16, {5, 56}};
  std::vector<uint8_t> bfb(bf.bytes());
  for (size_t i = 0; i < bfb.size(); i += 2) {
    const uint16_t v = bf16_from_f32(0.5f).bits;
    std::memcpy(&bfb[i], &v, 2);
  }
  EXPECT_EQ(validate_fp8_checkpoint(write({fp8_weight("a.weight", {576, 7168}), {bf, bfb}}),
                                    Fp8QuantConfig{}).size(), 1u);
  TensorDecl ue{"a.weight_scale_inv", DType::kF8_E8M0, {5, 56}};
  EXPECT_EQ(validate_fp8_checkpoint(write({fp8_weight("a.weight", {576, 7168}),
                                           {ue, std::vector<uint8_t>(ue.bytes(), 120)}}),
                                    Fp8QuantConfig{}).size(), 1u);
  expect_error({fp8_weight("a.weight", {576, 7168}), {ue, std::vector<uint8_t>(ue.bytes(), 0xFF)}},
               Fp8QuantConfig{}, "must be finite and positive");
}

TEST_F(Fp8CheckpointTest, RejectsWrongGridMissingScaleOrphanScaleAndBadValues) {
  const Fp8QuantConfig cfg;
  expect_error({fp8_weight("a.weight", {576, 7168}), f32_tensor("a.weight_scale_inv", {4, 56}, 1)},
               cfg, "needs [5, 56]");
  expect_error({fp8_weight("a.weight", {256, 256})}, cfg, "has no scale tensor 'a.weight_scale_inv'");
  expect_error({f32_tensor("b.weight", {2, 2}, 1), f32_tensor("b.weight_scale_inv", {1, 1}, 1)}, cfg,
               "has no FP8 weight 'b.weight'");
  for (float bad : {0.0f, -1.0f, NAN, INFINITY}) {
    expect_error({fp8_weight("a.weight", {128, 128}), f32_tensor("a.weight_scale_inv", {1, 1}, bad)},
                 cfg, "must be finite and positive");
  }
  expect_error({fp8_weight("a.weight", {128}), f32_tensor("a.weight_scale_inv", {1}, 1)}, cfg,
               "expected a matrix");
  Tensor i32{{"a.weight_scale_inv", DType::kI32, {1, 1}}, std::vector<uint8_t>(4, 1)};
  expect_error({fp8_weight("a.weight", {128, 128}), i32}, cfg, "has dtype I32");
}

TEST_F(Fp8CheckpointTest, CompressedTensorsNamingAndPerTensorScales) {
  Fp8QuantConfig ct;
  ct.scale_naming = ScaleNaming::kWeightScale;
  ct.weight_block_size = BlockShape{64, 64};
  const Checkpoint c = write({fp8_weight("a.weight", {130, 64}), f32_tensor("a.weight_scale", {3, 1}, 2)});
  EXPECT_EQ(validate_fp8_checkpoint(c, ct).size(), 1u);
  Fp8QuantConfig per_tensor;
  per_tensor.weight_block_size.reset();
  EXPECT_EQ(validate_fp8_checkpoint(write({fp8_weight("a.weight", {130, 64}),
                                           f32_tensor("a.weight_scale_inv", {1}, 2)}),
                                    per_tensor).size(), 1u);
  expect_error({fp8_weight("a.weight", {130, 64}), f32_tensor("a.weight_scale_inv", {2}, 2)},
               per_tensor, "one scale per tensor");
}

}  // namespace
}  // namespace finefp8
