// A backend for load-time tests: its own "device" memory (host memory underneath), BF16
// activations, and a linear table like a GPU's: dense BF16 and INT8 (group scales) run, dense F32
// is converted to BF16 at load, dense F16 is not supported. It runs no op.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include "backend/backend.h"

namespace turbine::testing {

class FakeDeviceBackend final : public Backend {
 public:
  FakeDeviceBackend() {
    table_.run(WeightFormat::kDenseBF16, &FakeDeviceBackend::no_linear)
        .run(WeightFormat::kInt8Group, &FakeDeviceBackend::no_linear)
        .convert(WeightFormat::kDenseF32, WeightFormat::kDenseBF16);
  }

  std::string_view name() const override { return "fake-device"; }
  DType activation_dtype() const override { return DType::kBF16; }
  bool uses_host_memory() const override { return false; }
  DeviceBuffer allocate(size_t bytes) override {
    void* p = std::aligned_alloc(256, (bytes + 255) / 256 * 256);
    std::memset(p, 0, bytes);
    return DeviceBuffer(p, bytes, &std::free);
  }
  void copy_to_device(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
  void copy_to_host(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
  void synchronize() override {}

  const LinearFormatSupport& linear_formats() const override { return table_.support(); }
  using Backend::linear;
  void linear(const Tensor&, const LinearWeights&, Tensor&) override { no_op(); }

  void feed_tokens(int32_t*, const int32_t*, int, const int32_t*, int) override { no_op(); }
  void embedding(const Tensor&, const int32_t*, Tensor&) override { no_op(); }
  void rms_norm(const Tensor&, const Tensor&, float, Tensor&) override { no_op(); }
  void add_rms_norm(Tensor&, const Tensor&, const Tensor&, float, Tensor&) override { no_op(); }
  void layer_norm(const Tensor&, const Tensor&, const Tensor&, float, Tensor&) override { no_op(); }
  void rope(Tensor&, int, const Tensor&) override { no_op(); }
  void silu_mul(const Tensor&, const Tensor&, Tensor&) override { no_op(); }
  void gelu(Tensor&) override { no_op(); }
  void add(Tensor&, const Tensor&) override { no_op(); }
  void silu_mul_fused(const Tensor&, Tensor&) override { no_op(); }
  void gelu_tanh_mul(const Tensor&, const Tensor&, Tensor&) override { no_op(); }
  void gelu_tanh_mul_fused(const Tensor&, Tensor&) override { no_op(); }
  void scale(Tensor&, float) override { no_op(); }
  void softcap(Tensor&, float) override { no_op(); }
  void moe_route(const Tensor&, int, bool, Tensor&, Tensor&) override { no_op(); }
  void moe_experts(const Tensor&, const Tensor&, const Tensor&, const MoeExpertWeights&, Tensor&) override { no_op(); }
  void add_sigmoid_scaled(Tensor&, const Tensor&, const Tensor&) override { no_op(); }
  void qkv_rope_write_kv(const Tensor&, const Tensor&, int, int, int, const QkHeadNorm&, const AttentionBatch&,
                         KvCacheLayer&, Tensor&) override {
    no_op();
  }
  void write_kv(const Tensor&, const Tensor&, const AttentionBatch&, KvCacheLayer&) override { no_op(); }
  void attention(const Tensor&, const KvCacheLayer&, const AttentionBatch&, const AttentionShape&, Tensor&) override {
    no_op();
  }
  void gather_rows(const Tensor&, const int32_t*, Tensor&) override { no_op(); }

 private:
  void no_linear(const Tensor&, const LinearWeights&, Tensor&) { no_op(); }
  static void no_op() { ADD_FAILURE() << "the fake device backend runs no op"; }

  LinearKernelTable<void (FakeDeviceBackend::*)(const Tensor&, const LinearWeights&, Tensor&)> table_;
};

}  // namespace turbine::testing
