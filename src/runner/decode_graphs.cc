#include "runner/decode_graphs.h"

#include <algorithm>

#include "common/error.h"

namespace turbine {

std::vector<int> DecodeGraphs::ladder(int max_batch) {
  std::vector<int> sizes;
  for (int s : {1, 2, 4})
    if (s <= max_batch) sizes.push_back(s);
  for (int s = 8; s <= std::min(max_batch, 256); s += 8) sizes.push_back(s);
  for (int s = 272; s <= max_batch; s += 16) sizes.push_back(s);  // coarser where padding costs less
  if (sizes.empty() || sizes.back() != max_batch) sizes.push_back(max_batch);
  return sizes;
}

DecodeGraphs::DecodeGraphs(Backend& backend, int max_batch, int table_stride)
    : backend_(backend), max_batch_(max_batch), ladder_(ladder(max_batch)) {
  TURBINE_CHECK(max_batch > 0 && table_stride > 0, "DecodeGraphs: {} x {}", max_batch, table_stride);
  const size_t b = size_t(max_batch);
  const size_t total_ints = 8 * b + 1 + b * size_t(table_stride);
  device_buffer_ = backend.allocate(total_ints * sizeof(int32_t));
  for (int slot = 0; slot < 2; ++slot) {
    host_buffers_[slot] = backend.allocate_host(total_ints * sizeof(int32_t));
    int32_t* p = static_cast<int32_t*>(host_buffers_[slot].data());
    DecodeInputs& h = host_[slot];
    h.ids = p;
    h.feed = p + b;
    h.positions = p + 2 * b;
    h.step_lens = p + 3 * b;
    h.slots = p + 4 * b;
    h.seq_lens = p + 5 * b;
    h.logits_rows = p + 6 * b;
    h.query_start = p + 7 * b;  // b + 1 entries
    h.block_tables = p + 8 * b + 1;
    h.table_stride = table_stride;
  }
  device_ids_ = static_cast<int32_t*>(device_buffer_.data());
  device_feed_ = device_ids_ + b;
}

int DecodeGraphs::padded_size(int batch) const {
  const auto it = std::lower_bound(ladder_.begin(), ladder_.end(), batch);
  return it == ladder_.end() ? 0 : *it;
}

ForwardBatch DecodeGraphs::upload(int batch, int padded, int table_width, bool copy_tables) {
  TURBINE_CHECK(batch >= 0 && padded > 0 && batch <= padded && padded <= max_batch_,
                "DecodeGraphs: batch {} padded {}", batch, padded);
  TURBINE_CHECK(table_width >= 1 && table_width <= host_[0].table_stride, "DecodeGraphs: table width {} (stride {})",
                table_width, host_[0].table_stride);
  DecodeInputs& h = host_[slot_];
  const int32_t* base = static_cast<const int32_t*>(host_buffers_[slot_].data());
  slot_ ^= 1;
  for (int i = 0; i < padded; ++i) {
    h.query_start[i] = i;
    h.logits_rows[i] = i;
  }
  h.query_start[padded] = padded;
  for (int i = batch; i < padded; ++i) {  // the null block's slot 0, position 0, one token of context
    h.ids[i] = 0;
    h.feed[i] = -1;
    h.positions[i] = 0;
    h.step_lens[i] = 1;
    h.slots[i] = 0;
    h.seq_lens[i] = 1;
    h.block_tables[size_t(i) * size_t(h.table_stride)] = 0;
  }
  // One copy of the per-row arrays, one of the used prefix of the padded rows' block tables.
  const size_t head_ints = size_t(h.block_tables - base);
  backend_.copy_to_device_async(device_buffer_.data(), base, head_ints * sizeof(int32_t));
  if (copy_tables) {
    backend_.copy_to_device_async_2d(static_cast<int32_t*>(device_buffer_.data()) + head_ints, h.block_tables,
                                     size_t(h.table_stride) * sizeof(int32_t), size_t(table_width) * sizeof(int32_t),
                                     size_t(padded));
  }

  auto on_device = [&](const int32_t* p) {
    return static_cast<const int32_t*>(device_buffer_.data()) + (p - base);
  };
  ForwardBatch f;
  f.num_tokens = padded;
  f.token_ids = on_device(h.ids);
  f.positions = on_device(h.positions);
  f.attention.num_seqs = padded;
  f.attention.num_tokens = padded;
  f.attention.query_start = on_device(h.query_start);
  f.attention.seq_lens = on_device(h.seq_lens);
  f.attention.block_tables = on_device(h.block_tables);
  f.attention.max_blocks_per_seq = h.table_stride;
  f.attention.slot_mapping = on_device(h.slots);
  f.logits_rows = on_device(h.logits_rows);
  f.num_logits = padded;
  f.positions_host = h.positions;
  f.step_lens_host = h.step_lens;
  return f;
}

void DecodeGraphs::run(int padded, const std::function<void()>& forward) {
  if (const auto it = graphs_.find(padded); it != graphs_.end()) {
    backend_.replay(it->second);
    return;
  }
  if (warmed_.insert(padded).second) {
    forward();
    return;
  }
  backend_.replay(capture(padded, forward));
}

int DecodeGraphs::capture(int padded, const std::function<void()>& forward) {
  if (warmed_.insert(padded).second) forward();
  backend_.begin_capture();
  try {
    forward();
  } catch (...) {
    try {
      backend_.end_capture();
    } catch (...) {
    }
    throw;
  }
  const int graph = backend_.end_capture();
  graphs_[padded] = graph;
  return graph;
}

int DecodeGraphs::capture_all(const std::function<void(const ForwardBatch&)>& forward) {
  int captured = 0;
  // Largest first: a failure (memory) shows at once, before the many small sizes.
  for (auto it = ladder_.rbegin(); it != ladder_.rend(); ++it) {
    const int padded = *it;
    if (graphs_.contains(padded)) continue;
    const ForwardBatch batch = upload(0, padded, 1);
    capture(padded, [&] { forward(batch); });
    // The warm-up run read this slot's staging: finish it before the slot comes round again.
    backend_.synchronize();
    ++captured;
  }
  return captured;
}

}  // namespace turbine
