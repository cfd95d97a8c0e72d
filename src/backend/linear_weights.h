// LinearWeights: one linear layer (a projection) as a backend's linear() receives it.
//
// out = x * W^T (+ bias), with W described by `format` (backend/weight_format.h says which of the
// fields below each format uses and how they are laid out). The tensors are views: the
// checkpoint's mapping on a host-memory backend, the model's device copies elsewhere
// (model/device_weights.h). A value type of views, cheap to copy; whoever made the memory owns it.
// Made by a loader (model/linear_loader.h), which also checks that the backend runs the format.
#pragma once

#include <cstdint>

#include "backend/weight_format.h"
#include "common/error.h"
#include "common/tensor.h"

namespace turbine {

struct LinearWeights {
  WeightFormat format = WeightFormat::kDenseF32;
  Tensor weight;       // [out, in] (packed formats: fewer columns), in weight_storage_dtype(format)
  Tensor scales;       // quantized formats: dequantization scales
  Tensor zeros;        // asymmetric integer formats: zero points
  int group_size = 0;  // quantized formats: input features per scale (FP8 block: the block edge)
  Tensor bias;         // [1, out] in a compute dtype, or data == nullptr

  bool empty() const { return weight.data == nullptr; }
  int64_t out_features() const { return weight.rows; }
  int64_t in_features() const { return in_features_of(format, weight.cols); }
  const Tensor* bias_or_null() const { return bias.data ? &bias : nullptr; }

  // A dense layer: the format follows the weight's dtype, which must be a compute dtype.
  static LinearWeights dense(const Tensor& weight, const Tensor* bias = nullptr) {
    const auto format = dense_format(weight.dtype);
    TURBINE_CHECK(format.has_value(), "a dense linear weight must be F32, BF16 or F16, not {}",
                  dtype_name(weight.dtype));
    LinearWeights w;
    w.format = *format;
    w.weight = weight;
    if (bias != nullptr) w.bias = *bias;
    return w;
  }
};

}  // namespace turbine
