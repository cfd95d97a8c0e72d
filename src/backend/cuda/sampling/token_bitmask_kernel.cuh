// The token-bitmask kernel's body (token_bitmask_kernel.h has the contract). Included by
// token_bitmask_kernel.cu (nvcc) and by emulation/emulated_sampler.cc, which runs it on the host
// one thread at a time: no barriers, shuffles or shared memory here.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "backend/cuda/sampling/token_bitmask_kernel.h"

#ifndef TS_DEVICE
#define TS_DEVICE __device__ __forceinline__
#endif

namespace turbine::cuda::token_bitmask_detail {

constexpr int kThreads = 256;
constexpr int kIdsPerThread = 16;
constexpr int kChunk = kThreads * kIdsPerThread;  // ids per block (128 mask words)

// Thread `tid` of the block for (row, chunk): ids chunk * kChunk + tid + i * kThreads. The 32
// lanes of a warp hold 32 consecutive ids starting at a multiple of 32, so for each i they read
// the same mask word (one broadcast load) and store to one 128-byte line. Only banned ids are
// written; the row's logits are never read.
TS_DEVICE void mask_chunk(const TokenBitmaskBatch& b, int row, int chunk, int tid) {
  const int32_t mask_row = b.params[row].bitmask_row;
  if (mask_row < 0) return;
  const uint32_t* mask = b.bitmask + size_t(mask_row) * size_t(b.words);
  float* x = b.logits + size_t(row) * size_t(b.vocab);
  const int first = chunk * kChunk + tid;
  uint32_t bits[kIdsPerThread];
#pragma unroll
  for (int i = 0; i < kIdsPerThread; ++i) {  // every load in flight before the first store
    const int id = first + i * kThreads;
    bits[i] = id < b.vocab && (id >> 5) < b.words ? mask[id >> 5] : 0u;
  }
#pragma unroll
  for (int i = 0; i < kIdsPerThread; ++i) {
    const int id = first + i * kThreads;
    if (id < b.vocab && ((bits[i] >> (id & 31)) & 1u) == 0u) x[id] = -INFINITY;
  }
}

}  // namespace turbine::cuda::token_bitmask_detail
