// Runs the GPU sampler's kernel body (gpu_sampler_kernel.cuh) on the host: each thread block is
// NT std::threads with real barriers, warp shuffles and ballots go through per-warp exchange
// slots, so races, divergent barriers (a deadlock here) and logic errors show up without a GPU.
// Slow (a barrier per shuffle); meant for small batches. Build: see run_emulated_test.sh.
// TS_EMU_THREADS (64 by default; 32..512, a multiple of 32) sets the block size.
#include <atomic>
#include <barrier>
#include <bit>
#include <cfloat>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "backend/cuda/common/cuda_check.h"
#include "backend/cuda/sampling/gpu_sampler.h"
#include "backend/cuda/sampling/token_bitmask_kernel.h"
#include "common/error.h"

namespace emu {
struct Dim { unsigned x = 0, y = 0, z = 0; };
thread_local Dim tl_thread, tl_block;
thread_local long tl_warp_calls = 0, tl_block_calls = 0;

struct BlockState {
  explicit BlockState(int nt) : nt(nt), block(nt) {
    for (int w = 0; w < nt / 32; ++w) warps.push_back(std::make_unique<std::barrier<>>(32));
    for (auto& c : counts) c = 0;
  }
  int nt;
  std::barrier<> block;
  std::vector<std::unique_ptr<std::barrier<>>> warps;
  uint64_t slots[16][3][32] = {};
  std::atomic<int> counts[3];
};
BlockState* g_block = nullptr;

inline void syncthreads() { g_block->block.arrive_and_wait(); }
inline int syncthreads_count(int pred) {
  const int s = int(tl_block_calls++ % 3);
  g_block->counts[s] += pred ? 1 : 0;
  g_block->block.arrive_and_wait();
  const int r = g_block->counts[s].load();
  if (tl_thread.x == 0) g_block->counts[(s + 2) % 3] = 0;  // the slot of the call after next
  return r;
}
template <class T>
T exchange(T v, int src) {
  static_assert(sizeof(T) <= 8);
  const int lane = int(tl_thread.x & 31), w = int(tl_thread.x >> 5);
  const int s = int(tl_warp_calls++ % 3);
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof(T));
  g_block->slots[w][s][lane] = bits;
  g_block->warps[w]->arrive_and_wait();
  const uint64_t r = g_block->slots[w][s][src & 31];
  T out;
  std::memcpy(&out, &r, sizeof(T));
  return out;
}
inline unsigned ballot(int pred) {
  const int w = int(tl_thread.x >> 5), lane = int(tl_thread.x & 31);
  const int s = int(tl_warp_calls++ % 3);
  g_block->slots[w][s][lane] = pred ? 1 : 0;
  g_block->warps[w]->arrive_and_wait();
  unsigned m = 0;
  for (int i = 0; i < 32; ++i) m |= unsigned(g_block->slots[w][s][i] != 0) << i;
  return m;
}
}  // namespace emu

#define threadIdx emu::tl_thread
#define blockIdx emu::tl_block
#define TS_DEVICE inline
#define TS_PHASE inline
#define TS_CONSTANT inline constexpr
#define TS_LOAD4(ptr, v, off) std::memcpy(&v[(off)], (ptr), 16)
inline void __syncthreads() { emu::syncthreads(); }
inline int __syncthreads_count(int p) { return emu::syncthreads_count(p); }
inline int __syncthreads_or(int p) { return emu::syncthreads_count(p) != 0; }
template <class T> T __shfl_sync(unsigned, T v, int src) { return emu::exchange(v, src); }
template <class T> T __shfl_xor_sync(unsigned, T v, int m) { return emu::exchange(v, int(emu::tl_thread.x & 31) ^ m); }
template <class T> T __shfl_up_sync(unsigned, T v, unsigned d) {
  const int lane = int(emu::tl_thread.x & 31);
  return emu::exchange(v, lane >= int(d) ? lane - int(d) : lane);
}
inline unsigned __ballot_sync(unsigned, int p) { return emu::ballot(p); }
inline int __popc(unsigned v) { return std::popcount(v); }
inline int __ffs(int v) { return __builtin_ffs(v); }
inline uint32_t __float_as_uint(float f) { return std::bit_cast<uint32_t>(f); }
inline float __uint_as_float(uint32_t u) { return std::bit_cast<float>(u); }
inline int __double2loint(double d) { return int(uint32_t(std::bit_cast<uint64_t>(d))); }
inline double __hiloint2double(int hi, int lo) {
  return std::bit_cast<double>((uint64_t(uint32_t(hi)) << 32) | uint32_t(lo));
}
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __double2float_rn(double d) { return float(d); }
inline float __double2float_rd(double d) {
  float f = float(d);
  if (double(f) > d) f = std::nextafter(f, -INFINITY);
  return f;
}
namespace turbine::cuda::sampling_detail {
using std::ceil;
using std::exp;
using std::fma;
using std::isfinite;
using std::log;
}  // namespace turbine::cuda::sampling_detail

