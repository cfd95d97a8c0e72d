// Token sampling on the GPU: one launch picks the next token of every row of a logits batch,
// with runner/sampler.h's semantics, so that only ids and logprobs cross to the host.
//
// Why: the CPU path copies the F32 logits [rows, vocab] to the host every step (131 MB at 256
// rows x 128k vocabulary) and then does O(vocab) host work per row. Here every row is reduced on
// the device and the host reads back 4 + 4 bytes per row (plus 20 top logprobs when asked).
//
// Semantics (sampler.h, step by step):
//  1. Logprobs from the RAW logits (log_softmax before any transform): the chosen token's and
//     the num_logprobs best, best first, ties to the lower id.
//  2. Transforms, in logit_transforms.h's order: logit_bias, repetition penalty (tokens of the
//     prompt or output), frequency * count and presence (output tokens), suppression to -inf;
//     a finite logit that overflows is clamped to +-FLT_MAX. They are applied IN PLACE to
//     `logits` (the buffer is scratch for this call); the raw value of each adjusted token is
//     kept in its GpuTokenAdjustment::raw_logit so that step 1 can still report the chosen
//     token's raw logprob.
//  3. Greedy when temperature < 1e-5: argmax, ties to the lowest id.
//  4. Otherwise w = exp((l - max) / T); top-k keeps l >= the k-th largest logit (ties kept);
//     top-p keeps the shortest prefix of the survivors sorted by (w desc, id asc) whose mass
//     reaches top_p * (mass of the top-k set), at least one token; min-p keeps w >= min_p
//     (w_max = 1); tokens whose weight underflows to 0 are never candidates. Then the token
//     whose cumulative weight first exceeds uniform * total, walking the survivors IN TOKEN-ID
//     ORDER.
//
// Where the GPU and the CPU sampler may differ, by design:
//  - Walk order. The CPU walks the survivors best first when top-p is on and in id order
//    otherwise; the GPU always walks in id order (its survivors are never sorted). So for the
//    same uniform the two backends pick the same token whenever top-p is off, and the same
//    DISTRIBUTION always, but a seeded stream is reproducible per backend, not across backends
//    when top-p is on.
//  - Top-p ties at the threshold. With tau the weight of the last token the nucleus needs, every
//    token with w > tau is kept, plus the j lowest ids among the tokens with w == tau, j being
//    the smallest count with mass(w > tau) + j * tau >= top_p * mass. That is the CPU's (w desc,
//    id asc) prefix, with j computed from a product instead of the CPU's running sum (the two
//    can differ only when the target falls within a double rounding of a tie boundary).
//  - Rounding. Weights are exp computed in double and rounded once (correctly rounded except in
//    about 1e-8 of cases); glibc's expf, which the CPU uses, is within 0.502 ulp, so about 1 in
//    2000 weights differ by one ulp. Masses are double sums in a different order. Both only
//    matter when a weight or a cumulative mass sits within rounding of a threshold.
//
// Design (gpu_sampler_kernel.cuh has the long version): one thread block of 512 threads per
// row, streaming the row from global memory in tiles of 4096 floats; one pass computes the raw
// statistics (max, log-sum-exp, top logprobs, per-thread top-2 logits); greedy rows end there.
// Sampling rows find every threshold (top-k's k-th logit, top-p's tau) by narrowing an interval
// of order-preserving float bit patterns, usually by gathering a small superset of the survivors
// into shared memory in id order and finishing there (bisection, block-wide scans), otherwise by
// counting passes over the row; the inverse CDF walks either that list or per-tile sums (one
// tile re-read). No sort of the row anywhere; about 81 KB of shared memory and 2 blocks per SM.
//
// Use: fill the per-row params and the sparse lists in device memory (runner/device_sampling_inputs.h
// builds them from SamplingParams + SamplingContext), size the workspace once with
// gpu_sampling_workspace_bytes(max_rows, vocab), then launch_gpu_sampling() on a stream. It
// allocates nothing, never synchronises and reads no host memory, so it can be captured in a
// CUDA graph (the pointers in GpuSamplingBatch are baked into the graph; the params and lists
// they point to may change between replays). Thread-safe across streams.
//
// Limits: 1 <= vocab <= kGpuSamplingMaxVocab; any number of rows (one thread block per row).
// Contract on each row, as on the CPU: no NaN, no +inf, at least one finite logit, and at least
// one finite logit left after suppression. A row that breaks the last two gets token -1 and a
// NaN logprob (the CPU sampler fails a check instead).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "backend/device_sampling.h"

