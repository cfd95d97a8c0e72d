// Paged attention for the flat batch: prefill chunks and single-token decodes mixed, causal, GQA,
// sliding window, optional logit soft-cap, K/V read through block tables, online softmax in F32.
// This file plans and launches; the kernels are in flash_attention.cuh (tensor cores) and
// simt_attention.cuh (CUDA cores, the fallback).
//
// Why it is planned so:
//  - Path: head_dim 64, 128 or 256 with a 16-byte aligned q goes to the tensor-core kernel, any
//    other head_dim to the CUDA-core one. The host does not know the batch's q_len mix (the index
//    arrays are device memory), only num_tokens and num_seqs: when the average sequence has at
//    most 16 query rows (q_len * group) the decode shape (one 16-row tile per block, its warps
//    splitting the keys) is used, else the prefill shape (64 rows per block, one 16-row slice per
//    warp). Both are right for any mix; the choice only moves speed.
//  - Split-KV (FlashDecoding) when the grid is too small or too ragged for the device: the split
//    count is the smallest that fills at least 80% of the last wave of blocks (blocks per SM from
//    the occupancy calculator), or the fullest one within its caps: at most kAttentionMaxSplits,
//    at least 128 keys per split (256 on the CUDA-core path), and at most
//    kAttentionPartialRowsPerSm partial rows per multiprocessor. That last cap makes the workspace
//    bounded for any batch (paged_attention_max_workspace_bytes), so the backend allocates it
//    once and a forward pass never allocates (CUDA graphs).
//  - The merge: one thread per 8 output dimensions of a (token, head), reading every split's
//    (max, sum) and 8 partial floats, writing 16 bytes of BF16.
#include "backend/cuda/attention/paged_attention.h"

#include <algorithm>
#include <atomic>
#include <cmath>

#include "backend/cuda/attention/flash_attention.cuh"
#include "backend/cuda/attention/simt_attention.cuh"
#include "backend/cuda/common/bf16_io.cuh"
#include "backend/cuda/common/cuda_check.h"

namespace turbine::cuda {
namespace {

constexpr int kSimtTargetWarps = 4;        // simt: warps per block when the GQA group is smaller than this
constexpr int kFlashMinKeysPerSplit = 128;  // below this a split costs more (merge, prologue) than it saves
constexpr int kSimtMinKeysPerSplit = 256;
constexpr int kDecodeRows = 16;             // the decode shape's rows per block

// The tensor-core configurations: Config<head_dim, warps along rows, warps along keys, keys per warp>.
// Shared memory (Q tile + two stages of K and V) stays under 99 KB, the sm_86/sm_89 per-block cap.
template <int D>
struct FlashShapes;
template <>
struct FlashShapes<64> {
  using Prefill = flash::Config<64, 4, 1, 64>;  // 40 KB
  using Decode = flash::Config<64, 1, 4, 16>;   // 34 KB
};
template <>
struct FlashShapes<128> {
  using Prefill = flash::Config<128, 4, 1, 64>;  // 80 KB
  using Decode = flash::Config<128, 1, 4, 16>;   // 68 KB
};
template <>
struct FlashShapes<256> {
  using Prefill = flash::Config<256, 4, 1, 32>;  // 96 KB
  using Decode = flash::Config<256, 1, 2, 16>;   // 72 KB
};

// Blocks of C per multiprocessor on the current device (0: it does not fit), after raising the
// kernel's dynamic shared memory limit there. Cached per device and variant.
template <class C, bool kSoftcap>
int flash_blocks_per_sm() {
  static std::atomic<int> cache[64];  // blocks per SM + 1; 0 = not asked yet
  int device = 0;
  TURBINE_CUDA_CHECK(cudaGetDevice(&device));
  if (device < 64) {
    const int cached = cache[device].load(std::memory_order_relaxed);
    if (cached > 0) return cached - 1;
  }
  const auto kernel = flash::flash_paged_attention_kernel<C, kSoftcap>;
  int max_smem = 0;
  TURBINE_CUDA_CHECK(cudaDeviceGetAttribute(&max_smem, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  int blocks = 0;
  if (C::kSmemBytes <= max_smem) {
    TURBINE_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, C::kSmemBytes));
    TURBINE_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, kernel, C::kThreads, C::kSmemBytes));
  }
  if (device < 64) cache[device].store(blocks + 1, std::memory_order_relaxed);
  return blocks;
}

