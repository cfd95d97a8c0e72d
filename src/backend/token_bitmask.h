// Packed allowed-token masks: bit (id % 32) of word (id / 32) is set when token `id` may be
// sampled. Structured output (src/structured) fills one per constrained row; this is the host
// (reference) application, which the CUDA sampler's kernel mirrors (backend/cuda/sampling).
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>
#include <span>

namespace turbine {

inline constexpr int32_t token_bitmask_words(int64_t vocab) { return int32_t((vocab + 31) / 32); }

inline bool token_allowed(std::span<const uint32_t> mask, int64_t id) {
  return size_t(id >> 5) < mask.size() && ((mask[size_t(id >> 5)] >> (id & 31)) & 1) != 0;
}

inline void allow_token(std::span<uint32_t> mask, int64_t id) { mask[size_t(id >> 5)] |= 1u << (id & 31); }

// The n-th (from 0) allowed id of the mask; n must be below the number of allowed ids.
inline int32_t nth_allowed_token(std::span<const uint32_t> mask, int n) {
  for (size_t i = 0;; ++i) {
    const int c = std::popcount(mask[i]);
    if (n < c) {
      uint32_t bits = mask[i];
      for (; n > 0; --n) bits &= bits - 1;
      return int32_t(i * 32 + size_t(std::countr_zero(bits)));
    }
    n -= c;
  }
}

// Sets every logit of a disallowed id to -inf (ids past the mask's words included).
inline void apply_token_bitmask(std::span<float> logits, std::span<const uint32_t> mask) {
  constexpr float kBanned = -std::numeric_limits<float>::infinity();
  const size_t n = logits.size();
  for (size_t w = 0; w * 32 < n; ++w) {
    const uint32_t bits = w < mask.size() ? mask[w] : 0u;
    if (bits == ~0u) continue;
    const size_t end = std::min(n, w * 32 + 32);
    for (size_t id = w * 32; id < end; ++id)
      if (!((bits >> (id & 31)) & 1)) logits[id] = kBanned;
  }
}

}  // namespace turbine
