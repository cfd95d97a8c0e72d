#include "model/rope_tables.h"

#include "common/error.h"

namespace turbine {

RopeTables::RopeTables(const std::vector<RopeConfig>& ropes, int head_dim, int64_t max_position_embeddings)
    : head_dim_(head_dim), device_buffers_(ropes.size()), device_tables_(ropes.size()) {
  embeddings_.reserve(ropes.size());
  for (const RopeConfig& rope : ropes) embeddings_.emplace_back(rope, head_dim, max_position_embeddings);
}

void RopeTables::upload(Backend& backend, int64_t max_model_len) {
  if (backend.uses_host_memory()) return;
  std::vector<int32_t> pos, lens;
  std::vector<float> rows;
  for (size_t i = 0; i < embeddings_.size(); ++i) {
    if (max_model_len <= device_tables_[i].rows) continue;
    if (!embeddings_[i].exact_for_lengths_up_to(max_model_len)) {
      // A table shorter than the positions to come would be read past its end: host rows instead.
      device_tables_[i] = Tensor();
      device_buffers_[i] = DeviceBuffer();
      continue;
    }
    pos.resize(size_t(max_model_len));
    lens.assign(size_t(max_model_len), 1);
    for (int64_t p = 0; p < max_model_len; ++p) pos[size_t(p)] = int32_t(p);
    rows.resize(size_t(max_model_len) * size_t(width(int(i))));
    embeddings_[i].fill(pos.data(), lens.data(), int(max_model_len), rows.data());
    device_buffers_[i] = backend.allocate(rows.size() * sizeof(float));
    backend.copy_to_device(device_buffers_[i].data(), rows.data(), rows.size() * sizeof(float));
    device_tables_[i] = device_buffers_[i].as_tensor(DType::kF32, max_model_len, width(int(i)));
  }
}

bool RopeTables::on_device() const {
  for (const Tensor& t : device_tables_)
    if (t.data == nullptr) return false;
  return true;
}

void RopeTables::fill_step(Backend& backend, const ForwardBatch& batch, Tensor* out,
                           std::vector<float>& host_rows) const {
  for (size_t i = 0; i < embeddings_.size(); ++i) {
    TURBINE_CHECK(out[i].rows == batch.num_tokens && out[i].cols == width(int(i)), "RoPE rows are [{}, {}]",
                  out[i].rows, out[i].cols);
    if (device_tables_[i].data) {
      backend.gather_rows(device_tables_[i], batch.positions, out[i]);
      continue;
    }
    // Computed on the host (cheap: tokens x rotary width) and copied over.
    host_rows.resize(size_t(batch.num_tokens) * size_t(width(int(i))));
    embeddings_[i].fill(batch.positions_host, batch.step_lens_host, batch.num_tokens, host_rows.data());
    backend.copy_to_device(out[i].data, host_rows.data(), host_rows.size() * sizeof(float));
  }
}

}  // namespace turbine
