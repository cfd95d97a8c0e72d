// LinearLoader: dense layers load in their dtype's format; storage dtypes without a
// quantization_config, quantization methods without a loader, and formats the backend has no
// kernel for all fail at load, naming the tensor (or config) and the dtype or format.
#include "model/linear_loader.h"

#include <gtest/gtest.h>

#include "backend/cpu/cpu_backend.h"
#include "fake_device_backend.h"
#include "model/weight_store.h"
#include "unit/loader/error_matchers.h"
#include "unit/loader/safetensors_writer.h"

namespace turbine {
namespace {

using testing::error_message;
using testing::expect_contains_all;

ModelConfig config_in(const std::filesystem::path& dir) {
  ModelConfig c;
  c.dir = dir;
  return c;
}

class LinearLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::write_file(
        dir_.path() / "model.safetensors",
        testing::build_safetensors({
            {"bf16.weight", "BF16", {2, 3}, testing::bf16_bytes({1, 2, 3, 4, 5, 6})},
            {"bf16.bias", "F32", {2}, testing::f32_bytes({0.5f, -0.5f})},
            {"f16.weight", "F16", {2, 3}, testing::f16_bytes({1, 2, 3, 4, 5, 6})},
            {"f32.weight", "F32", {2, 3}, testing::f32_bytes({1, 2, 3, 4, 5, 6})},
            {"model.layers.0.mlp.down_proj.weight", "I8", {2, 3}, std::string(6, '\x01')},
            {"fp8.weight", "F8_E4M3", {2, 3}, std::string(6, '\x38')},
        }));
    store_ = std::make_unique<WeightStore>(WeightStore::open(dir_.path()));
  }

  testing::TempDir dir_;
  std::unique_ptr<WeightStore> store_;
};

TEST_F(LinearLoaderTest, DenseWeightsLoadInTheirDtypesFormatInPlace) {
  const auto cpu = make_cpu_backend(1);
  const LinearLoader loader = LinearLoader::for_model(config_in(dir_.path()), *cpu);
  const LinearWeights bf16 = loader.load(*store_, "bf16", 2, 3, /*bias=*/true);
  EXPECT_EQ(bf16.format, WeightFormat::kDenseBF16);
  EXPECT_EQ(bf16.weight.dtype, DType::kBF16);
  EXPECT_EQ(bf16.out_features(), 2);
  EXPECT_EQ(bf16.in_features(), 3);
  ASSERT_NE(bf16.bias_or_null(), nullptr);
  EXPECT_EQ(bf16.bias.dtype, DType::kF32);
  EXPECT_EQ(bf16.weight.data, store_->find("bf16.weight")->data);  // a view, not a copy
  EXPECT_EQ(loader.load(*store_, "f16", 2, 3, false).format, WeightFormat::kDenseF16);
  const LinearWeights f32 = loader.load(*store_, "f32", 2, 3, false);
  EXPECT_EQ(f32.format, WeightFormat::kDenseF32);
  EXPECT_EQ(f32.bias_or_null(), nullptr);
  // The shape is still checked, naming the tensor.
  expect_contains_all(error_message([&] { loader.load(*store_, "f32", 3, 2, false); }),
                      {"f32.weight", "expected [3, 2]"});
}

TEST_F(LinearLoaderTest, AStorageDtypeWithoutAQuantizationConfigNamesTheTensorAndDtype) {
  const auto cpu = make_cpu_backend(1);
  const LinearLoader loader = LinearLoader::for_model(config_in(dir_.path()), *cpu);
  expect_contains_all(error_message([&] { loader.load(*store_, "model.layers.0.mlp.down_proj", 2, 3, false); }),
                      {"model.layers.0.mlp.down_proj.weight: dtype I8 is not a dense weight dtype",
                       "no quantization_config"});
  expect_contains_all(error_message([&] { loader.load(*store_, "fp8", 2, 3, false); }),
                      {"fp8.weight: dtype F8_E4M3"});
}

TEST_F(LinearLoaderTest, AQuantizationMethodWithoutALoaderNamesTheMethodAndConfig) {
  const auto cpu = make_cpu_backend(1);
  ModelConfig config = config_in(dir_.path());
  config.quantization_method = "gptq";
  expect_contains_all(error_message([&] { LinearLoader::for_model(config, *cpu); }),
                      {(dir_.path() / "config.json").string(), "quant_method \"gptq\" is not supported"});
}

TEST_F(LinearLoaderTest, AFormatTheBackendCannotRunFailsAtLoadNamingTensorFormatAndBackend) {
  testing::FakeDeviceBackend device;  // runs dense BF16, converts dense F32, has no dense F16
  const LinearLoader loader = LinearLoader::for_model(config_in(dir_.path()), device);
  EXPECT_EQ(loader.load(*store_, "f32", 2, 3, false).format, WeightFormat::kDenseF32);  // converted later
  EXPECT_EQ(error_message([&] { loader.load(*store_, "f16", 2, 3, false); }),
            "f16.weight: weight format dense F16 is not supported by the fake-device backend");
  const Tensor f16 = store_->get("f16.weight", {2, 3});
  expect_contains_all(error_message([&] { loader.dense(f16, "model.embed_tokens.weight (the tied lm_head)"); }),
                      {"model.embed_tokens.weight (the tied lm_head): weight format dense F16", "fake-device"});
}

TEST(RequireLinearFormat, NamesTheTensorTheFormatAndTheBackend) {
  const auto cpu = make_cpu_backend(1);
  require_linear_format(*cpu, WeightFormat::kDenseF16, "x.weight");  // supported: no throw
  EXPECT_EQ(error_message([&] {
              require_linear_format(*cpu, WeightFormat::kFp8Block, "model.layers.0.self_attn.q_proj.weight");
            }),
            "model.layers.0.self_attn.q_proj.weight: weight format FP8 (block scales) is not supported by the " +
                std::string(cpu->name()) + " backend");
}

}  // namespace
}  // namespace turbine
