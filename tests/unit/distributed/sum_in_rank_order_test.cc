#include "distributed/sum_in_rank_order.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace turbine {
namespace {

TEST(SumInRankOrder, F32AddsLeftToRight) {
  // (1e8 + 1) rounds back to 1e8 in float, so left to right gives 0; any other order gives 1.
  std::vector<float> a{1e8f}, b{1.0f}, c{-1e8f};
  void* buffers[] = {a.data(), b.data(), c.data()};
  sum_in_rank_order(DType::kF32, buffers, 0, 1);
  EXPECT_EQ(a[0], 0.0f);
  EXPECT_EQ(b[0], 0.0f);
  EXPECT_EQ(c[0], 0.0f);
}

TEST(SumInRankOrder, Bf16RoundsOnceAtTheEnd) {
  // 1 + 2^-8 + 2^-8: rounding after each add (ties to even) stays at 1; rounding once gives
  // 1 + 2^-7, which BF16 holds exactly.
  std::vector<uint16_t> a{f32_to_bf16(1.0f)}, b{f32_to_bf16(0.00390625f)}, c{f32_to_bf16(0.00390625f)};
  void* buffers[] = {a.data(), b.data(), c.data()};
  sum_in_rank_order(DType::kBF16, buffers, 0, 1);
  EXPECT_EQ(bf16_to_f32(a[0]), 1.0078125f);
  EXPECT_EQ(b[0], a[0]);
  EXPECT_EQ(c[0], a[0]);
}

TEST(SumInRankOrder, F16RoundsOnceAtTheEnd) {
  // The same with F16's 10 fraction bits: 1 + 2^-11 + 2^-11.
  const float tiny = 1.0f / 2048.0f;
  std::vector<uint16_t> a{f32_to_f16(1.0f)}, b{f32_to_f16(tiny)}, c{f32_to_f16(tiny)};
  void* buffers[] = {a.data(), b.data(), c.data()};
  sum_in_rank_order(DType::kF16, buffers, 0, 1);
  EXPECT_EQ(f16_to_f32(a[0]), 1.0f + 1.0f / 1024.0f);
}

TEST(SumInRankOrder, TouchesOnlyItsRangeAcrossChunks) {
  // A range that starts and ends inside the implementation's 512-element chunks.
  const int64_t n = 2000, begin = 100, end = 1500;
  std::vector<float> a(n), b(n);
  for (int64_t i = 0; i < n; ++i) a[i] = float(i), b[i] = float(2 * i);
  void* buffers[] = {a.data(), b.data()};
  sum_in_rank_order(DType::kF32, buffers, begin, end);
  for (int64_t i = 0; i < n; ++i) {
    const bool inside = i >= begin && i < end;
    ASSERT_EQ(a[i], inside ? float(3 * i) : float(i)) << i;
    ASSERT_EQ(b[i], inside ? float(3 * i) : float(2 * i)) << i;
  }
}

}  // namespace
}  // namespace turbine
