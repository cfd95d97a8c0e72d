// Structured output on the GPU: sets the logits of the tokens a row's allowed-token mask bans to
// -inf, in place, before the sampler (gpu_sampler.h) reads the row.
//
// Why a kernel of its own: a grammar-constrained row (DeviceSamplingBatch::token_bitmask,
// SamplingRow::bitmask_row) must be sampled from the masked logits, and everything the sampler
// derives from a row (max, log-sum-exp and so the logprobs, the transforms, the filters) reads
// that row. Masking it in place first gives exactly the host path's semantics (apply_token_bitmask
// in backend/token_bitmask.h, then runner/sampler.h on the masked row) without touching the
// sampler, whose several passes over a row would each have to test the mask otherwise. The cost
// is one extra write of the banned logits of the masked rows; a batch with no masked row does
// not launch it at all (SamplingStage checks on the host).
//
// Semantics per row r: with m = params[r].bitmask_row, nothing when m < 0; otherwise, for every
// id in [0, vocab), logits[r][id] = -inf unless bit (id % 32) of word bitmask[m * words + id / 32]
// is set, ids at or past 32 * words included (banned). Allowed logits are left as they are.
//
// Design (token_bitmask_kernel.cuh): a 2D grid of (row, chunk of 4096 ids), 256 threads a block,
// each thread 16 ids 256 apart, so a warp covers 32 consecutive ids that share one mask word (a
// single broadcast load) and stores 128 contiguous bytes. A block of an unmasked row reads one
// int and returns. Asynchronous on the stream, allocates nothing, never synchronises.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "backend/device_sampling.h"

namespace turbine::cuda {

struct TokenBitmaskBatch {
  float* logits = nullptr;              // [rows, vocab] F32, device memory; masked in place
  int32_t rows = 0;
  int32_t vocab = 0;
  const SamplingRow* params = nullptr;  // [rows], device memory: only bitmask_row is read
  const uint32_t* bitmask = nullptr;    // [mask rows, words], device memory
  int32_t words = 0;                    // >= 1: 32-bit words per mask row
};

// Every bitmask_row must be < the number of mask rows (the caller checks, on the host).
void launch_token_bitmask(const TokenBitmaskBatch& batch, cudaStream_t stream);

}  // namespace turbine::cuda
