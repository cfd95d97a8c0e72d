#include "backend/cpu/cpu_linear.h"

#include <algorithm>
#include <cstring>

namespace turbine::cpu {
namespace {

// Below this many multiply-adds a dispatch to the pool costs more than it saves.
constexpr int64_t kMinParallelMacs = 32 * 1024;
// Column ranges handed to threads are multiples of this, so tiles stay whole.
constexpr int64_t kColumnGroup = 16;
// Row ranges of x handed to threads (when splitting over rows) are multiples of this.
constexpr int64_t kRowGroup = 4;

}  // namespace

void run_linear(const CpuKernels& kernels, ThreadPool& pool, LinearScratch& scratch, const Tensor& x,
                const Tensor& weight, const Tensor* bias, Tensor& out) {
  const int64_t m = x.rows, k = x.cols, n = weight.rows;
  if (m == 0 || n == 0) return;

  const float* bias_f32 = nullptr;
  if (bias != nullptr) {
    float* b = scratch.bias.get<float>(size_t(n));
    kernels.convert_to_f32(bias->data, bias->dtype, b, n);
    bias_f32 = b;
  }
  if (k == 0) {
    for (int64_t r = 0; r < m; ++r) {
      float* o = out.as<float>() + r * out.cols;
      for (int64_t c = 0; c < n; ++c) o[c] = bias_f32 ? bias_f32[c] : 0.0f;
    }
    return;
  }

  const int64_t stride = kernels.linear_packed_floats(k);
  float* packed = scratch.packed_x.get<float>(size_t(m * stride));
  const bool parallel = m * n * k >= kMinParallelMacs && pool.num_threads() > 1;
  auto pack = [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      kernels.linear_pack_row(x.as<const float>() + r * k, k, weight.dtype, packed + r * stride);
    }
  };
  if (parallel && m * k >= 64 * 1024) {
    pool.parallel_for(m, pack);
  } else {
    pack(0, m);
  }

  LinearArgs args;
  args.x_packed = packed;
  args.x_stride = stride;
  args.m = m;
  args.k = k;
  args.w = weight.data;
  args.w_dtype = weight.dtype;
  args.bias = bias_f32;
  args.out = out.as<float>();
  args.out_stride = out.cols;

  if (!parallel) {
    kernels.linear(args, 0, n);
    return;
  }
  const int threads = pool.num_threads();
  const int64_t column_groups = (n + kColumnGroup - 1) / kColumnGroup;
  // Split over columns unless that leaves threads idle while rows of x are plentiful.
  if (column_groups >= 4 * threads || m < 4 * kRowGroup * threads) {
    pool.parallel_for(column_groups, [&](int64_t g0, int64_t g1) {
      kernels.linear(args, g0 * kColumnGroup, std::min(g1 * kColumnGroup, n));
    });
    return;
  }
  const int64_t row_groups = (m + kRowGroup - 1) / kRowGroup;
  pool.parallel_for(row_groups, [&](int64_t g0, int64_t g1) {
    LinearArgs part = args;
    const int64_t r0 = g0 * kRowGroup, r1 = std::min(g1 * kRowGroup, m);
    part.x_packed = packed + r0 * stride;
    part.out = args.out + r0 * args.out_stride;
    part.m = r1 - r0;
    kernels.linear(part, 0, n);
  });
}

}  // namespace turbine::cpu
