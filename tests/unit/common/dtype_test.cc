// DType: every dtype's safetensors name round-trips, sizes, and which dtypes ops compute on.
#include "common/dtype.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace turbine {
namespace {

TEST(DType, EveryNameRoundTripsAndIsDistinct) {
  std::set<std::string> names;
  for (int i = 0; i < kNumDTypes; ++i) {
    const DType t = DType(i);
    SCOPED_TRACE(std::string(dtype_name(t)));
    EXPECT_NE(dtype_name(t), "?");
    EXPECT_EQ(dtype_from_name(dtype_name(t)), t);
    EXPECT_GT(dtype_size(t), 0u);
    EXPECT_TRUE(names.insert(std::string(dtype_name(t))).second);
  }
  EXPECT_EQ(dtype_from_name("f32"), std::nullopt);  // safetensors names are upper case
  EXPECT_EQ(dtype_from_name("C64"), std::nullopt);
  EXPECT_EQ(dtype_from_name(""), std::nullopt);
}

TEST(DType, SizesOfTheStorageDtypes) {
  EXPECT_EQ(dtype_size(DType::kF8E4M3), 1u);
  EXPECT_EQ(dtype_size(DType::kF8E5M2), 1u);
  EXPECT_EQ(dtype_size(DType::kI8), 1u);
  EXPECT_EQ(dtype_size(DType::kU8), 1u);
  EXPECT_EQ(dtype_size(DType::kBool), 1u);
  EXPECT_EQ(dtype_size(DType::kI16), 2u);
  EXPECT_EQ(dtype_size(DType::kI32), 4u);
  EXPECT_EQ(dtype_size(DType::kI64), 8u);
  EXPECT_EQ(dtype_size(DType::kF64), 8u);
}

TEST(DType, OnlyF32Bf16AndF16AreComputeDtypes) {
  for (int i = 0; i < kNumDTypes; ++i) {
    const DType t = DType(i);
    const bool compute = t == DType::kF32 || t == DType::kBF16 || t == DType::kF16;
    EXPECT_EQ(is_compute_dtype(t), compute) << dtype_name(t);
  }
}

}  // namespace
}  // namespace turbine
