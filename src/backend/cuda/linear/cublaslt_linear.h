// linear() through cuBLASLt (and, for a few rows of x, the GEMV kernel of gemv.h): out[m, n] = x[m, k] * weight[n, k]^T (+ bias), BF16 operands, F32
// accumulation, BF16 or F32 output.
//
// cuBLASLt is column-major, Turbine row-major: a row-major [r, c] array is a column-major [c, r]
// one, so out^T (n x m) = weight (k x n, transposed) * x^T (k x m): A = weight with op T, B = x,
// both with leading dimension k, and D with leading dimension n. The bias then runs along D's
// rows, which is exactly cuBLASLt's BIAS epilogue (one value per output feature).
//
// Picking an algorithm (the heuristic query) costs tens of microseconds, so the choice is made once
// per (m, n, k, output dtype, bias, pointer alignments) and cached with its descriptors. One
// workspace serves every call: calls run in order on the backend's one stream.
#pragma once

#include <cublasLt.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "common/tensor.h"

namespace turbine::cuda {

class CublasLtLinear {
 public:
  explicit CublasLtLinear(size_t workspace_bytes = size_t(32) << 20);
  ~CublasLtLinear();
  CublasLtLinear(const CublasLtLinear&) = delete;
  CublasLtLinear& operator=(const CublasLtLinear&) = delete;

  // Shapes and dtypes are checked by the caller (op_checks.h): x, weight BF16 with k % 8 == 0;
  // out BF16 or F32; x, weight and out 16-byte aligned; bias [1, n] of any dtype or null.
  // A few rows of x (decode) go to the GEMV kernel (gemv.h), the rest to cuBLASLt.
  void run(const Tensor& x, const Tensor& weight, const Tensor* bias, Tensor& out, cudaStream_t stream);
  // The same through cuBLASLt at any m (the benchmark's baseline).
  void run_cublaslt(const Tensor& x, const Tensor& weight, const Tensor* bias, Tensor& out, cudaStream_t stream);

  size_t cached_plans() const { return index_.size(); }

 private:
  struct Key {
    int64_t m, n, k;
    int out_dtype;
    bool bias_epilogue;
    uint32_t align_x, align_w, align_out;
    auto operator<=>(const Key&) const = default;
  };
  struct Plan;

  Plan& plan_for(const Key& key);

  cublasLtHandle_t handle_ = nullptr;
  void* workspace_ = nullptr;
  size_t workspace_bytes_ = 0;
  std::vector<std::unique_ptr<Plan>> plans_;
  std::map<Key, Plan*> index_;  // a key whose epilogue found no algorithm points at its plain plan
};

}  // namespace turbine::cuda
