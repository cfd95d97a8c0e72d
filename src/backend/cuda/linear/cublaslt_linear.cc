#include "backend/cuda/linear/cublaslt_linear.h"

#include "backend/cuda/common/cuda_check.h"
#include "backend/cuda/linear/bias_add.h"
#include "backend/cuda/linear/gemv.h"
#include "common/error.h"

namespace turbine::cuda {
namespace {

// linear() with at most this many rows of x runs the bandwidth-bound GEMV kernel (gemv.cu), more
// rows go to cuBLASLt. Measured with bench_gemv on an H200 (2026-11-21, weights cycled through
// 1 GB, graph replay), one Llama-3.1-8B layer (qkv 4096->6144, o 4096->4096, gate_up
// 4096->28672, down 14336->4096) summed, GEMV / cuBLASLt: 112.7 / 116.7 us at m = 1, 112.3 /
// 117.3 at m = 4, 113.6 / 118.0 at m = 8, but 123.7 / 115.3 at m = 16 (two 8-token MMA tiles
// double the x traffic and the registers); an earlier run gave the same split. Per shape at
// m <= 8: 1.5x at 4096->1024, 1.1-1.2x at 4096->4096, 0.95-1.06x on the larger layers and the
// lm head (run-to-run noise there is ~4%).
constexpr int64_t kGemvMaxRows = 8;
static_assert(kGemvMaxRows <= kGemvMaxM);

cudaDataType_t cuda_type(DType t) {
  switch (t) {
    case DType::kF32: return CUDA_R_32F;
    case DType::kBF16: return CUDA_R_16BF;
    case DType::kF16: return CUDA_R_16F;
    default: break;  // compute dtypes only: the op checks refuse storage dtypes
  }
  TURBINE_CHECK(false, "unknown dtype");
  return CUDA_R_32F;
}

// The largest power of two (up to the 256 bytes cuBLASLt asks about) dividing the address.
uint32_t alignment_of(const void* p) {
  const auto a = reinterpret_cast<uintptr_t>(p);
  if (a == 0) return 256;
  const uintptr_t low = a & (~a + 1);
  return uint32_t(low >= 256 ? 256 : low);
}

}  // namespace

struct CublasLtLinear::Plan {
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, d = nullptr;
  cublasLtMatmulAlgo_t algo{};
  bool bias_epilogue = false;  // false: the bias (if any) is added by bias_add afterwards

  ~Plan() {
    if (d) TURBINE_CUBLAS_CHECK(cublasLtMatrixLayoutDestroy(d));
    if (b) TURBINE_CUBLAS_CHECK(cublasLtMatrixLayoutDestroy(b));
    if (a) TURBINE_CUBLAS_CHECK(cublasLtMatrixLayoutDestroy(a));
    if (desc) TURBINE_CUBLAS_CHECK(cublasLtMatmulDescDestroy(desc));
  }

  // Builds the descriptors; returns false when the heuristic offers no algorithm.
  bool build(cublasLtHandle_t handle, const Key& key, size_t workspace_bytes) {
    TURBINE_CUBLAS_CHECK(cublasLtMatmulDescCreate(&desc, CUBLAS_COMPUTE_32F, CUDA_R_32F));
    const cublasOperation_t trans_a = CUBLAS_OP_T, trans_b = CUBLAS_OP_N;
    TURBINE_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSA, &trans_a, sizeof(trans_a)));
    TURBINE_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSB, &trans_b, sizeof(trans_b)));
    bias_epilogue = key.bias_epilogue;
    if (bias_epilogue) {
      const cublasLtEpilogue_t epilogue = CUBLASLT_EPILOGUE_BIAS;
      TURBINE_CUBLAS_CHECK(
          cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_EPILOGUE, &epilogue, sizeof(epilogue)));
      // The bias type defaults to D's (BF16): the only case that takes the epilogue.
    }
    TURBINE_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&a, CUDA_R_16BF, uint64_t(key.k), uint64_t(key.n), key.k));
    TURBINE_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&b, CUDA_R_16BF, uint64_t(key.k), uint64_t(key.m), key.k));
    TURBINE_CUBLAS_CHECK(
        cublasLtMatrixLayoutCreate(&d, cuda_type(DType(key.out_dtype)), uint64_t(key.n), uint64_t(key.m), key.n));

    cublasLtMatmulPreference_t pref = nullptr;
    TURBINE_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&pref));
    const uint64_t ws = workspace_bytes;
    TURBINE_CUBLAS_CHECK(
        cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof(ws)));
    // Tell the heuristic the real alignments: it assumes 256 bytes otherwise, and weights uploaded
    // from a safetensors blob or activation views at a row offset may be aligned less.
    const uint32_t align_a = key.align_w, align_b = key.align_x, align_d = key.align_out;
    TURBINE_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES,
                                                              &align_a, sizeof(align_a)));
    TURBINE_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES,
                                                              &align_b, sizeof(align_b)));
    TURBINE_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES,
                                                              &align_d, sizeof(align_d)));
    TURBINE_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES,
                                                              &align_d, sizeof(align_d)));
    cublasLtMatmulHeuristicResult_t result{};
    int found = 0;
    const cublasStatus_t status = cublasLtMatmulAlgoGetHeuristic(handle, desc, a, b, d, d, pref, 1, &result, &found);
    TURBINE_CUBLAS_CHECK(cublasLtMatmulPreferenceDestroy(pref));
    if (status == CUBLAS_STATUS_NOT_SUPPORTED || found == 0) return false;
    TURBINE_CUBLAS_CHECK(status);
    algo = result.algo;
    return true;
  }
};

