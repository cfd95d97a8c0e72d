// The linear driver: packs x once, converts the bias, and splits the output over the thread
// pool (over output columns, so each thread streams its own contiguous slice of the weight, or
// over rows of x when there are many rows and few columns). The kernels do the arithmetic.
#pragma once

#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/scratch_buffer.h"
#include "common/tensor.h"
#include "common/thread_pool.h"

namespace turbine::cpu {

struct LinearScratch {
  ScratchBuffer packed_x;
  ScratchBuffer bias;
};

// out = x · weight^T + bias; shapes already checked (check_linear_shapes).
void run_linear(const CpuKernels& kernels, ThreadPool& pool, LinearScratch& scratch, const Tensor& x,
                const Tensor& weight, const Tensor* bias, Tensor& out);

}  // namespace turbine::cpu
