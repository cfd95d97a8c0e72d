// Helpers for the CUDA conformance tests: device tensors made from host values, BF16 rounding,
// random data, and tolerance checks that also print how close each check came to its bound
// (the numbers the performance and precision notes quote).
//
// The CPU reference ops work on F32; the CUDA backend on BF16. Every test rounds its random
// inputs to BF16 first and gives the reference those rounded values, so the only differences
// left are the GPU's F32 arithmetic and the final BF16 rounding of its outputs.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "backend/cuda/cuda_backend.h"
#include "common/dtype.h"
#include "common/tensor.h"

namespace turbine::test {

// One backend per option set, made once per process (cuBLASLt handles and streams are not free).
inline Backend& cuda_backend(int attention_splits = 0) {
  static std::vector<std::pair<int, std::unique_ptr<Backend>>> backends;
  for (auto& [splits, backend] : backends)
    if (splits == attention_splits) return *backend;
  CudaBackendOptions options;
  options.attention_splits = attention_splits;
  backends.emplace_back(attention_splits, make_cuda_backend(options));
  return *backends.back().second;
}

class CudaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda_device_available()) GTEST_SKIP() << "no CUDA device: the CUDA conformance tests need a GPU";
  }
};

inline std::vector<float> random_floats(std::mt19937& rng, int64_t n, float lo = -1.0f, float hi = 1.0f) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

inline float round_bf16(float x) { return bf16_to_f32(f32_to_bf16(x)); }

inline std::vector<float> round_bf16(std::vector<float> v) {
  for (float& x : v) x = round_bf16(x);
  return v;
}

// Random values already representable in BF16 (what the GPU and the reference both see).
inline std::vector<float> random_bf16(std::mt19937& rng, int64_t n, float lo = -1.0f, float hi = 1.0f) {
  return round_bf16(random_floats(rng, n, lo, hi));
}

// Host storage of `values` in `dtype` (rounded to nearest), for the reference ops' weights.
struct HostTensor {
  std::vector<char> bytes;
  Tensor t;
  HostTensor(DType dtype, int64_t rows, int64_t cols, const std::vector<float>& values) {
    bytes.resize(size_t(rows * cols) * dtype_size(dtype));
    for (size_t i = 0; i < values.size(); ++i) {
      switch (dtype) {
        case DType::kF32: std::memcpy(bytes.data() + 4 * i, &values[i], 4); break;
        case DType::kBF16: {
          const uint16_t h = f32_to_bf16(values[i]);
          std::memcpy(bytes.data() + 2 * i, &h, 2);
          break;
        }
        case DType::kF16: {
          const uint16_t h = f32_to_f16(values[i]);
          std::memcpy(bytes.data() + 2 * i, &h, 2);
          break;
        }
        default: break;  // the tests make compute dtypes only
      }
    }
    t = Tensor{bytes.data(), dtype, rows, cols};
  }
};

inline Tensor f32_view(std::vector<float>& v, int64_t rows, int64_t cols) {
  return Tensor{v.data(), DType::kF32, rows, cols};
}

// A tensor in device memory, `offset_bytes` into its own buffer (to hand kernels pointers that are
// aligned less than cudaMalloc's 256 bytes).
struct DeviceTensor {
  DeviceBuffer buffer;
  Tensor t;

  DeviceTensor() = default;
  DeviceTensor(Backend& backend, DType dtype, int64_t rows, int64_t cols, const std::vector<float>& values,
               size_t offset_bytes = 0) {
    const HostTensor host(dtype, rows, cols, values);
    buffer = backend.allocate(host.bytes.size() + offset_bytes + 16);
    t = Tensor{static_cast<char*>(buffer.data()) + offset_bytes, dtype, rows, cols};
    backend.copy_to_device(t.data, host.bytes.data(), host.bytes.size());
  }
  // An output tensor filled with NaN (all bits set), so unwritten elements fail the comparison.
  static DeviceTensor poisoned(Backend& backend, DType dtype, int64_t rows, int64_t cols, size_t offset_bytes = 0) {
    DeviceTensor d;
    const size_t bytes = size_t(rows * cols) * dtype_size(dtype);
    d.buffer = backend.allocate(bytes + offset_bytes + 16);
    d.t = Tensor{static_cast<char*>(d.buffer.data()) + offset_bytes, dtype, rows, cols};
    const std::vector<unsigned char> nan_bytes(bytes, 0xff);
    backend.copy_to_device(d.t.data, nan_bytes.data(), bytes);
    return d;
  }

  std::vector<float> download(Backend& backend) const {
    std::vector<char> raw(t.nbytes());
    backend.copy_to_host(raw.data(), t.data, raw.size());
    std::vector<float> out(size_t(t.numel()));
    for (size_t i = 0; i < out.size(); ++i) {
      uint16_t h;
      switch (t.dtype) {
        case DType::kF32: std::memcpy(&out[i], raw.data() + 4 * i, 4); break;
        case DType::kBF16: std::memcpy(&h, raw.data() + 2 * i, 2), out[i] = bf16_to_f32(h); break;
        case DType::kF16: std::memcpy(&h, raw.data() + 2 * i, 2), out[i] = f16_to_f32(h); break;
        default: break;  // the tests make compute dtypes only
      }
    }
    return out;
  }
};

inline DeviceBuffer upload_ints(Backend& backend, const std::vector<int32_t>& v) {
  DeviceBuffer b = backend.allocate(std::max<size_t>(v.size(), 1) * sizeof(int32_t));
  backend.copy_to_device(b.data(), v.data(), v.size() * sizeof(int32_t));
  return b;
}

// |actual - expected| <= rel * |expected| + abs (+ extra_abs[i] when given), element by element.
// Prints one line: the worst absolute error and the worst error as a fraction of its bound.
inline void expect_close(const std::vector<float>& actual, const std::vector<float>& expected, double rel, double abs,
                         const std::string& what, const std::vector<double>* extra_abs = nullptr) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  int reported = 0;
  int64_t failures = 0;
  double max_abs = 0.0, max_ratio = 0.0;
  for (size_t i = 0; i < actual.size(); ++i) {
    const double e = expected[i], a = actual[i];
    const double bound = rel * std::fabs(e) + abs + (extra_abs ? (*extra_abs)[i] : 0.0);
    const double err = std::fabs(a - e);
    const bool ok = err <= bound || a == e;
    if (std::isfinite(err)) {
      max_abs = std::max(max_abs, err);
      if (bound > 0) max_ratio = std::max(max_ratio, err / bound);
    }
    if (!ok) {
      ++failures;
      if (reported++ < 5) ADD_FAILURE() << what << ": element " << i << " is " << a << ", expected " << e;
    }
  }
  std::printf("[ stats    ] %-60s n=%-9zu max|err|=%.3g  max err/bound=%.3f%s\n", what.c_str(), actual.size(), max_abs,
              max_ratio, failures ? "  FAILED" : "");
  EXPECT_EQ(failures, 0) << what;
}

}  // namespace turbine::test
