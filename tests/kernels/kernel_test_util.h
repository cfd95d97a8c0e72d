// Helpers for the CPU kernel conformance tests: owned host tensors, random data, the list of
// kernel configurations this machine can run, and tolerance checks against the reference ops.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "common/cpu_features.h"
#include "common/dtype.h"
#include "common/tensor.h"

namespace turbine::test {

// A tensor that owns 64-byte aligned memory, with `offset_bytes` of slack before the data so
// tests can hand kernels deliberately misaligned pointers (mmapped weights are not aligned).
class HostTensor {
 public:
  HostTensor() = default;
  HostTensor(DType dtype, int64_t rows, int64_t cols, size_t offset_bytes = 0)
      : storage_(static_cast<char*>(std::aligned_alloc(64, round_up(size_t(rows * cols) * dtype_size(dtype) + offset_bytes + 64)))) {
    std::memset(storage_.get(), 0, round_up(size_t(rows * cols) * dtype_size(dtype) + offset_bytes + 64));
    tensor_ = Tensor{storage_.get() + offset_bytes, dtype, rows, cols};
  }
  Tensor& t() { return tensor_; }
  const Tensor& t() const { return tensor_; }
  float* f32() const { return tensor_.as<float>(); }
  uint16_t* u16() const { return tensor_.as<uint16_t>(); }

 private:
  static size_t round_up(size_t v) { return (v + 63) / 64 * 64; }
  struct Free {
    void operator()(char* p) const { std::free(p); }
  };
  std::unique_ptr<char, Free> storage_;
  Tensor tensor_;
};

// Uniform in [lo, hi].
inline std::vector<float> random_floats(std::mt19937& rng, int64_t n, float lo = -1.0f, float hi = 1.0f) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

// Values exactly representable in BF16, F16 and F32 alike (8 significant bits, magnitude either
// 0 or >= 2^-10), so one reference result serves every weight dtype.
inline std::vector<float> random_weight_values(std::mt19937& rng, int64_t n) {
  std::vector<float> v = random_floats(rng, n);
  for (float& x : v) {
    x = bf16_to_f32(f32_to_bf16(x));
    if (std::fabs(x) < 1.0f / 1024) x = 0.0f;
  }
  return v;
}

inline HostTensor make_f32(int64_t rows, int64_t cols, const std::vector<float>& values) {
  HostTensor t(DType::kF32, rows, cols);
  std::memcpy(t.f32(), values.data(), values.size() * sizeof(float));
  return t;
}

// `values` stored as dtype (rounding to nearest), at a byte offset of `offset_bytes`.
inline HostTensor make_weight(DType dtype, int64_t rows, int64_t cols, const std::vector<float>& values,
                              size_t offset_bytes = 0) {
  HostTensor t(dtype, rows, cols, offset_bytes);
  for (size_t i = 0; i < values.size(); ++i) {
    switch (dtype) {
      case DType::kF32: t.f32()[i] = values[i]; break;
      case DType::kBF16: t.u16()[i] = f32_to_bf16(values[i]); break;
      case DType::kF16: t.u16()[i] = f32_to_f16(values[i]); break;
      default: break;  // the tests make compute dtypes only
    }
  }
  return t;
}

// A kernel configuration to test: every level this CPU can run, AVX-512 with and without BF16.
struct CpuConfig {
  std::string name;
  CpuBackendOptions options;
};

inline std::vector<CpuConfig> available_cpu_configs(int num_threads = 2) {
  const CpuFeatures f = detect_cpu_features();
  const CpuIsa best = max_cpu_isa(f);
  std::vector<CpuConfig> configs;
  auto add = [&](std::string name, CpuIsa isa, bool bf16) {
    CpuBackendOptions o;
    o.num_threads = num_threads;
    o.isa = isa;
    o.use_avx512_bf16 = bf16;
    configs.push_back({std::move(name), o});
  };
  add("scalar", CpuIsa::kScalar, false);
  if (int(best) >= int(CpuIsa::kAvx2)) add("avx2", CpuIsa::kAvx2, false);
  if (int(best) >= int(CpuIsa::kAvx512)) {
    add("avx512", CpuIsa::kAvx512, false);
    if (f.avx512_bf16) add("avx512_bf16", CpuIsa::kAvx512, true);
  }
  return configs;
}

// One backend per configuration, made once and shared by every test in the binary (making
// backends per case would spend the test's time starting thread pools).
struct ConfiguredBackend {
  std::string name;
  std::unique_ptr<Backend> backend;
};

inline std::vector<ConfiguredBackend>& cpu_backends() {
  static std::vector<ConfiguredBackend> backends = [] {
    std::vector<ConfiguredBackend> list;
    for (const CpuConfig& c : available_cpu_configs()) list.push_back({c.name, make_cpu_backend(c.options)});
    return list;
  }();
  return backends;
}

// Checks |actual - expected| <= rel * |expected| + abs element by element; reports the first few
// failures with their index.
inline void expect_close(const float* actual, const float* expected, int64_t n, double rel, double abs,
                         const std::string& what) {
  int reported = 0;
  int64_t failures = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double e = expected[i], a = actual[i];
    const bool ok = std::fabs(a - e) <= rel * std::fabs(e) + abs || (std::isnan(e) && std::isnan(a)) || a == e;
    if (!ok) {
      ++failures;
      if (reported++ < 5) ADD_FAILURE() << what << ": element " << i << " is " << a << ", expected " << e;
    }
  }
  EXPECT_EQ(failures, 0) << what;
}

}  // namespace turbine::test
