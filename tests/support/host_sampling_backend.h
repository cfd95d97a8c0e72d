// A CPU backend that also takes the device-sampling path (Backend::supports_sampling), for tests
// on a machine without a GPU: every op goes to the wrapped CPU backend, and sample_async()
// samples each row on the host with the runner's Sampler, from the SamplingRow, adjustments,
// suppressed ids and token bitmask exactly as the CUDA sampling stage receives them
// (backend/device_sampling.h). So the runner's device path - its sampling rows, grammar masks,
// token feeding and the sampling it defers for steps launched ahead - runs in CI, and its
// outputs can be compared with the host path's (TURBINE_TEST_DEVICE=cpu-sampling).
//
// Results are computed at sample_async() (the CPU has no queue) and kept in three slots, so that
// they stay valid until two more calls, as the contract says.
#pragma once

#include <algorithm>
#include <array>
#include <deque>
#include <memory>
#include <vector>

#include "backend/backend.h"
#include "backend/token_bitmask.h"
#include "common/error.h"
#include "runner/sampler.h"

namespace turbine::test_support {

class HostSamplingBackend final : public Backend {
 public:
  explicit HostSamplingBackend(std::unique_ptr<Backend> cpu) : cpu_(std::move(cpu)) {
    TURBINE_CHECK(cpu_->uses_host_memory(), "HostSamplingBackend wraps a backend on host memory");
  }

  // ---- The sampling contract, on the host.
  bool supports_sampling() const override { return true; }

  const int32_t* sample_async(const DeviceSamplingBatch& batch) override {
    TURBINE_CHECK(pending_.size() < 2, "sample_async with two samples uncollected");
    const int64_t vocab = batch.logits.cols;
    Slot& slot = slots_[next_slot_];
    next_slot_ = (next_slot_ + 1) % slots_.size();
    const size_t rows = batch.rows.size();
    slot.tokens.assign(rows, -1);
    slot.logprobs.assign(rows, 0.0f);
    const bool any_logprobs =
        std::ranges::any_of(batch.rows, [](const SamplingRow& r) { return r.num_logprobs > 0; });
    slot.top_ids.assign(any_logprobs ? rows * kMaxDeviceLogprobs : 0, -1);
    slot.top_logprobs.assign(slot.top_ids.size(), 0.0f);
    float* logits = static_cast<float*>(batch.logits.data);
    for (size_t i = 0; i < rows; ++i) {
      const SamplingRow& row = batch.rows[i];
      const std::span<float> row_logits(logits + i * size_t(vocab), size_t(vocab));
      if (row.bitmask_row >= 0)
        apply_token_bitmask(row_logits, batch.token_bitmask.subspan(size_t(row.bitmask_row) * size_t(batch.bitmask_words),
                                                                     size_t(batch.bitmask_words)));
      // The request's parameters and context, rebuilt from the row: the adjustments carry the
      // bias, whether a token is in the prompt and how often it was generated, which is all the
      // transforms read.
      SamplingParams params;
      params.temperature = row.temperature;
      params.top_k = row.top_k;
      params.top_p = row.top_p;
      params.min_p = row.min_p;
      params.logprobs = row.num_logprobs;
      params.repetition_penalty = row.repetition_penalty;
      params.frequency_penalty = row.frequency_penalty;
      params.presence_penalty = row.presence_penalty;
      prompt_.clear();
      output_.clear();
      for (int32_t a = row.adjust_begin; a < row.adjust_end; ++a) {
        const SamplingTokenAdjustment& adj = batch.adjustments[size_t(a)];
        if (adj.bias != 0.0f) params.logit_bias[adj.token] = adj.bias;
        if (adj.in_prompt != 0) prompt_.push_back(adj.token);
        output_.insert(output_.end(), size_t(std::max(adj.output_count, 0)), adj.token);
      }
      const SamplingContext context{prompt_, output_,
                                    batch.suppressed.subspan(size_t(row.suppress_begin),
                                                             size_t(row.suppress_end - row.suppress_begin))};
      const SampleResult r = sampler_.sample(row_logits, params, context, row.uniform);
      slot.tokens[i] = r.token;
      slot.logprobs[i] = r.logprob;
      for (size_t k = 0; k < r.top_logprobs.size() && k < size_t(kMaxDeviceLogprobs); ++k) {
        slot.top_ids[i * kMaxDeviceLogprobs + k] = r.top_logprobs[k].first;
        slot.top_logprobs[i * kMaxDeviceLogprobs + k] = r.top_logprobs[k].second;
      }
    }
    pending_.push_back(&slot);
    return slot.tokens.data();
  }

  DeviceSamplingResult collect_sampled() override {
    TURBINE_CHECK(!pending_.empty(), "collect_sampled without a sample_async");
    const Slot& slot = *pending_.front();
    pending_.pop_front();
    return {slot.tokens, slot.logprobs, slot.top_ids, slot.top_logprobs};
  }

