// Helpers for the CUDA conformance tests: device tensors made from host values, BF16 rounding,
// random data, and tolerance checks that also print how close each check came to its bound
// (the numbers the performance and precision notes quote); the rope and qkv_rope_write_kv checks
// that full and partial rotary share.
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
#include "backend/cpu/reference_ops.h"
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

// Index arrays live on the GPU, so the kernels check them and the backend aborts at the next
// synchronising call; host checks abort at once. Death tests re-run the binary for the statement
// ("threadsafe"), so the child makes its own CUDA context.
class CudaDeathTest : public CudaTest {
 protected:
  void SetUp() override {
    CudaTest::SetUp();
    GTEST_FLAG_SET(death_test_style, "threadsafe");
  }
};

// One BF16 rounding of the output costs up to 2^-8 relative; one ulp (2^-7) leaves room for the F32
// arithmetic before it, and still catches any real indexing or math error.
constexpr double kBf16Rel = 1.0 / 128;

inline std::string shape_name(const char* op, int64_t rows, int64_t cols) {
  return std::string(op) + " [" + std::to_string(rows) + ", " + std::to_string(cols) + "]";
}

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

// cos | sin rows [tokens, rotary_dim] of real rotary angles: position * 10000^(-2i/rotary_dim),
// positions up to 5000.
inline std::vector<float> rotary_table(std::mt19937& rng, int64_t tokens, int rotary_dim) {
  std::vector<float> cs(size_t(tokens * rotary_dim));
  const int half = rotary_dim / 2;
  for (int64_t t = 0; t < tokens; ++t) {
    const double pos = double(rng() % 5000);
    for (int i = 0; i < half; ++i) {
      const double angle = pos * std::pow(10000.0, -2.0 * i / rotary_dim);
      cs[size_t(t * rotary_dim + i)] = float(std::cos(angle));
      cs[size_t(t * rotary_dim + half + i)] = float(std::sin(angle));
    }
  }
  return cs;
}

// The elements [rotary_dim, head_dim) of every head of rows [tokens, heads * head_dim].
inline std::vector<float> head_tails(const std::vector<float>& x, int64_t rows, int heads, int head_dim,
                                     int rotary_dim) {
  std::vector<float> tails;
  for (int64_t r = 0; r < rows; ++r)
    for (int h = 0; h < heads; ++h) {
      const auto at = x.begin() + r * heads * head_dim + int64_t(h) * head_dim;
      tails.insert(tails.end(), at + rotary_dim, at + head_dim);
    }
  return tails;
}

// rope over [tokens, heads * head_dim] against the reference; with rotary_dim < head_dim the rest
// of each head must come back bit for bit.
inline void check_rope(Backend& b, std::mt19937& rng, int head_dim, int rotary_dim, int heads, int64_t tokens) {
  const int64_t cols = int64_t(heads) * head_dim;
  std::vector<float> cos_sin = rotary_table(rng, tokens, rotary_dim);
  std::vector<float> x = random_bf16(rng, tokens * cols, -2.0f, 2.0f);
  std::vector<float> expected = x;
  Tensor ref_x = f32_view(expected, tokens, cols);
  reference::rope(ref_x, head_dim, f32_view(cos_sin, tokens, rotary_dim));
  DeviceTensor dx(b, DType::kBF16, tokens, cols, x);
  const DeviceTensor dcs(b, DType::kF32, tokens, rotary_dim, cos_sin);
  b.rope(dx.t, head_dim, dcs.t);
  const std::vector<float> got = dx.download(b);
  const std::string what =
      shape_name("rope", tokens, cols) + " d=" + std::to_string(head_dim) + " r=" + std::to_string(rotary_dim);
  expect_close(got, expected, kBf16Rel, 1e-5, what);
  if (rotary_dim < head_dim) {
    expect_close(head_tails(got, tokens, heads, head_dim, rotary_dim), head_tails(x, tokens, heads, head_dim, rotary_dim),
                 0.0, 0.0, what + " tails");
  }
}

struct QkvRopeShape {
  int heads, kv_heads, head_dim, rotary_dim;
  int64_t tokens;
};

