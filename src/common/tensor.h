// A non-owning view of a 2-D, row-major array on some device.
//
// Turbine keeps every tensor the forward pass touches two-dimensional: activations are
// [tokens, features], weights are [out_features, in_features] as Hugging Face stores nn.Linear,
// and 1-D weights (norms, biases) are [1, n]. Attention heads are a view: q as [tokens,
// heads * head_dim] is the same memory as [tokens * heads, head_dim]. Whoever made the memory owns
// it; a Tensor never frees anything.
#pragma once

#include <cstdint>

#include "common/dtype.h"

namespace turbine {

struct Tensor {
  void* data = nullptr;
  DType dtype = DType::kF32;
  int64_t rows = 0;
  int64_t cols = 0;

  int64_t numel() const { return rows * cols; }
  size_t nbytes() const { return size_t(numel()) * dtype_size(dtype); }
  size_t row_bytes() const { return size_t(cols) * dtype_size(dtype); }

  template <typename T>
  T* as() const { return static_cast<T*>(data); }

  // Rows [begin, begin + count) of this tensor.
  Tensor slice_rows(int64_t begin, int64_t count) const {
    return {static_cast<char*>(data) + size_t(begin) * row_bytes(), dtype, count, cols};
  }
  // The same memory seen as [numel / new_cols, new_cols].
  Tensor reshaped(int64_t new_cols) const { return {data, dtype, numel() / new_cols, new_cols}; }
};

}  // namespace turbine