  // ---- Everything else: the CPU backend's.
  std::string_view name() const override { return "cpu+host-sampling"; }
  DType activation_dtype() const override { return cpu_->activation_dtype(); }
  bool uses_host_memory() const override { return true; }
  std::optional<DeviceMemoryInfo> device_memory() const override { return cpu_->device_memory(); }
  void reserve_scratch(int max_tokens, const AttentionShape& shape) override { cpu_->reserve_scratch(max_tokens, shape); }
  DeviceBuffer allocate(size_t bytes) override { return cpu_->allocate(bytes); }
  void copy_to_device(void* dst, const void* src, size_t bytes) override { cpu_->copy_to_device(dst, src, bytes); }
  void copy_to_host(void* dst, const void* src, size_t bytes) override { cpu_->copy_to_host(dst, src, bytes); }
  void synchronize() override { cpu_->synchronize(); }
  DeviceBuffer allocate_host(size_t bytes) override { return cpu_->allocate_host(bytes); }
  void copy_to_device_async(void* dst, const void* src, size_t bytes) override {
    cpu_->copy_to_device_async(dst, src, bytes);
  }
  void copy_to_device_async_2d(void* dst, const void* src, size_t pitch, size_t width, size_t rows) override {
    cpu_->copy_to_device_async_2d(dst, src, pitch, width, rows);
  }
  bool supports_graphs() const override { return cpu_->supports_graphs(); }
  void feed_tokens(int32_t* ids, const int32_t* sources, int n, const int32_t* sampled, int num_sampled) override {
    cpu_->feed_tokens(ids, sources, n, sampled, num_sampled);
  }
  void embedding(const Tensor& table, const int32_t* ids, Tensor& out) override { cpu_->embedding(table, ids, out); }
  void rms_norm(const Tensor& x, const Tensor& weight, float eps, Tensor& out) override {
    cpu_->rms_norm(x, weight, eps, out);
  }
  void add_rms_norm(Tensor& residual, const Tensor& x, const Tensor& weight, float eps, Tensor& out) override {
    cpu_->add_rms_norm(residual, x, weight, eps, out);
  }
  void layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps, Tensor& out) override {
    cpu_->layer_norm(x, weight, bias, eps, out);
  }
  const LinearFormatSupport& linear_formats() const override { return cpu_->linear_formats(); }
  void linear(const Tensor& x, const LinearWeights& w, Tensor& out) override { cpu_->linear(x, w, out); }
  void rope(Tensor& x, int head_dim, const Tensor& cos_sin) override { cpu_->rope(x, head_dim, cos_sin); }
  void silu_mul(const Tensor& gate, const Tensor& up, Tensor& out) override { cpu_->silu_mul(gate, up, out); }
  void gelu(Tensor& x) override { cpu_->gelu(x); }
  void add(Tensor& x, const Tensor& y) override { cpu_->add(x, y); }
  void silu_mul_fused(const Tensor& gate_up, Tensor& out) override { cpu_->silu_mul_fused(gate_up, out); }
  void gelu_tanh_mul(const Tensor& gate, const Tensor& up, Tensor& out) override { cpu_->gelu_tanh_mul(gate, up, out); }
  void gelu_tanh_mul_fused(const Tensor& gate_up, Tensor& out) override { cpu_->gelu_tanh_mul_fused(gate_up, out); }
  void scale(Tensor& x, float s) override { cpu_->scale(x, s); }
  void softcap(Tensor& x, float cap) override { cpu_->softcap(x, cap); }
  void moe_route(const Tensor& router_logits, int top_k, bool renormalize, Tensor& ids, Tensor& weights) override {
    cpu_->moe_route(router_logits, top_k, renormalize, ids, weights);
  }
  void moe_experts(const Tensor& x, const Tensor& ids, const Tensor& weights, const MoeExpertWeights& experts,
                   Tensor& out) override {
    cpu_->moe_experts(x, ids, weights, experts, out);
  }
  void add_sigmoid_scaled(Tensor& x, const Tensor& y, const Tensor& gate) override {
    cpu_->add_sigmoid_scaled(x, y, gate);
  }
  void qkv_rope_write_kv(const Tensor& qkv, const Tensor& cos_sin, int num_heads, int num_kv_heads, int head_dim,
                         const QkHeadNorm& head_norm, const AttentionBatch& batch, KvCacheLayer& cache,
                         Tensor& q) override {
    cpu_->qkv_rope_write_kv(qkv, cos_sin, num_heads, num_kv_heads, head_dim, head_norm, batch, cache, q);
  }
  void write_kv(const Tensor& k, const Tensor& v, const AttentionBatch& batch, KvCacheLayer& cache) override {
    cpu_->write_kv(k, v, batch, cache);
  }
  void attention(const Tensor& q, const KvCacheLayer& cache, const AttentionBatch& batch, const AttentionShape& shape,
                 Tensor& out) override {
    cpu_->attention(q, cache, batch, shape, out);
  }
  void gather_rows(const Tensor& x, const int32_t* rows, Tensor& out) override { cpu_->gather_rows(x, rows, out); }
  void copy_kv_blocks(KvCacheLayer& cache, const int32_t* pairs, int num_pairs, int block_size) override {
    cpu_->copy_kv_blocks(cache, pairs, num_pairs, block_size);
  }

 private:
  struct Slot {
    std::vector<int32_t> tokens;
    std::vector<float> logprobs;
    std::vector<int32_t> top_ids;
    std::vector<float> top_logprobs;
  };
  std::unique_ptr<Backend> cpu_;
  Sampler sampler_;
  std::array<Slot, 3> slots_;
  size_t next_slot_ = 0;
  std::deque<const Slot*> pending_;
  std::vector<int32_t> prompt_, output_;
};

}  // namespace turbine::test_support