namespace turbine::cuda {

inline constexpr int kGpuMaxLogprobs = kMaxDeviceLogprobs;  // out_top_ids / out_top_logprobs row stride
inline constexpr int kGpuSamplingMaxVocab = 1 << 20;

// The per-row parameters and the per-token adjustments, in device memory, laid out as the
// backend op's structs (backend/device_sampling.h documents every field).
using GpuSamplingRow = ::turbine::SamplingRow;
using GpuTokenAdjustment = ::turbine::SamplingTokenAdjustment;

struct GpuSamplingBatch {
  float* logits = nullptr;  // [rows, vocab] F32; overwritten (transforms are applied in place)
  int32_t rows = 0;
  int32_t vocab = 0;
  const GpuSamplingRow* params = nullptr;       // [rows]
  GpuTokenAdjustment* adjustments = nullptr;    // ranges per row; may be null if every range is empty
  const int32_t* suppressed_tokens = nullptr;   // ranges per row (EOS/stop ids before min_tokens); duplicates and out-of-vocabulary ids allowed
  int32_t* out_tokens = nullptr;                // [rows]
  float* out_logprobs = nullptr;                // [rows]: raw logprob of the chosen token
  int32_t* out_top_ids = nullptr;               // [rows, kGpuMaxLogprobs] or null: best first; -1 past min(num_logprobs, vocab)
  float* out_top_logprobs = nullptr;            // [rows, kGpuMaxLogprobs] or null; -inf past the end
  void* workspace = nullptr;                    // gpu_sampling_workspace_bytes(>= rows, vocab) bytes, or null
};

// Per-row record of what the kernel did, left in the workspace (for benchmarks, tests and
// debugging; see gpu_sampling_row_stats).
struct GpuSamplingRowStats {
  int32_t path;        // kGpuPath* bits
  int32_t passes;      // full passes over the row
  int32_t candidates;  // size of the last candidate set gathered into shared memory
  int32_t reserved;
};
inline constexpr int32_t kGpuPathGreedy = 1;
inline constexpr int32_t kGpuPathTransformed = 2;     // a transform changed a logit (one more pass)
inline constexpr int32_t kGpuPathTopKList = 4;        // top-k set gathered in shared memory; everything after on chip
inline constexpr int32_t kGpuPathTopKRefined = 8;     // top-k threshold needed extra counting passes
inline constexpr int32_t kGpuPathTopPList = 16;       // nucleus candidates gathered in shared memory
inline constexpr int32_t kGpuPathTopPRefined = 32;    // nucleus too large for shared memory: extra passes
inline constexpr int32_t kGpuPathTileWalk = 64;       // survivors walked through per-tile sums (one tile re-read)
inline constexpr int32_t kGpuPathInvalidRow = 128;    // no finite logit (before or after suppression): token -1

// Bytes of workspace for batches of up to max_rows rows (small: the per-row stats).
size_t gpu_sampling_workspace_bytes(int max_rows, int vocab);
// The stats of row `row` inside a workspace the caller copied back to the host.
const GpuSamplingRowStats* gpu_sampling_row_stats(const void* host_workspace_copy, int row);

// Samples every row. Asynchronous on `stream`; no allocation, no synchronisation.
void launch_gpu_sampling(const GpuSamplingBatch& batch, cudaStream_t stream);

// For tests: the same launch, plus for every row the weight of every token the row could have
// returned (its survivor set: greedy rows get 1 at the argmax) and 0 elsewhere, and the total
// weight the inverse CDF used. survivor_weights is [rows, vocab], survivor_total [rows].
struct GpuSamplingDebug {
  float* survivor_weights = nullptr;
  double* survivor_total = nullptr;
};
void launch_gpu_sampling_debug(const GpuSamplingBatch& batch, const GpuSamplingDebug& debug,
                               cudaStream_t stream);

}  // namespace turbine::cuda