// The fused qkv_rope_write_kv against the reference: q and both caches, distinct slots in a
// scrambled order with one padding token (-1) when there are several, with or without Qwen3's
// per-head q/k norm. Without the norm and with rotary_dim < head_dim, the pass-through elements
// are copies and must come back bit for bit.
inline void check_qkv_rope_write_kv(Backend& b, std::mt19937& rng, const QkvRopeShape& s, bool with_norm) {
  const int64_t q_cols = int64_t(s.heads) * s.head_dim, kv_cols = int64_t(s.kv_heads) * s.head_dim;
  const std::vector<float> q_w = random_bf16(rng, s.head_dim, 0.5f, 1.5f), k_w = random_bf16(rng, s.head_dim, 0.5f, 1.5f);
  std::vector<float> q_w_f32 = q_w, k_w_f32 = k_w;
  const Tensor host_q_w = f32_view(q_w_f32, 1, s.head_dim), host_k_w = f32_view(k_w_f32, 1, s.head_dim);
  const DeviceTensor dq_w(b, DType::kBF16, 1, s.head_dim, q_w), dk_w(b, DType::kBF16, 1, s.head_dim, k_w);
  QkHeadNorm host_norm, device_norm;
  if (with_norm) {
    host_norm = {&host_q_w, &host_k_w, 1e-6f};
    device_norm = {&dq_w.t, &dk_w.t, 1e-6f};
  }
  const int64_t cols = q_cols + 2 * kv_cols, cache_rows = 2 * s.tokens + 3;
  std::vector<float> qkv = random_bf16(rng, s.tokens * cols, -2.0f, 2.0f);
  std::vector<float> cos_sin = rotary_table(rng, s.tokens, s.rotary_dim);
  std::vector<int32_t> slots(static_cast<size_t>(s.tokens));
  for (int64_t t = 0; t < s.tokens; ++t) slots[size_t(t)] = int32_t((t * 7 + 1) % cache_rows);
  if (s.tokens > 1) slots[1] = -1;
  std::vector<float> ref_q(size_t(s.tokens * q_cols)), ref_k(size_t(cache_rows * kv_cols), 0.0f), ref_v(ref_k);
  Tensor rq = f32_view(ref_q, s.tokens, q_cols);
  KvCacheLayer ref_cache{f32_view(ref_k, cache_rows, kv_cols), f32_view(ref_v, cache_rows, kv_cols)};
  AttentionBatch host_batch;
  host_batch.num_tokens = int(s.tokens);
  host_batch.slot_mapping = slots.data();
  reference::qkv_rope_write_kv(f32_view(qkv, s.tokens, cols), f32_view(cos_sin, s.tokens, s.rotary_dim), s.heads,
                               s.kv_heads, s.head_dim, host_norm, host_batch, ref_cache, rq);

  const DeviceTensor dqkv(b, DType::kBF16, s.tokens, cols, qkv);
  const DeviceTensor dcs(b, DType::kF32, s.tokens, s.rotary_dim, cos_sin);
  DeviceTensor dq = DeviceTensor::poisoned(b, DType::kBF16, s.tokens, q_cols);
  DeviceTensor kc(b, DType::kBF16, cache_rows, kv_cols, std::vector<float>(ref_k.size(), 0.0f));
  DeviceTensor vc(b, DType::kBF16, cache_rows, kv_cols, std::vector<float>(ref_v.size(), 0.0f));
  KvCacheLayer cache{kc.t, vc.t};
  DeviceBuffer dslots = upload_ints(b, slots);
  AttentionBatch batch;
  batch.num_tokens = int(s.tokens);
  batch.slot_mapping = static_cast<const int32_t*>(dslots.data());
  b.qkv_rope_write_kv(dqkv.t, dcs.t, s.heads, s.kv_heads, s.head_dim, device_norm, batch, cache, dq.t);
  const std::string what = shape_name("qkv_rope_write_kv", s.tokens, cols) + " d=" + std::to_string(s.head_dim) +
                           " r=" + std::to_string(s.rotary_dim) + (with_norm ? " with q/k norm" : "");
  const std::vector<float> got_q = dq.download(b), got_k = kc.download(b);
  expect_close(got_q, ref_q, kBf16Rel, 1e-5, what + " q");
  expect_close(got_k, ref_k, kBf16Rel, 1e-5, what + " k cache");
  expect_close(vc.download(b), ref_v, 0.0, 0.0, what + " v cache");
  if (!with_norm && s.rotary_dim < s.head_dim) {
    std::vector<float> q_in(size_t(s.tokens * q_cols));
    for (int64_t t = 0; t < s.tokens; ++t) std::copy_n(qkv.begin() + t * cols, q_cols, q_in.begin() + t * q_cols);
    expect_close(head_tails(got_q, s.tokens, s.heads, s.head_dim, s.rotary_dim),
                 head_tails(q_in, s.tokens, s.heads, s.head_dim, s.rotary_dim), 0.0, 0.0, what + " q tails");
    expect_close(head_tails(got_k, cache_rows, s.kv_heads, s.head_dim, s.rotary_dim),
                 head_tails(round_bf16(ref_k), cache_rows, s.kv_heads, s.head_dim, s.rotary_dim), 0.0, 0.0,
                 what + " k tails");
  }
}

}  // namespace turbine::test
