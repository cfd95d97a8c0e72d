// LinearKernelTable (lookups by format, conversions at load, the errors for formats without a
// kernel) and the CPU backend's table, through Backend::linear.
#include "backend/linear_kernel_table.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "backend/cpu/cpu_backend.h"

namespace turbine {
namespace {

using Kernel = int (*)();
int kernel_a() { return 1; }
int kernel_b() { return 2; }

std::string message_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "did not throw turbine::Error";
  return "";
}

TEST(LinearKernelTable, LooksUpKernelsAndPreparationsByFormat) {
  LinearKernelTable<Kernel> table;
  table.run(WeightFormat::kDenseBF16, &kernel_a)
      .run(WeightFormat::kFp8Channel, &kernel_b)
      .convert(WeightFormat::kDenseF32, WeightFormat::kDenseBF16);
  EXPECT_EQ(table.kernel(WeightFormat::kDenseBF16), &kernel_a);
  EXPECT_EQ(table.kernel(WeightFormat::kFp8Channel), &kernel_b);
  EXPECT_EQ(table.kernel(WeightFormat::kDenseF32), nullptr);  // converted at load, never run as F32
  EXPECT_EQ(table.kernel(WeightFormat::kInt4Group), nullptr);

  const LinearFormatSupport& support = table.support();
  EXPECT_EQ(support.prepared_as(WeightFormat::kDenseBF16), WeightFormat::kDenseBF16);
  EXPECT_EQ(support.prepared_as(WeightFormat::kFp8Channel), WeightFormat::kFp8Channel);
  EXPECT_EQ(support.prepared_as(WeightFormat::kDenseF32), WeightFormat::kDenseBF16);
  EXPECT_EQ(support.prepared_as(WeightFormat::kDenseF16), std::nullopt);
  EXPECT_EQ(support.prepared_as(WeightFormat::kFp8Block), std::nullopt);
  EXPECT_TRUE(support.supports(WeightFormat::kDenseF32));
  EXPECT_FALSE(support.supports(WeightFormat::kInt8Group));
}

TEST(LinearKernelTable, ErrorsForAFormatWithoutAKernelNameTheFormatAndBackend) {
  LinearKernelTable<Kernel> table;
  table.run(WeightFormat::kDenseBF16, &kernel_a).convert(WeightFormat::kDenseF16, WeightFormat::kDenseBF16);
  uint16_t w[6] = {};
  LinearWeights l = LinearWeights::dense(Tensor{w, DType::kF16, 2, 3});
  std::string m = message_of([&] { table.fail_no_kernel("gpu", l); });
  EXPECT_NE(m.find("gpu backend runs weight format dense F16 only after converting it to dense BF16"),
            std::string::npos)
      << m;
  l.format = WeightFormat::kInt8Group;
  m = message_of([&] { table.fail_no_kernel("gpu", l); });
  EXPECT_NE(m.find("weight format INT8 (group scales) is not supported by the gpu backend"), std::string::npos) << m;
}

TEST(LinearKernelTableDeathTest, ConvertsOnlyIntoAFormatWithAKernel) {
  LinearKernelTable<Kernel> table;
  EXPECT_DEATH(table.convert(WeightFormat::kDenseF32, WeightFormat::kDenseBF16), "has no kernel");
  table.run(WeightFormat::kInt8Group, &kernel_a);
  EXPECT_DEATH(table.convert(WeightFormat::kInt4Group, WeightFormat::kInt8Group), "only dense conversions");
}

// The CPU reads every dense format in place, and has no quantized kernel yet.
TEST(CpuLinearFormats, DenseFormatsRunInPlaceAndQuantizedOnesAreRefused) {
  const auto backend = make_cpu_backend(1);
  const LinearFormatSupport& support = backend->linear_formats();
  for (WeightFormat f : {WeightFormat::kDenseF32, WeightFormat::kDenseBF16, WeightFormat::kDenseF16})
    EXPECT_EQ(support.prepared_as(f), f) << weight_format_name(f);
  for (WeightFormat f : {WeightFormat::kFp8Block, WeightFormat::kFp8Channel, WeightFormat::kInt8Group,
                         WeightFormat::kInt4Group})
    EXPECT_FALSE(support.supports(f)) << weight_format_name(f);
}

TEST(CpuLinearFormats, LinearDispatchesByFormat) {
  const auto backend = make_cpu_backend(1);
  std::vector<float> x = {1, 2, 3};
  std::vector<uint16_t> w = {f32_to_bf16(1), f32_to_bf16(0), f32_to_bf16(-1), f32_to_bf16(2), f32_to_bf16(2),
                             f32_to_bf16(2)};
  std::vector<float> bias = {0.5f, -1};
  std::vector<float> out(2, 0.0f);
  const Tensor xt{x.data(), DType::kF32, 1, 3};
  Tensor ot{out.data(), DType::kF32, 1, 2};
  const Tensor bt{bias.data(), DType::kF32, 1, 2};
  backend->linear(xt, LinearWeights::dense(Tensor{w.data(), DType::kBF16, 2, 3}, &bt), ot);
  EXPECT_FLOAT_EQ(out[0], 1 - 3 + 0.5f);
  EXPECT_FLOAT_EQ(out[1], 12 - 1);

  // A format without a kernel is an error naming it and the backend, never a wrong read.
  LinearWeights fp8;
  fp8.format = WeightFormat::kFp8Block;
  fp8.weight = Tensor{w.data(), DType::kF8E4M3, 2, 3};
  const std::string m = message_of([&] { backend->linear(xt, fp8, ot); });
  EXPECT_NE(m.find("weight format FP8 (block scales) is not supported by the " + std::string(backend->name()) +
                   " backend"),
            std::string::npos)
      << m;
}

}  // namespace
}  // namespace turbine