template <int D, bool kSoftcap>
int flash_blocks_per_sm_for(bool decode) {
  return decode ? flash_blocks_per_sm<typename FlashShapes<D>::Decode, kSoftcap>()
                : flash_blocks_per_sm<typename FlashShapes<D>::Prefill, kSoftcap>();
}

template <int D>
int flash_blocks_per_sm_for(bool decode, bool softcap) {
  return softcap ? flash_blocks_per_sm_for<D, true>(decode) : flash_blocks_per_sm_for<D, false>(decode);
}

int flash_tile_rows(int head_dim, bool decode) {
  switch (head_dim) {
    case 64: return decode ? FlashShapes<64>::Decode::kRows : FlashShapes<64>::Prefill::kRows;
    case 128: return decode ? FlashShapes<128>::Decode::kRows : FlashShapes<128>::Prefill::kRows;
    default: return decode ? FlashShapes<256>::Decode::kRows : FlashShapes<256>::Prefill::kRows;
  }
}

int flash_occupancy(int head_dim, bool decode, bool softcap) {
  switch (head_dim) {
    case 64: return flash_blocks_per_sm_for<64>(decode, softcap);
    case 128: return flash_blocks_per_sm_for<128>(decode, softcap);
    case 256: return flash_blocks_per_sm_for<256>(decode, softcap);
    default: return 0;
  }
}

// The smallest split count that fills >= 80% of the last wave, else the one that fills it best.
int choose_splits(int64_t blocks, int64_t slots, int max_splits) {
  if (blocks <= 0 || slots <= 0 || max_splits <= 1) return 1;
  int best = 1;
  double best_fill = 0.0;
  for (int s = 1; s <= max_splits; ++s) {
    const double waves = double(blocks) * s / double(slots);
    const double fill = waves / std::ceil(waves);
    if (fill >= 0.8) return s;
    if (fill > best_fill + 1e-9) best = s, best_fill = fill;
  }
  return best;
}

