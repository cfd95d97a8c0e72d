// DecodeGraphs: decode steps replayed as CUDA graphs.
//
// A decode step of a large model is hundreds of small kernel launches; launched one by one from
// the host they cost more than the GPU needs to run them at small batch. A graph records the
// step once and replays it with one launch. A graph replays the same memory, so decode steps run
// on a fixed input layout: every array at a fixed address, sized for the largest batch, with the
// block tables at a fixed row stride (the blocks of the longest sequence). The batch is padded
// up to the next size of a ladder (1, 2, 4, multiples of 8 to 256, then of 16, as vLLM does;
// at most kMaxDecodeGraphBatch rows, beyond which a step is GPU-bound anyway) so that a few
// graphs cover every batch; padded rows decode token 0 at position 0 into the reserved null
// block's first slot (engine/kv/block_id.h) and their logits are ignored.
//
// The host side of the layout comes in two slots, used in turn: with a step scheduled ahead, the
// runner fills the next step's inputs while the copy of the step in flight may still be queued.
//
// Every size is captured at start-up (capture_all), as vLLM does, so that no step while serving
// pays the ~20 ms of an eager warm-up run plus a capture: each size runs once eagerly on padding
// rows only (it warms up cuBLASLt's algorithm choice and loads kernels), then is captured. A size
// met before it was captured (when capture_all was not called) follows the same two steps live.
// Whatever a captured step's ops read besides these inputs (weights, the KV cache, the model's
// workspace, backend scratch, the logits buffer) must not move afterwards: the model and the
// runner reserve them once, up front.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <vector>

#include "backend/backend.h"
#include "model/model.h"

namespace turbine {

// The largest decode batch replayed as a graph; larger steps run eagerly (vLLM's default too).
inline constexpr int kMaxDecodeGraphBatch = 512;

// Host views of the fixed layout (pinned memory), for the runner to fill for `batch` rows.
struct DecodeInputs {
  int32_t* ids;
  int32_t* feed;  // per row: the row of the previous step's samples to take the id from, or -1
  int32_t* positions;
  int32_t* step_lens;
  int32_t* slots;
  int32_t* query_start;  // [max_batch + 1]
  int32_t* seq_lens;
  int32_t* logits_rows;
  int32_t* block_tables;  // [max_batch, table_stride]
  int table_stride;
};

class DecodeGraphs {
 public:
  DecodeGraphs(Backend& backend, int max_batch, int table_stride);

  // The ladder of captured sizes up to max_batch.
  static std::vector<int> ladder(int max_batch);
  // The smallest ladder size >= batch, or 0 when the batch is larger than every size.
  int padded_size(int batch) const;

  // The slot to fill for the next upload.
  DecodeInputs host_inputs() const { return host_[slot_]; }
  // Pads rows [batch, padded) of the host inputs, queues their copy to the device and returns
  // the step's batch over the device copy (logits wanted for every row, in order), then moves on
  // to the other slot. Only the first `table_width` entries of each block-table row are copied
  // (the most blocks any of the step's sequences holds): at a long context the full stride would
  // be megabytes a step. With `copy_tables` false the block tables are not copied at all: the
  // caller knows the device copy already holds these rows' tables (the same sequences in the same
  // rows, none of them changed since; padding rows keep the null block's entry).
  // `batch` may be 0 (every row padding: capture_all).
  ForwardBatch upload(int batch, int padded, int table_width, bool copy_tables = true);
  // The device copies of the ids and of the feed rows (fixed addresses), for Backend::feed_tokens.
  int32_t* device_ids() const { return device_ids_; }
  const int32_t* device_feed() const { return device_feed_; }
  // Runs the step of size `padded`: `forward` issues its ops (eagerly, or into a capture).
  void run(int padded, const std::function<void()>& forward);
  // Captures every ladder size not captured yet, each over padding rows only (the null block),
  // synchronizing after each: `forward(batch)` issues the ops of one size over `batch`, which
  // upload() made. Returns how many graphs it captured.
  int capture_all(const std::function<void(const ForwardBatch&)>& forward);

  size_t num_graphs() const { return graphs_.size(); }

 private:
  // Runs `forward` eagerly if the size has not run yet, then captures it.
  int capture(int padded, const std::function<void()>& forward);

  Backend& backend_;
  int max_batch_;
  std::vector<int> ladder_;
  DeviceBuffer host_buffers_[2];
  DeviceBuffer device_buffer_;
  DecodeInputs host_[2]{};
  int slot_ = 0;
  int32_t* device_ids_ = nullptr;
  const int32_t* device_feed_ = nullptr;
  std::map<int, int> graphs_;  // padded size -> backend graph
  std::set<int> warmed_;  // sizes that have run once eagerly
};

}  // namespace turbine