CublasLtLinear::CublasLtLinear(size_t workspace_bytes) : workspace_bytes_(workspace_bytes) {
  TURBINE_CUBLAS_CHECK(cublasLtCreate(&handle_));
  TURBINE_CUDA_CHECK(cudaMalloc(&workspace_, workspace_bytes_));
}

CublasLtLinear::~CublasLtLinear() {
  index_.clear();
  plans_.clear();
  if (workspace_) TURBINE_CUDA_CHECK_TEARDOWN(cudaFree(workspace_));
  if (handle_) TURBINE_CUBLAS_CHECK(cublasLtDestroy(handle_));
}

CublasLtLinear::Plan& CublasLtLinear::plan_for(const Key& key) {
  if (auto it = index_.find(key); it != index_.end()) return *it->second;
  auto plan = std::make_unique<Plan>();
  if (!plan->build(handle_, key, workspace_bytes_)) {
    TURBINE_CHECK(key.bias_epilogue, "linear: cuBLASLt has no algorithm for m={} n={} k={} ({} output, alignments "
                                     "x={} weight={} out={})",
                  key.m, key.n, key.k, dtype_name(DType(key.out_dtype)), key.align_x, key.align_w, key.align_out);
    // No algorithm with the bias epilogue: the plain GEMM, with the bias added separately.
    Key plain = key;
    plain.bias_epilogue = false;
    Plan& fallback = plan_for(plain);
    index_.emplace(key, &fallback);
    return fallback;
  }
  Plan* p = plan.get();
  plans_.push_back(std::move(plan));
  index_.emplace(key, p);
  return *p;
}

void CublasLtLinear::run(const Tensor& x, const Tensor& weight, const Tensor* bias, Tensor& out, cudaStream_t stream) {
  if (out.rows == 0 || out.cols == 0) return;
  if (x.rows <= kGemvMaxRows) {
    launch_gemv(x, weight, bias, out, stream);
    return;
  }
  run_cublaslt(x, weight, bias, out, stream);
}

void CublasLtLinear::run_cublaslt(const Tensor& x, const Tensor& weight, const Tensor* bias, Tensor& out,
                                  cudaStream_t stream) {
  if (out.rows == 0 || out.cols == 0) return;
  const bool epilogue = bias != nullptr && bias->dtype == DType::kBF16 && out.dtype == DType::kBF16 &&
                        alignment_of(bias->data) >= 16;
  const Key key{x.rows,
                weight.rows,
                x.cols,
                int(out.dtype),
                epilogue,
                alignment_of(x.data),
                alignment_of(weight.data),
                alignment_of(out.data)};
  Plan& plan = plan_for(key);
  if (plan.bias_epilogue) {
    const void* bias_ptr = bias->data;
    TURBINE_CUBLAS_CHECK(
        cublasLtMatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias_ptr, sizeof(bias_ptr)));
  }
  const float alpha = 1.0f, beta = 0.0f;
  TURBINE_CUBLAS_CHECK(cublasLtMatmul(handle_, plan.desc, &alpha, weight.data, plan.a, x.data, plan.b, &beta,
                                      out.data, plan.d, out.data, plan.d, &plan.algo, workspace_, workspace_bytes_,
                                      stream));
  if (bias != nullptr && !plan.bias_epilogue) {
    launch_bias_add(out.data, out.dtype, bias->data, bias->dtype, out.rows, out.cols, stream);
  }
}

}  // namespace turbine::cuda
