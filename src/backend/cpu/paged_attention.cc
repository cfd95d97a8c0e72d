#include "backend/cpu/paged_attention.h"

#include <algorithm>
#include <limits>

#include "backend/cpu/op_checks.h"

namespace turbine::cpu {
namespace {

// Keys per kernel call. A tile may span several blocks (keys come as row pointers), so the
// softmax bookkeeping is paid once per 64 keys, and a tile's K and V rows stay in L1 while
// every query head of the group uses them.
constexpr int64_t kMaxTileKeys = 64;
// Below this many multiply-adds (q·k plus p·v) the whole op runs on the calling thread.
constexpr int64_t kMinParallelMacs = 16 * 1024;

int64_t round_up(int64_t v, int64_t to) { return (v + to - 1) / to * to; }

struct Plan {
  const CpuKernels* kernels;
  const Tensor* q;
  const KvCacheLayer* cache;
  const AttentionBatch* batch;
  const AttentionShape* shape;
  Tensor* out;
  const int32_t* token_seq;
  int group;            // query heads per KV head
  int64_t state_floats; // per thread
};

// Attention of query row t for the query heads of KV head g.
void attend(const Plan& p, int64_t t, int g, float* state) {
  const AttentionShape& sh = *p.shape;
  const AttentionBatch& b = *p.batch;
  const int d = sh.head_dim, bs = sh.block_size;
  const int s = p.token_seq[t];
  const int64_t q_begin = b.query_start[s], q_len = b.query_start[s + 1] - q_begin;
  const int64_t pos = attention_query_position(b.seq_lens[s], q_len, t - q_begin);
  const int64_t first = attention_window_start(pos, sh.sliding_window);
  const int32_t* table = b.block_tables + int64_t(s) * b.max_blocks_per_seq;
  const int64_t kv_cols = p.cache->k.cols;

  AttentionState st;
  st.max = state;
  st.sum = st.max + p.group;
  st.acc = st.sum + p.group;
  st.scores = state + round_up(2 * p.group + int64_t(p.group) * d, 16);  // 64-byte aligned
  std::fill(st.max, st.max + p.group, -std::numeric_limits<float>::infinity());
  std::fill(st.sum, st.sum + p.group, 0.0f);
  std::fill(st.acc, st.acc + int64_t(p.group) * d, 0.0f);

  const float** k_rows = reinterpret_cast<const float**>(st.scores + kMaxTileKeys);
  const float** v_rows = k_rows + kMaxTileKeys;
  AttentionTile tile;
  tile.q = p.q->as<const float>() + t * p.q->cols + int64_t(g) * p.group * d;
  tile.num_q_heads = p.group;
  tile.head_dim = d;
  tile.scale = sh.scale;
  tile.softcap = sh.logit_softcap;
  tile.k_rows = k_rows;
  tile.v_rows = v_rows;
  const float* k_base = p.cache->k.as<const float>() + int64_t(g) * d;
  const float* v_base = p.cache->v.as<const float>() + int64_t(g) * d;
  for (int64_t key = first; key <= pos;) {
    const int count = int(std::min<int64_t>(kMaxTileKeys, pos + 1 - key));
    for (int j = 0; j < count; ++j, ++key) {
      const int64_t slot = int64_t(table[key / bs]) * bs + key % bs;
      k_rows[j] = k_base + slot * kv_cols;
      v_rows[j] = v_base + slot * kv_cols;
    }
    tile.count = count;
    p.kernels->attention_tile(tile, st);
  }

  float* o = p.out->as<float>() + t * p.out->cols + int64_t(g) * p.group * d;
  for (int h = 0; h < p.group; ++h) {
    const float inv = 1.0f / st.sum[h];
    for (int i = 0; i < d; ++i) o[int64_t(h) * d + i] = st.acc[int64_t(h) * d + i] * inv;
  }
}

}  // namespace

void run_paged_attention(const CpuKernels& kernels, ThreadPool& pool, AttentionScratch& scratch, const Tensor& q,
                         const KvCacheLayer& cache, const AttentionBatch& batch, const AttentionShape& shape,
                         Tensor& out) {
  if (batch.num_tokens == 0) return;
  int32_t* token_seq = scratch.token_seq.get<int32_t>(size_t(batch.num_tokens));
  int64_t visible_keys = 0;
  for (int s = 0; s < batch.num_seqs; ++s) {
    const int64_t q_len = batch.query_start[s + 1] - batch.query_start[s];
    for (int64_t j = 0; j < q_len; ++j) {
      token_seq[batch.query_start[s] + j] = s;
      const int64_t pos = attention_query_position(batch.seq_lens[s], q_len, j);
      visible_keys += pos - attention_window_start(pos, shape.sliding_window) + 1;
    }
  }

  Plan plan;
  plan.kernels = &kernels;
  plan.q = &q;
  plan.cache = &cache;
  plan.batch = &batch;
  plan.shape = &shape;
  plan.out = &out;
  plan.token_seq = token_seq;
  plan.group = shape.num_heads / shape.num_kv_heads;
  // max, sum, acc, scores, then the tile's K and V row pointers (two floats' room each).
  plan.state_floats = round_up(2 * plan.group + int64_t(plan.group) * shape.head_dim, 16) + kMaxTileKeys +
                      4 * kMaxTileKeys;

  const int64_t items = int64_t(batch.num_tokens) * shape.num_kv_heads;
  const int64_t macs = 2 * visible_keys * shape.num_heads * shape.head_dim;
  const int64_t lanes = macs < kMinParallelMacs ? 1 : std::min<int64_t>(pool.num_threads(), items);
  float* states = scratch.state.get<float>(size_t(lanes * plan.state_floats));
  auto run_lanes = [&](int64_t lane_begin, int64_t lane_end) {
    for (int64_t lane = lane_begin; lane < lane_end; ++lane) {
      float* state = states + lane * plan.state_floats;
      for (int64_t item = lane; item < items; item += lanes) {
        attend(plan, item / shape.num_kv_heads, int(item % shape.num_kv_heads), state);
      }
    }
  };
  if (lanes == 1) {
    run_lanes(0, 1);
  } else {
    pool.parallel_for(lanes, run_lanes);
  }
}

}  // namespace turbine::cpu