// Split-KV merge: one thread per 8 dimensions of a (token, head) row.
__global__ void merge_splits_kernel(PagedAttentionParams p) {
  const int d = p.head_dim, chunks = d / 8, splits = p.num_splits;
  const int64_t rows = int64_t(p.num_tokens) * p.num_heads;
  const int64_t idx = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (idx >= rows * chunks) return;
  const int64_t row = idx / chunks;
  const int c = int(idx % chunks);
  const float2* ml = reinterpret_cast<const float2*>(p.workspace + rows * splits * d) + row * splits;
  float m_all = -INFINITY;
  for (int s = 0; s < splits; ++s) m_all = fmaxf(m_all, ml[s].x);
  float acc[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
  float l_all = 0.0f;
  for (int s = 0; s < splits; ++s) {
    const float2 v = ml[s];
    if (v.x == -INFINITY) continue;  // an empty split (short sequence) or one that saw no valid key
    const float f = exp2f(v.x - m_all);
    l_all += v.y * f;
    const float* src = p.workspace + (row * splits + s) * d + c * 8;
    const float4 a = *reinterpret_cast<const float4*>(src);
    const float4 b = *reinterpret_cast<const float4*>(src + 4);
    acc[0] += a.x * f, acc[1] += a.y * f, acc[2] += a.z * f, acc[3] += a.w * f;
    acc[4] += b.x * f, acc[5] += b.y * f, acc[6] += b.z * f, acc[7] += b.w * f;
  }
  const float inv = l_all > 0.0f ? 1.0f / l_all : 0.0f;
#pragma unroll
  for (int i = 0; i < 8; ++i) acc[i] *= inv;
  store_bf16<8>(static_cast<bf16*>(p.out) + row * d + c * 8, acc);
}

template <int DPL>
void launch_simt(const PagedAttentionParams& p, DeviceErrorSink errors, cudaStream_t stream) {
  const int group = p.num_heads / p.num_kv_heads;
  const dim3 grid(unsigned(p.num_tokens), unsigned(p.num_kv_heads * (group / p.heads_per_block)),
                  unsigned(p.num_splits));
  const int threads = 32 * p.heads_per_block * p.warps_per_head;
  if (p.logit_softcap > 0.0f) {
    simt::simt_paged_attention_kernel<DPL, true><<<grid, threads, 0, stream>>>(p, errors);
  } else {
    simt::simt_paged_attention_kernel<DPL, false><<<grid, threads, 0, stream>>>(p, errors);
  }
  TURBINE_CUDA_CHECK_LAUNCH();
}

template <class C, bool kSoftcap>
void launch_flash_variant(const PagedAttentionParams& p, DeviceErrorSink errors, cudaStream_t stream) {
  if (p.tile_rows != C::kRows) TURBINE_LAUNCHER_REJECT("attention", "tile rows differ from the plan's");
  if (flash_blocks_per_sm<C, kSoftcap>() <= 0) TURBINE_LAUNCHER_REJECT("attention", "tensor-core kernel does not fit");
  const dim3 grid(unsigned(std::max(p.num_tiles, 1)), unsigned(p.num_kv_heads), unsigned(p.num_splits));
  flash::flash_paged_attention_kernel<C, kSoftcap><<<grid, C::kThreads, C::kSmemBytes, stream>>>(p, errors);
  TURBINE_CUDA_CHECK_LAUNCH();
}

template <class C>
void launch_flash(const PagedAttentionParams& p, DeviceErrorSink errors, cudaStream_t stream) {
  if (p.logit_softcap > 0.0f) {
    launch_flash_variant<C, true>(p, errors, stream);
  } else {
    launch_flash_variant<C, false>(p, errors, stream);
  }
}

template <int D>
void launch_flash_d(const PagedAttentionParams& p, DeviceErrorSink errors, cudaStream_t stream) {
  if (p.path == PagedAttentionPath::kFlashDecode) {
    launch_flash<typename FlashShapes<D>::Decode>(p, errors, stream);
  } else {
    launch_flash<typename FlashShapes<D>::Prefill>(p, errors, stream);
  }
}

}  // namespace

void plan_paged_attention(PagedAttentionParams& p, int64_t max_context, int num_sms, int forced_splits) {
  const int group = p.num_heads / p.num_kv_heads;
  const int64_t rows = int64_t(p.num_tokens) * group;  // query rows per KV head
  p.block_shift = -1;
  if (p.block_size > 0 && (p.block_size & (p.block_size - 1)) == 0) {
    p.block_shift = 0;
    while ((1 << p.block_shift) < p.block_size) ++p.block_shift;
  }

  p.path = PagedAttentionPath::kSimt;
  int64_t blocks = 0, slots = 0;
  int min_keys_per_split = kSimtMinKeysPerSplit;
  if ((p.head_dim == 64 || p.head_dim == 128 || p.head_dim == 256) && is_aligned(p.q, 16)) {
    const bool decode = rows <= int64_t(kDecodeRows) * std::max(p.num_seqs, 1);
    const int per_sm = flash_occupancy(p.head_dim, decode, p.logit_softcap > 0.0f);
    if (per_sm > 0) {
      p.path = decode ? PagedAttentionPath::kFlashDecode : PagedAttentionPath::kFlashPrefill;
      p.tile_rows = flash_tile_rows(p.head_dim, decode);
      p.num_tiles = int(rows / p.tile_rows + p.num_seqs);
      // Blocks with work: every tile but the spares, at least one per sequence with queries.
      const int64_t tiles = std::max<int64_t>((rows + p.tile_rows - 1) / p.tile_rows,
                                              std::min<int64_t>(p.num_seqs, p.num_tokens));
      blocks = tiles * p.num_kv_heads;
      slots = int64_t(num_sms) * per_sm;
      min_keys_per_split = kFlashMinKeysPerSplit;
    }
  }
  if (p.path == PagedAttentionPath::kSimt) {
    int heads = std::min(group, kAttentionMaxWarps);
    while (group % heads != 0) --heads;
    p.heads_per_block = heads;
    p.warps_per_head = std::max(1, kSimtTargetWarps / heads);
    blocks = int64_t(p.num_tokens) * p.num_kv_heads * (group / heads);
    slots = 2 * int64_t(num_sms);
  }

  if (forced_splits > 0) {
    p.num_splits = std::min(forced_splits, kAttentionMaxSplits);
    return;
  }
  const int64_t partial_rows = std::max<int64_t>(1, int64_t(p.num_tokens) * p.num_heads);
  const int64_t max_splits =
      std::min<int64_t>({int64_t(kAttentionMaxSplits), max_context / min_keys_per_split,
                         int64_t(num_sms) * kAttentionPartialRowsPerSm / partial_rows});
  p.num_splits = choose_splits(blocks, slots, int(std::max<int64_t>(1, max_splits)));
}