#include "backend/cuda/sampling/gpu_sampler_kernel.cuh"
#include "backend/cuda/sampling/token_bitmask_kernel.cuh"

namespace turbine::cuda {
namespace {

using sampling_detail::Smem;

template <int NT, int VEC>
void run_blocks(const GpuSamplingBatch& b, const GpuSamplingDebug& d) {
  if (b.vocab > sampling_detail::kMaxTiles * NT * sampling_detail::kEpt) {
    throw std::runtime_error("vocabulary too large for this emulated block size (raise TS_EMU_THREADS)");
  }
  auto smem = std::make_unique<Smem>();
  for (int row = 0; row < b.rows; ++row) {
    std::memset(static_cast<void*>(smem.get()), 0xcd, sizeof(Smem));  // uninitialised shared memory
    emu::BlockState state(NT);
    emu::g_block = &state;
    std::vector<std::thread> threads;
    for (int t = 0; t < NT; ++t) {
      threads.emplace_back([&, t] {
        emu::tl_thread.x = unsigned(t);
        emu::tl_block.x = unsigned(row);
        emu::tl_warp_calls = emu::tl_block_calls = 0;
        sampling_detail::sample_row<NT, VEC>(b, d, *smem, row);
      });
    }
    for (auto& th : threads) th.join();
    emu::g_block = nullptr;
  }
}

template <int VEC>
void run_with_threads(const GpuSamplingBatch& b, const GpuSamplingDebug& d) {
  const char* env = std::getenv("TS_EMU_THREADS");
  const int nt = env ? std::atoi(env) : 64;
  switch (nt) {
    case 32: return run_blocks<32, VEC>(b, d);
    case 64: return run_blocks<64, VEC>(b, d);
    case 128: return run_blocks<128, VEC>(b, d);
    case 512: return run_blocks<512, VEC>(b, d);
    default: throw std::runtime_error("TS_EMU_THREADS must be 32, 64, 128 or 512");
  }
}

void launch(const GpuSamplingBatch& b, const GpuSamplingDebug& d) {
  if (b.rows <= 0) return;
  if (b.vocab < 1 || b.vocab > kGpuSamplingMaxVocab) throw std::runtime_error("vocab");
  const bool vec4 = b.vocab % 4 == 0 && (reinterpret_cast<uintptr_t>(b.logits) & 15) == 0;
  if (vec4) run_with_threads<4>(b, d);
  else run_with_threads<1>(b, d);
}

}  // namespace

size_t gpu_sampling_workspace_bytes(int max_rows, int) { return size_t(max_rows > 0 ? max_rows : 0) * sizeof(GpuSamplingRowStats); }
const GpuSamplingRowStats* gpu_sampling_row_stats(const void* ws, int row) {
  return static_cast<const GpuSamplingRowStats*>(ws) + row;
}
void launch_gpu_sampling(const GpuSamplingBatch& b, cudaStream_t) { launch(b, GpuSamplingDebug{}); }

// The token-bitmask kernel's body needs no barriers: every (row, chunk, thread) in turn.
void launch_token_bitmask(const TokenBitmaskBatch& b, cudaStream_t) {
  using namespace token_bitmask_detail;
  if (b.rows <= 0) return;
  if (b.vocab < 1 || b.vocab > kGpuSamplingMaxVocab || b.words < 1 || b.logits == nullptr || b.params == nullptr ||
      b.bitmask == nullptr) {
    throw std::runtime_error("token_bitmask: bad launch");
  }
  for (int row = 0; row < b.rows; ++row)
    for (int chunk = 0; chunk * kChunk < b.vocab; ++chunk)
      for (int tid = 0; tid < kThreads; ++tid) mask_chunk(b, row, chunk, tid);
}

// cuda_check.h's failure reports (the real ones are in common/cuda_check.cc, which needs cuBLASLt).
void cuda_call_failed(cudaError_t status, const char* call, const char* file, int line) {
  check_failed(call, file, line, "emulated CUDA error " + std::to_string(status));
}
void launcher_rejected(const char* op, const char* what, const char* file, int line) {
  check_failed(op, file, line, std::string("unsupported ") + what + " reached the CUDA launcher");
}
void launch_gpu_sampling_debug(const GpuSamplingBatch& b, const GpuSamplingDebug& d, cudaStream_t) { launch(b, d); }

}  // namespace turbine::cuda
