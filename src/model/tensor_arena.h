// TensorArena: memory a model owns for the tensors it derives at load instead of viewing the
// checkpoint in place (Gemma's 1 + w norms, GPT-NeoX's and Falcon's de-interleaved q/k/v rows).
// Addresses are stable for the arena's life.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <vector>

#include "common/dtype.h"
#include "common/tensor.h"

namespace turbine {

class TensorArena {
 public:
  // A zero-filled [rows, cols] tensor of `dtype`.
  Tensor allocate(DType dtype, int64_t rows, int64_t cols) {
    const size_t bytes = size_t(rows * cols) * dtype_size(dtype);
    blocks_.push_back(std::make_unique<std::byte[]>(bytes == 0 ? 1 : bytes));
    return {blocks_.back().get(), dtype, rows, cols};
  }
  // A copy of rows `rows` of `src` (in that order), same dtype.
  Tensor gather_rows(const Tensor& src, const std::vector<int64_t>& rows) {
    Tensor out = allocate(src.dtype, int64_t(rows.size()), src.cols);
    for (size_t i = 0; i < rows.size(); ++i)
      std::memcpy(static_cast<std::byte*>(out.data) + i * out.row_bytes(),
                  static_cast<const std::byte*>(src.data) + size_t(rows[i]) * src.row_bytes(), src.row_bytes());
    return out;
  }

 private:
  std::vector<std::unique_ptr<std::byte[]>> blocks_;
};

}  // namespace turbine
