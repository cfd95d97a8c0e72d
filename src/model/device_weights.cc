#include "model/device_weights.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "common/error.h"

namespace turbine {
namespace {

constexpr size_t kAlignment = 256;
// Conversions go through a host staging buffer of this many bytes of output at a time.
constexpr size_t kStagingBytes = size_t(64) << 20;

size_t align_up(size_t n) { return (n + kAlignment - 1) / kAlignment * kAlignment; }

bool is_float(DType t) { return t == DType::kF32 || t == DType::kBF16 || t == DType::kF16; }

float to_f32(const void* base, DType t, size_t i) {
  switch (t) {
    case DType::kF32: return static_cast<const float*>(base)[i];
    case DType::kBF16: return bf16_to_f32(static_cast<const uint16_t*>(base)[i]);
    case DType::kF16: return f16_to_f32(static_cast<const uint16_t*>(base)[i]);
    default: break;
  }
  fail("DeviceWeights: cannot convert {} weights", dtype_name(t));
}

void store(void* base, DType t, size_t i, float v) {
  switch (t) {
    case DType::kF32: static_cast<float*>(base)[i] = v; return;
    case DType::kBF16: static_cast<uint16_t*>(base)[i] = f32_to_bf16(v); return;
    case DType::kF16: static_cast<uint16_t*>(base)[i] = f32_to_f16(v); return;
    default: break;
  }
  fail("DeviceWeights: cannot convert to {}", dtype_name(t));
}

// Copies (and converts) one tensor's elements to `dst` in backend memory.
void copy_converted(Backend& backend, const Tensor& src, DType dst_dtype, void* dst, std::vector<char>& staging) {
  if (src.dtype == dst_dtype) {
    backend.copy_to_device(dst, src.data, src.nbytes());
    return;
  }
  const size_t n = size_t(src.numel());
  const size_t out_size = dtype_size(dst_dtype);
  const size_t chunk = std::max<size_t>(1, kStagingBytes / out_size);
  staging.resize(std::min(n, chunk) * out_size);
  for (size_t begin = 0; begin < n; begin += chunk) {
    const size_t count = std::min(chunk, n - begin);
    for (size_t i = 0; i < count; ++i) store(staging.data(), dst_dtype, i, to_f32(src.data, src.dtype, begin + i));
    backend.copy_to_device(static_cast<char*>(dst) + begin * out_size, staging.data(), count * out_size);
  }
}

}  // namespace

DeviceWeights DeviceWeights::upload(Backend& backend, const std::vector<Tensor*>& tensors,
                                    const std::vector<std::vector<Tensor*>>& groups) {
  const auto start = std::chrono::steady_clock::now();
  const DType target = backend.activation_dtype();
  // One copy per distinct source tensor (tied embeddings view the same bytes).
  std::map<const void*, size_t> offset_of;
  size_t total = 0;
  for (const std::vector<Tensor*>& group : groups) {
    total = align_up(total);
    for (const Tensor* t : group) {
      TURBINE_CHECK(t->data != nullptr && !offset_of.count(t->data) && is_float(t->dtype),
                    "DeviceWeights: a group member is missing, shared or not a float tensor");
      offset_of[t->data] = total;
      total += size_t(t->numel()) * dtype_size(target);
    }
  }
  total = align_up(total);
  for (const Tensor* t : tensors) {
    if (t->data == nullptr || offset_of.count(t->data)) continue;
    if (!is_float(t->dtype)) fail("DeviceWeights: a {} weight of shape [{}, {}] cannot be uploaded", dtype_name(t->dtype), t->rows, t->cols);
    offset_of[t->data] = total;
    total += align_up(size_t(t->numel()) * dtype_size(target));
  }
  DeviceWeights w;
  if (total == 0) return w;
  w.arena_ = backend.allocate(total);
  // Each Tensor once (a grouped one may also be in `tensors`), each source's bytes copied once.
  std::vector<Tensor*> all;
  std::set<const Tensor*> listed;
  for (const std::vector<Tensor*>& group : groups)
    for (Tensor* t : group)
      if (listed.insert(t).second) all.push_back(t);
  for (Tensor* t : tensors)
    if (listed.insert(t).second) all.push_back(t);
  std::vector<char> staging;
  std::set<const void*> copied;
  for (Tensor* t : all) {
    if (t->data == nullptr) continue;
    const void* source = t->data;
    char* dst = static_cast<char*>(w.arena_.data()) + offset_of.at(source);
    if (copied.insert(source).second) copy_converted(backend, *t, target, dst, staging);
    t->data = dst;
    t->dtype = target;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  spdlog::info("weights: {:.1f} MiB uploaded to the {} in {:.2f} s ({:.1f} GB/s)", double(total) / 1048576.0,
               backend.name(), seconds, double(total) / 1e9 / std::max(seconds, 1e-9));
  return w;
}

}  // namespace turbine