size_t paged_attention_workspace_bytes(const PagedAttentionParams& p) {
  if (p.num_splits <= 1) return 0;
  return size_t(p.num_tokens) * size_t(p.num_heads) * size_t(p.num_splits) * size_t(p.head_dim + 2) * sizeof(float);
}

size_t paged_attention_max_workspace_bytes(int max_num_tokens, int num_heads, int head_dim, int num_sms,
                                           int forced_splits) {
  const int64_t token_heads = int64_t(std::max(max_num_tokens, 0)) * std::max(num_heads, 0);
  int64_t partial_rows = 0;
  if (forced_splits > 0) {
    const int splits = std::min(forced_splits, kAttentionMaxSplits);
    partial_rows = splits > 1 ? token_heads * splits : 0;
  } else {
    partial_rows = std::min(token_heads * kAttentionMaxSplits, int64_t(std::max(num_sms, 0)) * kAttentionPartialRowsPerSm);
  }
  return size_t(partial_rows) * size_t(head_dim + 2) * sizeof(float);
}

void launch_paged_attention(const PagedAttentionParams& p, DeviceErrorSink errors, cudaStream_t stream) {
  if (p.num_tokens == 0) return;
  if (p.head_dim <= 0 || p.head_dim % 8 != 0 || p.head_dim > kAttentionMaxHeadDim)
    TURBINE_LAUNCHER_REJECT("attention", "head_dim");
  if (p.num_splits < 1 || p.num_splits > kAttentionMaxSplits) TURBINE_LAUNCHER_REJECT("attention", "split count");
  if (p.num_splits > 1 && p.workspace == nullptr) TURBINE_LAUNCHER_REJECT("attention", "split without workspace");
  if (!(p.logit_softcap >= 0.0f)) TURBINE_LAUNCHER_REJECT("attention", "logit_softcap");
  if (p.path == PagedAttentionPath::kSimt) {
    if (p.head_dim <= 32) {
      launch_simt<1>(p, errors, stream);
    } else if (p.head_dim <= 64) {
      launch_simt<2>(p, errors, stream);
    } else if (p.head_dim <= 128) {
      launch_simt<4>(p, errors, stream);
    } else {
      launch_simt<8>(p, errors, stream);
    }
  } else {
    if (!is_aligned(p.q, 16)) TURBINE_LAUNCHER_REJECT("attention", "tensor-core path needs q 16-byte aligned");
    switch (p.head_dim) {
      case 64: launch_flash_d<64>(p, errors, stream); break;
      case 128: launch_flash_d<128>(p, errors, stream); break;
      case 256: launch_flash_d<256>(p, errors, stream); break;
      default: TURBINE_LAUNCHER_REJECT("attention", "tensor-core path head_dim");
    }
  }
  if (p.num_splits > 1) {
    const int64_t threads = int64_t(p.num_tokens) * p.num_heads * (p.head_dim / 8);
    merge_splits_kernel<<<unsigned((threads + 255) / 256), 256, 0, stream>>>(p);
    TURBINE_CUDA_CHECK_LAUNCH();
  }
}

}  // namespace turbine::cuda
