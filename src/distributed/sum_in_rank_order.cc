#include "distributed/sum_in_rank_order.h"

#include <algorithm>
#include <array>

namespace turbine {

namespace {

// Element loads and stores through float, per dtype.
struct F32Element {
  using Storage = float;
  static float load(Storage v) { return v; }
  static Storage store(float v) { return v; }
};
struct BF16Element {
  using Storage = uint16_t;
  static float load(Storage v) { return bf16_to_f32(v); }
  static Storage store(float v) { return f32_to_bf16(v); }
};
struct F16Element {
  using Storage = uint16_t;
  static float load(Storage v) { return f16_to_f32(v); }
  static Storage store(float v) { return f32_to_f16(v); }
};

template <typename Element>
void sum_elements(std::span<void* const> buffers, int64_t begin, int64_t end) {
  using Storage = typename Element::Storage;
  // A chunk of sums at a time: each buffer is then read as a contiguous stream.
  constexpr int64_t kChunk = 512;
  std::array<float, kChunk> sums;
  for (int64_t chunk = begin; chunk < end; chunk += kChunk) {
    const int64_t n = std::min(kChunk, end - chunk);
    const auto* first = static_cast<const Storage*>(buffers[0]) + chunk;
    for (int64_t i = 0; i < n; ++i) sums[i] = Element::load(first[i]);
    for (size_t b = 1; b < buffers.size(); ++b) {
      const auto* src = static_cast<const Storage*>(buffers[b]) + chunk;
      for (int64_t i = 0; i < n; ++i) sums[i] += Element::load(src[i]);
    }
    for (void* buffer : buffers) {
      auto* dst = static_cast<Storage*>(buffer) + chunk;
      for (int64_t i = 0; i < n; ++i) dst[i] = Element::store(sums[i]);
    }
  }
}

}  // namespace

void sum_in_rank_order(DType dtype, std::span<void* const> buffers, int64_t begin, int64_t end) {
  if (buffers.empty() || begin >= end) return;
  switch (dtype) {
    case DType::kF32: return sum_elements<F32Element>(buffers, begin, end);
    case DType::kBF16: return sum_elements<BF16Element>(buffers, begin, end);
    case DType::kF16: return sum_elements<F16Element>(buffers, begin, end);
  }
}

}  // namespace turbine
