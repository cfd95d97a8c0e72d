// write_kv and paged attention on every CPU kernel configuration against the reference.
//
// One flat batch mixes a fresh single token, a full prefill, decodes at block boundaries and
// prefill chunks on top of cached context; block tables are shuffled (non-contiguous), except in
// one sequence whose blocks are consecutive (the kernels merge those into longer tiles). Swept:
// head_dim, GQA ratio (including MQA), block size, sliding window and attention-logit soft-cap.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "backend/cpu/reference_ops.h"
#include "kernel_test_util.h"

namespace turbine::test {
namespace {

struct SeqSpec {
  int seq_len;  // KV tokens after this step
  int q_len;    // new tokens in this step
};

struct AttentionCase {
  int num_heads, num_kv_heads, head_dim, block_size, sliding_window;
  float logit_softcap = 0.0f;
};

AttentionShape shape_of(const AttentionCase& c) {
  AttentionShape shape;
  shape.num_heads = c.num_heads;
  shape.num_kv_heads = c.num_kv_heads;
  shape.head_dim = c.head_dim;
  shape.block_size = c.block_size;
  shape.scale = 1.0f / std::sqrt(float(c.head_dim));
  shape.sliding_window = c.sliding_window;
  shape.logit_softcap = c.logit_softcap;
  return shape;
}

std::string describe(const AttentionCase& c) {
  return "heads=" + std::to_string(c.num_heads) + "/" + std::to_string(c.num_kv_heads) +
         " d=" + std::to_string(c.head_dim) + " bs=" + std::to_string(c.block_size) +
         " window=" + std::to_string(c.sliding_window) + " softcap=" + std::to_string(c.logit_softcap);
}

// seq_len 1 fresh; 15 full prefill; 16 and 17 decodes at and past a block edge; 17 with a
// 5-token chunk; 100 with a 9-token chunk; 300 decode on consecutive blocks.
const std::vector<SeqSpec> kSeqs = {{1, 1}, {15, 15}, {16, 1}, {17, 1}, {17, 5}, {100, 9}, {300, 1}};
constexpr int kContiguousSeq = 6;

struct Batch {
  std::vector<int32_t> query_start, seq_lens, block_tables, slot_mapping;
  int max_blocks = 0, num_blocks = 0, num_tokens = 0;
  AttentionBatch view() const {
    AttentionBatch b;
    b.num_seqs = int(seq_lens.size());
    b.num_tokens = num_tokens;
    b.query_start = query_start.data();
    b.seq_lens = seq_lens.data();
    b.block_tables = block_tables.data();
    b.max_blocks_per_seq = max_blocks;
    b.slot_mapping = slot_mapping.data();
    return b;
  }
};

Batch make_batch(const std::vector<SeqSpec>& seqs, int block_size, std::mt19937& rng) {
  Batch b;
  for (const SeqSpec& s : seqs) {
    b.max_blocks = std::max(b.max_blocks, (s.seq_len + block_size - 1) / block_size);
    b.num_blocks += (s.seq_len + block_size - 1) / block_size;
  }
  b.num_blocks += 3;  // spare blocks nobody owns
  std::vector<int32_t> ids(size_t(b.num_blocks));
  std::iota(ids.begin(), ids.end(), 0);
  std::shuffle(ids.begin(), ids.end(), rng);
  // The contiguous sequence takes the top ids in order.
  const int contiguous_blocks = (seqs[kContiguousSeq].seq_len + block_size - 1) / block_size;
  std::vector<int32_t> shuffled;
  for (int32_t id : ids)
    if (id < b.num_blocks - contiguous_blocks) shuffled.push_back(id);
  size_t next = 0;
  b.block_tables.assign(size_t(seqs.size()) * b.max_blocks, -1);  // unused entries stay invalid
  b.query_start.push_back(0);
  for (size_t s = 0; s < seqs.size(); ++s) {
    const int blocks = (seqs[s].seq_len + block_size - 1) / block_size;
    for (int i = 0; i < blocks; ++i) {
      b.block_tables[s * b.max_blocks + i] =
          int(s) == kContiguousSeq ? b.num_blocks - contiguous_blocks + i : shuffled[next++];
    }
    for (int j = 0; j < seqs[s].q_len; ++j) {
      const int pos = seqs[s].seq_len - seqs[s].q_len + j;
      b.slot_mapping.push_back(b.block_tables[s * b.max_blocks + pos / block_size] * block_size + pos % block_size);
    }
    b.seq_lens.push_back(seqs[s].seq_len);
    b.query_start.push_back(b.query_start.back() + seqs[s].q_len);
  }
  b.num_tokens = b.query_start.back();
  return b;
}

void run_case(const AttentionCase& c, uint32_t seed) {
  std::mt19937 rng(seed);
  const Batch batch = make_batch(kSeqs, c.block_size, rng);
  const AttentionBatch view = batch.view();
  const AttentionShape shape = shape_of(c);

  const int64_t kv_cols = int64_t(c.num_kv_heads) * c.head_dim, q_cols = int64_t(c.num_heads) * c.head_dim;
  const int64_t cache_rows = int64_t(batch.num_blocks) * c.block_size;
  // Cached context everywhere (including slots this step overwrites), then the new K/V.
  const std::vector<float> k_cache = random_floats(rng, cache_rows * kv_cols, -2.0f, 2.0f);
  const std::vector<float> v_cache = random_floats(rng, cache_rows * kv_cols);
  const HostTensor k_new = make_f32(batch.num_tokens, kv_cols, random_floats(rng, batch.num_tokens * kv_cols, -2.0f, 2.0f));
  const HostTensor v_new = make_f32(batch.num_tokens, kv_cols, random_floats(rng, batch.num_tokens * kv_cols));
  const HostTensor q = make_f32(batch.num_tokens, q_cols, random_floats(rng, batch.num_tokens * q_cols, -2.0f, 2.0f));

  HostTensor ref_k = make_f32(cache_rows, kv_cols, k_cache), ref_v = make_f32(cache_rows, kv_cols, v_cache);
  KvCacheLayer ref_cache{ref_k.t(), ref_v.t()};
  reference::write_kv(k_new.t(), v_new.t(), view, ref_cache);
  HostTensor ref_out(DType::kF32, batch.num_tokens, q_cols);
  reference::attention(q.t(), ref_cache, view, shape, ref_out.t());

  for (auto& [config_name, backend] : cpu_backends()) {
    HostTensor kc = make_f32(cache_rows, kv_cols, k_cache), vc = make_f32(cache_rows, kv_cols, v_cache);
    KvCacheLayer cache{kc.t(), vc.t()};
    backend->write_kv(k_new.t(), v_new.t(), view, cache);
    const std::string what = config_name + " " + describe(c);
    expect_close(kc.f32(), ref_k.f32(), cache_rows * kv_cols, 0.0, 0.0, what + " write_kv K");
    expect_close(vc.f32(), ref_v.f32(), cache_rows * kv_cols, 0.0, 0.0, what + " write_kv V");
    HostTensor out(DType::kF32, batch.num_tokens, q_cols);
    backend->attention(q.t(), cache, view, shape, out.t());
    // Outputs are convex combinations of values in [-1, 1]: absolute error of a few f32 ulps of
    // the scores (|score| up to ~8 here) propagated through the softmax.
    expect_close(out.f32(), ref_out.f32(), batch.num_tokens * q_cols, 0.0, 2e-5, what + " attention");
  }
}

TEST(CpuAttention, MixedBatchSweep) {
  uint32_t seed = 1;
  const std::pair<int, int> head_layouts[] = {{4, 4}, {4, 2}, {8, 2}, {16, 2}, {8, 1}};  // GQA 1/2/4/8, MQA
  for (int head_dim : {8, 64, 128})
    for (auto [heads, kv_heads] : head_layouts)
      for (int block_size : {1, 16})
        for (int window : {0, 7}) run_case({heads, kv_heads, head_dim, block_size, window}, seed++);
}

// Gemma 2's attention-logit soft-cap. Scores here reach about +-8 (|q|, |k| up to 2 per element
// over head_dim, times head_dim^-0.5), so a cap of 3 flattens the large ones hard and 50 (Gemma
// 2's value) barely moves them: both regimes, with and without a window, at odd sizes.
TEST(CpuAttention, LogitSoftcapSweep) {
  uint32_t seed = 1000;
  for (float cap : {3.0f, 50.0f})
    for (int head_dim : {8, 24, 64, 200})
      for (auto [heads, kv_heads] : {std::pair{4, 2}, std::pair{8, 1}, std::pair{3, 3}})
        for (int window : {0, 7}) run_case({heads, kv_heads, head_dim, 16, window, cap}, seed++);
  run_case({6, 3, 24, 5, 40, 0.5f}, seed++);  // a cap below every score's scale: nearly uniform weights
}

// The capped path must really cap: against an uncapped reference it differs (the test above
// could pass if both kernels and reference ignored the field).
TEST(CpuAttention, LogitSoftcapChangesTheResult) {
  std::mt19937 rng(7);
  const Batch batch = make_batch(kSeqs, 16, rng);
  const AttentionBatch view = batch.view();
  AttentionCase c{4, 2, 64, 16, 0, 0.0f};
  const int64_t kv_cols = 2 * 64, q_cols = 4 * 64, rows = int64_t(batch.num_blocks) * 16;
  HostTensor k = make_f32(rows, kv_cols, random_floats(rng, rows * kv_cols, -2.0f, 2.0f));
  HostTensor v = make_f32(rows, kv_cols, random_floats(rng, rows * kv_cols));
  const HostTensor q = make_f32(batch.num_tokens, q_cols, random_floats(rng, batch.num_tokens * q_cols, -2.0f, 2.0f));
  KvCacheLayer cache{k.t(), v.t()};
  HostTensor plain(DType::kF32, batch.num_tokens, q_cols), capped(DType::kF32, batch.num_tokens, q_cols);
  auto backend = make_cpu_backend(2);
  backend->attention(q.t(), cache, view, shape_of(c), plain.t());
  c.logit_softcap = 1.0f;
  backend->attention(q.t(), cache, view, shape_of(c), capped.t());
  double max_diff = 0.0;
  for (int64_t i = 0; i < batch.num_tokens * q_cols; ++i)
    max_diff = std::max(max_diff, double(std::fabs(plain.f32()[i] - capped.f32()[i])));
  EXPECT_GT(max_diff, 1e-2);
}

// The layers of one forward pass share the batch and the backend's scratch but not their shape
// (Gemma 2 alternates windowed+capped and global layers): shapes interleaved on one backend must
// each match the reference.
TEST(CpuAttention, LayersOfOnePassMayDifferInWindowAndCap) {
  std::mt19937 rng(11);
  const Batch batch = make_batch(kSeqs, 16, rng);
  const AttentionBatch view = batch.view();
  const AttentionCase layers[] = {{8, 2, 64, 16, 7, 5.0f}, {8, 2, 64, 16, 0, 0.0f}, {8, 2, 64, 16, 20, 0.0f},
                                  {8, 2, 64, 16, 0, 5.0f}};
  const int64_t kv_cols = 2 * 64, q_cols = 8 * 64, rows = int64_t(batch.num_blocks) * 16;
  HostTensor k = make_f32(rows, kv_cols, random_floats(rng, rows * kv_cols, -2.0f, 2.0f));
  HostTensor v = make_f32(rows, kv_cols, random_floats(rng, rows * kv_cols));
  const HostTensor q = make_f32(batch.num_tokens, q_cols, random_floats(rng, batch.num_tokens * q_cols, -2.0f, 2.0f));
  KvCacheLayer cache{k.t(), v.t()};
  for (auto& [config_name, backend] : cpu_backends()) {
    for (int pass = 0; pass < 2; ++pass) {
      for (const AttentionCase& c : layers) {
        HostTensor ref(DType::kF32, batch.num_tokens, q_cols), out(DType::kF32, batch.num_tokens, q_cols);
        reference::attention(q.t(), cache, view, shape_of(c), ref.t());
        backend->attention(q.t(), cache, view, shape_of(c), out.t());
        expect_close(out.f32(), ref.f32(), batch.num_tokens * q_cols, 0.0, 2e-5, config_name + " " + describe(c));
      }
    }
  }
}

TEST(CpuAttention, OddHeadDimAndLargeWindow) {
  run_case({6, 3, 24, 16, 40}, 99);
  run_case({2, 1, 200, 16, 0}, 100);   // head_dim above one 128-float register slab
  run_case({3, 3, 5, 4, 1}, 101);      // window 1: each query sees only itself
}

TEST(CpuAttention, PaddingSlotsAreSkippedByWriteKv) {
  auto backend = make_cpu_backend(1);
  HostTensor k = make_f32(2, 4, {1, 2, 3, 4, 5, 6, 7, 8}), v = make_f32(2, 4, {8, 7, 6, 5, 4, 3, 2, 1});
  HostTensor kc(DType::kF32, 4, 4), vc(DType::kF32, 4, 4);
  KvCacheLayer cache{kc.t(), vc.t()};
  std::vector<int32_t> slots = {-1, 2};
  AttentionBatch b;
  b.num_tokens = 2;
  b.slot_mapping = slots.data();
  backend->write_kv(k.t(), v.t(), b, cache);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(kc.f32()[2 * 4 + i], float(5 + i));
    EXPECT_EQ(vc.f32()[2 * 4 + i], float(4 - i));
    EXPECT_EQ(kc.f32()[0 * 4 + i], 0.0f);
  }
}

TEST(CpuAttentionDeathTest, BadBatchesAbort) {
  auto backend = make_cpu_backend(1);
  HostTensor q(DType::kF32, 1, 8), out(DType::kF32, 1, 8), kc(DType::kF32, 8, 8), vc(DType::kF32, 8, 8);
  KvCacheLayer cache{kc.t(), vc.t()};
  AttentionShape shape;
  shape.num_heads = 1;
  shape.num_kv_heads = 1;
  shape.head_dim = 8;
  shape.block_size = 4;
  shape.scale = 1.0f;
  std::vector<int32_t> qs = {0, 1}, lens = {5}, table = {0, 7};  // block id 7 is outside 2 blocks
  AttentionBatch b;
  b.num_seqs = 1;
  b.num_tokens = 1;
  b.query_start = qs.data();
  b.seq_lens = lens.data();
  b.block_tables = table.data();
  b.max_blocks_per_seq = 2;
  EXPECT_DEATH(backend->attention(q.t(), cache, b, shape, out.t()), "outside");
  table[1] = 1;
  lens[0] = 9;  // more tokens than two blocks of 4 hold
  EXPECT_DEATH(backend->attention(q.t(), cache, b, shape, out.t()), "blocks");
  lens[0] = 5;
  shape.num_kv_heads = 3;  // does not divide num_heads
  EXPECT_DEATH(backend->attention(q.t(), cache, b, shape, out.t()), "heads");
}

}  // namespace
}  // namespace turbine::test
