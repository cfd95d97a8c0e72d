// WeightFormat and LinearWeights: names, storage dtypes, the dense mapping, input features.
#include "backend/weight_format.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "backend/linear_weights.h"

namespace turbine {
namespace {

TEST(WeightFormat, EveryFormatHasADistinctName) {
  std::set<std::string> names;
  for (int i = 0; i < kNumWeightFormats; ++i) {
    const auto name = weight_format_name(WeightFormat(i));
    EXPECT_NE(name, "?");
    EXPECT_TRUE(names.insert(std::string(name)).second) << name;
  }
  EXPECT_EQ(weight_format_name(WeightFormat::kFp8Block), "FP8 (block scales)");
  EXPECT_EQ(weight_format_name(WeightFormat::kDenseBF16), "dense BF16");
}

TEST(WeightFormat, DenseFormatsFollowTheComputeDtypes) {
  for (DType t : {DType::kF32, DType::kBF16, DType::kF16}) {
    const auto f = dense_format(t);
    ASSERT_TRUE(f.has_value()) << dtype_name(t);
    EXPECT_TRUE(is_dense(*f));
    EXPECT_EQ(weight_storage_dtype(*f), t);
  }
  // A storage dtype is never a dense format: only a quantized format says what its bytes mean.
  for (DType t : {DType::kI8, DType::kU8, DType::kI32, DType::kF8E4M3, DType::kF8E5M2, DType::kF64})
    EXPECT_FALSE(dense_format(t).has_value()) << dtype_name(t);
  for (WeightFormat f : {WeightFormat::kFp8Block, WeightFormat::kFp8Channel, WeightFormat::kInt8Group,
                         WeightFormat::kInt4Group})
    EXPECT_FALSE(is_dense(f)) << weight_format_name(f);
}

TEST(WeightFormat, QuantizedFormatsStoreTheirWeightInTheirOwnDtype) {
  EXPECT_EQ(weight_storage_dtype(WeightFormat::kFp8Block), DType::kF8E4M3);
  EXPECT_EQ(weight_storage_dtype(WeightFormat::kFp8Channel), DType::kF8E4M3);
  EXPECT_EQ(weight_storage_dtype(WeightFormat::kInt8Group), DType::kI8);
  EXPECT_EQ(weight_storage_dtype(WeightFormat::kInt4Group), DType::kI32);
  EXPECT_EQ(in_features_of(WeightFormat::kInt4Group, 512), 4096);  // eight nibbles per I32
  EXPECT_EQ(in_features_of(WeightFormat::kFp8Block, 512), 512);
  EXPECT_EQ(in_features_of(WeightFormat::kDenseF16, 7), 7);
}

TEST(LinearWeights, DenseTakesItsFormatFromTheWeightDtype) {
  uint16_t w[6] = {};
  float b[2] = {};
  const Tensor weight{w, DType::kBF16, 2, 3};
  const Tensor bias{b, DType::kF32, 1, 2};
  const LinearWeights l = LinearWeights::dense(weight, &bias);
  EXPECT_EQ(l.format, WeightFormat::kDenseBF16);
  EXPECT_EQ(l.out_features(), 2);
  EXPECT_EQ(l.in_features(), 3);
  ASSERT_NE(l.bias_or_null(), nullptr);
  EXPECT_EQ(l.bias_or_null()->data, b);
  EXPECT_EQ(l.scales.data, nullptr);
  EXPECT_EQ(LinearWeights::dense(weight).bias_or_null(), nullptr);
  EXPECT_TRUE(LinearWeights{}.empty());
  EXPECT_FALSE(l.empty());
}

TEST(LinearWeightsDeathTest, DenseRefusesAStorageDtype) {
  int8_t w[6] = {};
  EXPECT_DEATH(LinearWeights::dense(Tensor{w, DType::kI8, 2, 3}), "must be F32, BF16 or F16, not I8");
}

}  // namespace
}  // namespace turbine
