#include "backend/cuda/sampling/sampling_stage.h"

#include <cstdint>
#include <cstring>

#include "backend/cuda/common/cuda_check.h"
#include "backend/cuda/sampling/gpu_sampler.h"
#include "backend/cuda/sampling/token_bitmask_kernel.h"
#include "common/error.h"

namespace turbine::cuda {
namespace {

size_t align16(size_t n) { return (n + 15) / 16 * 16; }

}  // namespace

void SamplingStage::Block::release() {
  if (data == nullptr) return;
  if (pinned) {
    TURBINE_CUDA_CHECK_TEARDOWN(cudaFreeHost(data));
  } else {
    TURBINE_CUDA_CHECK_TEARDOWN(cudaFree(data));
  }
  data = nullptr;
  bytes = 0;
}

void SamplingStage::Block::reserve(size_t need) {
  if (need <= bytes) return;
  release();
  const size_t grown = need + need / 2;
  if (pinned) {
    TURBINE_CUDA_CHECK(cudaHostAlloc(&data, grown, cudaHostAllocDefault));
  } else {
    TURBINE_CUDA_CHECK(cudaMalloc(&data, grown));
  }
  bytes = grown;
}

SamplingStage::~SamplingStage() {
  for (Slot& slot : slots_) {
    if (slot.done != nullptr) TURBINE_CUDA_CHECK_TEARDOWN(cudaEventSynchronize(slot.done));
    slot.in_host.release();
    slot.out_host.release();
    if (slot.done != nullptr) TURBINE_CUDA_CHECK_TEARDOWN(cudaEventDestroy(slot.done));
  }
  in_device_.release();
  out_device_.release();
}

const int32_t* SamplingStage::launch(const DeviceSamplingBatch& batch, cudaStream_t stream) {
  TURBINE_CHECK(uncollected_.size() < 2, "sample_async: two samples are already uncollected");
  const Tensor& logits = batch.logits;
  const int rows = int(batch.rows.size());
  TURBINE_CHECK(logits.dtype == DType::kF32 && logits.rows == rows && (rows == 0 || logits.data != nullptr),
                "sample: logits must be F32 [{} rows, vocab], got {} rows", rows, logits.rows);
  TURBINE_CHECK(rows == 0 || (logits.cols >= 1 && logits.cols <= kGpuSamplingMaxVocab),
                "sample: vocabulary of {} is outside [1, {}]", logits.cols, kGpuSamplingMaxVocab);
  bool want_top = false;
  // Mask rows in token_bitmask, and the most any row reads (-1: no row is masked).
  const size_t mask_rows = batch.bitmask_words > 0 ? batch.token_bitmask.size() / size_t(batch.bitmask_words) : 0;
  int32_t max_mask_row = -1;
  for (const SamplingRow& r : batch.rows) {
    TURBINE_CHECK(r.adjust_begin >= 0 && r.adjust_begin <= r.adjust_end && size_t(r.adjust_end) <= batch.adjustments.size() &&
                      r.suppress_begin >= 0 && r.suppress_begin <= r.suppress_end &&
                      size_t(r.suppress_end) <= batch.suppressed.size() && r.num_logprobs >= 0 &&
                      r.num_logprobs <= kMaxDeviceLogprobs,
                  "sample: a row's ranges or logprob count are out of bounds");
    TURBINE_CHECK(r.bitmask_row >= -1 && (r.bitmask_row < 0 || (batch.bitmask_words >= 1 && size_t(r.bitmask_row) < mask_rows)),
                  "sample: bitmask row {} is outside the {} mask rows of {} words", r.bitmask_row, mask_rows,
                  batch.bitmask_words);
    want_top |= r.num_logprobs > 0;
    if (r.bitmask_row > max_mask_row) max_mask_row = r.bitmask_row;
  }
  // This slot's previous launch was collected (at most two are outstanding), so its pinned
  // buffers are free: the device has run both of its copies.
  const int slot_index = next_slot_;
  next_slot_ ^= 1;
  Slot& slot = slots_[slot_index];
  if (slot.done == nullptr) TURBINE_CUDA_CHECK(cudaEventCreateWithFlags(&slot.done, cudaEventDisableTiming));
  slot.result = {};
  uncollected_.push_back(slot_index);
  if (rows == 0) {
    TURBINE_CUDA_CHECK(cudaEventRecord(slot.done, stream));
    return nullptr;
  }

  // In: [rows | adjustments | suppressed | masks], each 16-byte aligned, one copy. Only the mask
  // rows up to the highest one in use travel, and none when no row is masked.
  const size_t rows_bytes = align16(size_t(rows) * sizeof(SamplingRow));
  const size_t adjust_bytes = align16(batch.adjustments.size() * sizeof(SamplingTokenAdjustment));
  const size_t suppress_bytes = align16(batch.suppressed.size() * sizeof(int32_t));
  const size_t mask_words = max_mask_row >= 0 ? size_t(max_mask_row + 1) * size_t(batch.bitmask_words) : 0;
  const size_t mask_bytes = align16(mask_words * sizeof(uint32_t));
  const size_t in_bytes = rows_bytes + adjust_bytes + suppress_bytes + mask_bytes;
  // Out: [tokens | logprobs | top ids | top logprobs | workspace]; the first four come back.
  const size_t top = size_t(rows) * kGpuMaxLogprobs;
  const size_t tokens_bytes = align16(size_t(rows) * sizeof(int32_t));
  const size_t logprobs_bytes = align16(size_t(rows) * sizeof(float));
  const size_t top_bytes = align16(top * sizeof(int32_t));
  const size_t back_bytes = tokens_bytes + logprobs_bytes + (want_top ? 2 * top_bytes : 0);
  const size_t workspace_bytes = align16(gpu_sampling_workspace_bytes(rows, int(logits.cols)));
  const size_t out_bytes = tokens_bytes + logprobs_bytes + 2 * top_bytes + workspace_bytes;
  // The device buffers are shared by both slots: queued work may still read them, so wait before
  // growing one (rare: only when a batch is larger than any before).
  if (in_bytes > in_device_.bytes || out_bytes > out_device_.bytes) TURBINE_CUDA_CHECK(cudaStreamSynchronize(stream));
  in_device_.reserve(in_bytes);
  out_device_.reserve(out_bytes);
  slot.in_host.reserve(in_bytes);
  slot.out_host.reserve(back_bytes);

  char* h = static_cast<char*>(slot.in_host.data);
  std::memcpy(h, batch.rows.data(), batch.rows.size_bytes());
  if (!batch.adjustments.empty()) std::memcpy(h + rows_bytes, batch.adjustments.data(), batch.adjustments.size_bytes());
  if (!batch.suppressed.empty())
    std::memcpy(h + rows_bytes + adjust_bytes, batch.suppressed.data(), batch.suppressed.size_bytes());
  if (mask_words > 0)
    std::memcpy(h + rows_bytes + adjust_bytes + suppress_bytes, batch.token_bitmask.data(), mask_words * sizeof(uint32_t));
  TURBINE_CUDA_CHECK(cudaMemcpyAsync(in_device_.data, h, in_bytes, cudaMemcpyHostToDevice, stream));
  char* d = static_cast<char*>(in_device_.data);
  char* o = static_cast<char*>(out_device_.data);

  GpuSamplingBatch b;
  b.logits = static_cast<float*>(logits.data);
  b.rows = rows;
  b.vocab = int32_t(logits.cols);
  b.params = reinterpret_cast<const GpuSamplingRow*>(d);
  b.adjustments = batch.adjustments.empty() ? nullptr : reinterpret_cast<GpuTokenAdjustment*>(d + rows_bytes);
  b.suppressed_tokens = batch.suppressed.empty() ? nullptr : reinterpret_cast<const int32_t*>(d + rows_bytes + adjust_bytes);
  b.out_tokens = reinterpret_cast<int32_t*>(o);
  b.out_logprobs = reinterpret_cast<float*>(o + tokens_bytes);
  if (want_top) {
    b.out_top_ids = reinterpret_cast<int32_t*>(o + tokens_bytes + logprobs_bytes);
    b.out_top_logprobs = reinterpret_cast<float*>(o + tokens_bytes + logprobs_bytes + top_bytes);
  }
  b.workspace = workspace_bytes > 0 ? o + tokens_bytes + logprobs_bytes + 2 * top_bytes : nullptr;
  if (mask_words > 0) {
    // Structured output: the masked rows' banned logits become -inf before the sampler reads
    // them, so its logprobs, transforms and filters all see the masked row (as on the host).
    TokenBitmaskBatch m;
    m.logits = b.logits;
    m.rows = rows;
    m.vocab = b.vocab;
    m.params = b.params;
    m.bitmask = reinterpret_cast<const uint32_t*>(d + rows_bytes + adjust_bytes + suppress_bytes);
    m.words = batch.bitmask_words;
    launch_token_bitmask(m, stream);
  }
  launch_gpu_sampling(b, stream);

  TURBINE_CUDA_CHECK(cudaMemcpyAsync(slot.out_host.data, o, back_bytes, cudaMemcpyDeviceToHost, stream));
  TURBINE_CUDA_CHECK(cudaEventRecord(slot.done, stream));

  const char* back = static_cast<const char*>(slot.out_host.data);
  DeviceSamplingResult& r = slot.result;
  r.tokens = {reinterpret_cast<const int32_t*>(back), size_t(rows)};
  r.logprobs = {reinterpret_cast<const float*>(back + tokens_bytes), size_t(rows)};
  if (want_top) {
    r.top_ids = {reinterpret_cast<const int32_t*>(back + tokens_bytes + logprobs_bytes), top};
    r.top_logprobs = {reinterpret_cast<const float*>(back + tokens_bytes + logprobs_bytes + top_bytes), top};
  }
  return b.out_tokens;
}

DeviceSamplingResult SamplingStage::collect() {
  TURBINE_CHECK(!uncollected_.empty(), "collect_sampled without a sample_async");
  Slot& slot = slots_[uncollected_.front()];
  uncollected_.pop_front();
  TURBINE_CUDA_CHECK(cudaEventSynchronize(slot.done));
  return slot.result;
}

}  // namespace turbine::cuda
