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

float to_f32(const void* base, DType t, size_t i) {
  if (!is_compute_dtype(t)) fail("DeviceWeights: cannot convert {} weights", dtype_name(t));
  return compute_element_to_f32(base, t, i);
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

void add_linear_uploads(const LinearFormatSupport& support, LinearWeights& w, DType bias_dtype,
                        std::vector<WeightUpload>& uploads) {
  if (w.empty()) return;
  const auto prepared = support.prepared_as(w.format);
  TURBINE_CHECK(prepared.has_value(), "DeviceWeights: weight format {} has no entry in the backend's table",
                weight_format_name(w.format));
  TURBINE_CHECK(*prepared == w.format || (is_dense(w.format) && is_dense(*prepared)),
                "DeviceWeights: {} prepared as {}: only dense formats convert", weight_format_name(w.format),
                weight_format_name(*prepared));
  uploads.push_back({&w.weight, weight_storage_dtype(*prepared)});
  for (Tensor* t : {&w.scales, &w.zeros})
    if (t->data) uploads.push_back({t, t->dtype});
  if (w.bias.data) uploads.push_back({&w.bias, bias_dtype});
  w.format = *prepared;
}

DeviceWeights DeviceWeights::upload(Backend& backend, const std::vector<WeightUpload>& uploads,
                                    const std::vector<std::vector<Tensor*>>& groups) {
  const auto start = std::chrono::steady_clock::now();
  // The dtype of each distinct source's copy (tied embeddings view the same bytes: they must agree).
  std::map<const void*, DType> dtype_of;
  for (const WeightUpload& u : uploads) {
    const Tensor& t = *u.tensor;
    if (t.data == nullptr) continue;
    TURBINE_CHECK(u.dtype == t.dtype || (is_compute_dtype(u.dtype) && is_compute_dtype(t.dtype)),
                  "DeviceWeights: a {} tensor [{}, {}] cannot be converted to {}", dtype_name(t.dtype), t.rows, t.cols,
                  dtype_name(u.dtype));
    const auto [it, inserted] = dtype_of.emplace(t.data, u.dtype);
    TURBINE_CHECK(it->second == u.dtype, "DeviceWeights: one tensor's bytes asked for as {} and as {}",
                  dtype_name(it->second), dtype_name(u.dtype));
  }
  auto copy_bytes = [&](const Tensor* t) { return size_t(t->numel()) * dtype_size(dtype_of.at(t->data)); };
  std::map<const void*, size_t> offset_of;
  size_t total = 0;
  for (const std::vector<Tensor*>& group : groups) {
    total = align_up(total);
    for (const Tensor* t : group) {
      TURBINE_CHECK(t->data != nullptr && !offset_of.count(t->data) && dtype_of.count(t->data),
                    "DeviceWeights: a group member is missing, shared or not among the uploads");
      offset_of[t->data] = total;
      total += copy_bytes(t);
    }
  }
  total = align_up(total);
  for (const WeightUpload& u : uploads) {
    const Tensor* t = u.tensor;
    if (t->data == nullptr || offset_of.count(t->data)) continue;
    offset_of[t->data] = total;
    total += align_up(copy_bytes(t));
  }
  DeviceWeights w;
  if (total == 0) return w;
  w.arena_ = backend.allocate(total);
  // Each Tensor once, each source's bytes copied once.
  std::set<const Tensor*> repointed;
  std::set<const void*> copied;
  std::vector<char> staging;
  for (const WeightUpload& u : uploads) {
    Tensor* t = u.tensor;
    if (t->data == nullptr || !repointed.insert(t).second) continue;
    const void* source = t->data;
    char* dst = static_cast<char*>(w.arena_.data()) + offset_of.at(source);
    if (copied.insert(source).second) copy_converted(backend, *t, u.dtype, dst, staging);
    t->data = dst;
    t->dtype = u.dtype;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  spdlog::info("weights: {:.1f} MiB uploaded to the {} in {:.2f} s ({:.1f} GB/s)", double(total) / 1048576.0,
               backend.name(), seconds, double(total) / 1e9 / std::max(seconds, 1e-9));
  return w;
}

}  // namespace turbine
