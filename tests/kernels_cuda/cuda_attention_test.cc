// write_kv and paged attention on the CUDA backend against the reference, over flat batches that
// mix fresh single tokens, full prefills, decodes at block edges, prefill chunks on cached
// context, and long contexts (1000 and 4099 keys), with shuffled block tables.
//
// Each batch runs on three backends: split-KV picked by the backend, forced to one split (the
// direct path), and forced to five (partials + merge, including splits left empty by short
// sequences). write_kv must copy exactly. Attention outputs are convex combinations of V values
// in [-1, 1]: the bound is one BF16 ulp of the output (2^-7 relative; the rounding costs up to
// 2^-8) plus 2e-4 absolute for F32 softmax and accumulation over up to 4099 keys.
//
// Head dims 64, 128 and 256 take the tensor-core kernel (paged_attention.h), whose shape depends
// on the batch: the decode shape when the average sequence has at most 16 query rows
// (q_len * group), else the prefill shape. The cases below cover both shapes with GQA groups
// whose heads straddle the 16- and 64-row tiles (3, 5), q_len 2..16, long cached contexts under
// short chunks (which split automatically), block sizes that are not 16, and a q that is not
// 16-byte aligned (the CUDA-core fallback).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "backend/cpu/reference_ops.h"
#include "backend/cuda/attention/paged_attention.h"
#include "cuda_test_util.h"

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

struct Batch {
  std::vector<int32_t> query_start, seq_lens, block_tables, slot_mapping;
  int max_blocks = 0, num_blocks = 0, num_tokens = 0;
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
  size_t next = 0;
  b.block_tables.assign(size_t(seqs.size()) * b.max_blocks, -1);  // unused entries stay invalid
  b.query_start.push_back(0);
  for (size_t s = 0; s < seqs.size(); ++s) {
    const int blocks = (seqs[s].seq_len + block_size - 1) / block_size;
    for (int i = 0; i < blocks; ++i) b.block_tables[s * b.max_blocks + i] = ids[next++];
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

AttentionBatch host_view(const Batch& b) {
  AttentionBatch v;
  v.num_seqs = int(b.seq_lens.size());
  v.num_tokens = b.num_tokens;
  v.query_start = b.query_start.data();
  v.seq_lens = b.seq_lens.data();
  v.block_tables = b.block_tables.data();
  v.max_blocks_per_seq = b.max_blocks;
  v.slot_mapping = b.slot_mapping.data();
  return v;
}

// The same batch with its index arrays in device memory.
struct DeviceBatch {
  DeviceBuffer query_start, seq_lens, block_tables, slot_mapping;
  AttentionBatch view;
  DeviceBatch(Backend& backend, const Batch& b) {
    query_start = upload_ints(backend, b.query_start);
    seq_lens = upload_ints(backend, b.seq_lens);
    block_tables = upload_ints(backend, b.block_tables);
    slot_mapping = upload_ints(backend, b.slot_mapping);
    view = host_view(b);
    view.query_start = static_cast<const int32_t*>(query_start.data());
    view.seq_lens = static_cast<const int32_t*>(seq_lens.data());
    view.block_tables = static_cast<const int32_t*>(block_tables.data());
    view.slot_mapping = static_cast<const int32_t*>(slot_mapping.data());
  }
};

std::string describe(const AttentionCase& c, const std::string& batch_name) {
  return batch_name + " heads=" + std::to_string(c.num_heads) + "/" + std::to_string(c.num_kv_heads) +
         " d=" + std::to_string(c.head_dim) + " bs=" + std::to_string(c.block_size) +
         " window=" + std::to_string(c.sliding_window) +
         (c.logit_softcap > 0.0f ? " softcap=" + std::to_string(c.logit_softcap) : "");
}

// q_offset_bytes > 0 hands the op a q that is only that aligned (the tensor-core path needs 16).
void run_case(const AttentionCase& c, const std::vector<SeqSpec>& seqs, const std::string& batch_name, uint32_t seed,
              size_t q_offset_bytes = 0) {
  std::mt19937 rng(seed);
  const Batch batch = make_batch(seqs, c.block_size, rng);
  AttentionShape shape;
  shape.num_heads = c.num_heads;
  shape.num_kv_heads = c.num_kv_heads;
  shape.head_dim = c.head_dim;
  shape.block_size = c.block_size;
  shape.scale = 1.0f / std::sqrt(float(c.head_dim));
  shape.sliding_window = c.sliding_window;
  shape.logit_softcap = c.logit_softcap;

  const int64_t kv_cols = int64_t(c.num_kv_heads) * c.head_dim, q_cols = int64_t(c.num_heads) * c.head_dim;
  const int64_t cache_rows = int64_t(batch.num_blocks) * c.block_size;
  const int64_t tokens = batch.num_tokens;
  // Cached context everywhere (including slots this step overwrites), then the new K/V.
  const std::vector<float> k_cache = random_bf16(rng, cache_rows * kv_cols, -2.0f, 2.0f);
  const std::vector<float> v_cache = random_bf16(rng, cache_rows * kv_cols);
  std::vector<float> k_new = random_bf16(rng, tokens * kv_cols, -2.0f, 2.0f);
  std::vector<float> v_new = random_bf16(rng, tokens * kv_cols);
  std::vector<float> q = random_bf16(rng, tokens * q_cols, -2.0f, 2.0f);

  std::vector<float> ref_k = k_cache, ref_v = v_cache, ref_out(size_t(tokens * q_cols));
  KvCacheLayer ref_cache{f32_view(ref_k, cache_rows, kv_cols), f32_view(ref_v, cache_rows, kv_cols)};
  const AttentionBatch view = host_view(batch);
  reference::write_kv(f32_view(k_new, tokens, kv_cols), f32_view(v_new, tokens, kv_cols), view, ref_cache);
  Tensor ro = f32_view(ref_out, tokens, q_cols);
  reference::attention(f32_view(q, tokens, q_cols), ref_cache, view, shape, ro);

  const std::string what = describe(c, batch_name) + (q_offset_bytes ? " q+" + std::to_string(q_offset_bytes) : "");
  for (int splits : {0, 1, 5}) {
    Backend& b = cuda_backend(splits);
    const DeviceBatch db(b, batch);
    DeviceTensor kc(b, DType::kBF16, cache_rows, kv_cols, k_cache), vc(b, DType::kBF16, cache_rows, kv_cols, v_cache);
    const DeviceTensor dk(b, DType::kBF16, tokens, kv_cols, k_new), dv(b, DType::kBF16, tokens, kv_cols, v_new);
    const DeviceTensor dq(b, DType::kBF16, tokens, q_cols, q, q_offset_bytes);
    KvCacheLayer cache{kc.t, vc.t};
    b.write_kv(dk.t, dv.t, db.view, cache);
    const std::string tag = what + (splits == 0 ? " auto" : " splits=" + std::to_string(splits));
    if (splits == 0) {  // the cache write is the same kernel on every backend
      expect_close(kc.download(b), ref_k, 0.0, 0.0, tag + " write_kv K");
      expect_close(vc.download(b), ref_v, 0.0, 0.0, tag + " write_kv V");
    }
    DeviceTensor out = DeviceTensor::poisoned(b, DType::kBF16, tokens, q_cols);
    b.attention(dq.t, cache, db.view, shape, out.t);
    expect_close(out.download(b), ref_out, 1.0 / 128, 2e-4, tag + " attention");
  }
}

// seq_len 1 fresh; 15 full prefill; 16 and 17 decodes at and past a block edge; 17 with a 5-token
// chunk; 1000 decode and 37-token chunk; 4099 decode and 3-token chunk.
const std::vector<SeqSpec> kMixed = {{1, 1},    {15, 15},  {16, 1},   {17, 1},  {17, 5},
                                     {1000, 1}, {1000, 37}, {4099, 1}, {4099, 3}};

using CudaAttention = CudaTest;

TEST_F(CudaAttention, MixedBatchSweep) {
  uint32_t seed = 1;
  const std::pair<int, int> layouts[] = {{2, 2}, {8, 2}, {16, 2}};  // GQA 1, 4, 8
  for (int head_dim : {64, 128})
    for (auto [heads, kv_heads] : layouts)
      for (int window : {0, 100}) run_case({heads, kv_heads, head_dim, 16, window}, kMixed, "mixed", seed++);
}

// Decode-only batches of 1, 3, 17 and 255 sequences with contexts cycling through the awkward
// lengths (1, 15, 16, 17, 1000, 4099) and random ones, so the automatic split count varies.
TEST_F(CudaAttention, DecodeBatches) {
  uint32_t seed = 100;
  const int lengths[] = {1, 15, 16, 17, 1000, 4099};
  for (int batch : {1, 3, 17, 255}) {
    std::mt19937 rng(seed);
    std::vector<SeqSpec> seqs;
    for (int s = 0; s < batch; ++s) {
      const int len = batch == 1 ? 4099 : s % 3 == 2 ? int(1 + rng() % 600) : lengths[s % 6];
      seqs.push_back({len, 1});
    }
    run_case({8, 1, 128, 16, 0}, seqs, "decode x" + std::to_string(batch), seed++);
    run_case({4, 4, 64, 16, 0}, seqs, "decode x" + std::to_string(batch), seed++);
  }
}

// Prefill-heavy batches: many queries per sequence, chunks on top of cached context.
TEST_F(CudaAttention, PrefillBatches) {
  run_case({4, 1, 64, 16, 0}, {{1000, 1000}, {300, 300}}, "prefill 1000+300", 200);
  run_case({4, 1, 64, 16, 256}, {{1000, 1000}, {300, 300}}, "prefill 1000+300", 201);
  std::mt19937 rng(202);
  std::vector<SeqSpec> seqs;
  for (int s = 0; s < 17; ++s) {
    const int len = int(1 + rng() % 700);
    seqs.push_back({len, s % 2 == 0 ? 1 : int(1 + rng() % std::min(len, 64))});
  }
  run_case({16, 2, 128, 16, 0}, seqs, "mixed x17", 203);
  run_case({12, 4, 64, 16, 33}, seqs, "mixed x17", 204);  // GQA 3 (the demo model's), windowed
}

// Head dims other than 64/128, odd block sizes, window 1, and a GQA group above 8 (two blocks of
// query heads per KV head).
TEST_F(CudaAttention, OtherShapes) {
  run_case({4, 2, 256, 16, 0}, kMixed, "mixed", 300);
  run_case({2, 1, 96, 16, 0}, kMixed, "mixed", 301);
  run_case({3, 3, 16, 16, 0}, kMixed, "mixed", 302);
  run_case({6, 3, 24, 5, 40}, kMixed, "mixed", 303);
  run_case({2, 1, 64, 1, 0}, {{1, 1}, {17, 5}, {300, 1}}, "small", 304);
  run_case({3, 3, 64, 16, 1}, kMixed, "mixed", 305);
  run_case({16, 1, 64, 16, 0}, kMixed, "mixed", 306);
}

// GQA packing: groups 3, 4, 5 and 8 with q_len 1..16. The first batch averages under 16 query
// rows per sequence (the decode shape: one 16-row tile, so q_len 3 at group 8 takes two tiles and
// group 3 and 5 split a token's heads between tiles); the second averages more (the prefill
// shape's 64-row tiles, with the same straddling at groups 3 and 5).
TEST_F(CudaAttention, GqaPackingShortQueries) {
  const std::vector<SeqSpec> decode_like = {{40, 1},  {100, 2}, {33, 4},   {1500, 3},
                                            {17, 1},  {600, 2}, {4099, 1}, {16, 1}};
  const std::vector<SeqSpec> chunks = {{40, 16}, {100, 9}, {1500, 13}, {17, 7}, {300, 2}, {64, 16}};
  uint32_t seed = 500;
  const std::pair<int, int> layouts[] = {{12, 4}, {8, 2}, {10, 2}, {16, 2}};  // GQA 3, 4, 5, 8
  for (auto [heads, kv_heads] : layouts) {
    for (int head_dim : {64, 128}) {
      run_case({heads, kv_heads, head_dim, 16, 0}, decode_like, "short q", seed++);
      run_case({heads, kv_heads, head_dim, 16, 0}, chunks, "chunks 2..16", seed++);
    }
  }
  run_case({8, 2, 128, 16, 50}, decode_like, "short q", seed++);  // windowed
  run_case({10, 2, 64, 16, 20}, chunks, "chunks 2..16", seed++);
}

// Chunked prefill on long cached context: few query tiles and thousands of keys each, which the
// automatic plan splits (and the forced plans split 1 and 5 ways), with and without a window.
TEST_F(CudaAttention, ChunkedPrefillLongContext) {
  run_case({8, 2, 128, 16, 0}, {{5000, 128}}, "chunk 128 on 5000", 600);
  run_case({8, 2, 128, 16, 1000}, {{5000, 128}}, "chunk 128 on 5000", 601);
  run_case({4, 4, 64, 16, 0}, {{3000, 64}, {2000, 1}, {2500, 16}}, "chunks on 3000/2000/2500", 602);
  run_case({4, 1, 256, 16, 0}, {{3000, 40}, {700, 1}}, "chunk 40 on 3000", 603);
}

// Block sizes other than 16 on the tensor-core path (keys are looked up one by one, so any size
// works): 32, 48, 7 and 1.
TEST_F(CudaAttention, BlockSizes) {
  run_case({8, 2, 128, 32, 0}, kMixed, "mixed", 700);
  run_case({4, 1, 64, 48, 100}, kMixed, "mixed", 701);
  run_case({4, 2, 128, 7, 0}, kMixed, "mixed", 702);
  run_case({2, 2, 64, 1, 0}, {{1, 1}, {17, 5}, {300, 1}, {40, 40}}, "small", 703);
}

// A q 8 bytes past a 16-byte boundary runs on the CUDA-core kernel, which must be as right.
TEST_F(CudaAttention, UnalignedQueryFallsBack) {
  run_case({8, 2, 128, 16, 0}, kMixed, "mixed", 800, 8);
  run_case({4, 4, 64, 16, 0}, {{1000, 1}, {17, 1}, {300, 1}}, "decode", 801, 2);
}

// The automatic plan's workspace never exceeds paged_attention_max_workspace_bytes, over random
// batches; the bound itself stays small (the backend allocates it once).
TEST_F(CudaAttention, PlanStaysUnderTheWorkspaceBound) {
  using namespace turbine::cuda;
  std::mt19937 rng(900);
  const int head_dims[] = {64, 128, 256, 96, 16};
  const std::pair<int, int> layouts[] = {{32, 8}, {8, 1}, {4, 4}, {12, 4}, {64, 8}};
  int flash_plans = 0, split_plans = 0;
  for (int i = 0; i < 4000; ++i) {
    PagedAttentionParams p;
    const auto [heads, kv_heads] = layouts[rng() % 5];
    p.num_heads = heads;
    p.num_kv_heads = kv_heads;
    p.head_dim = head_dims[rng() % 5];
    p.block_size = 16;
    const int max_tokens = int(1 + rng() % (1u << (rng() % 14)));  // log-uniform up to 8192
    p.num_tokens = int(1 + rng() % max_tokens);
    p.num_seqs = int(1 + rng() % p.num_tokens);
    p.q = reinterpret_cast<const void*>(uintptr_t(4096));
    const int64_t max_context = int64_t(1) << (rng() % 20);
    const int num_sms = int(1 + rng() % 200);
    plan_paged_attention(p, max_context, num_sms, 0);
    const size_t bytes = paged_attention_workspace_bytes(p);
    const size_t bound = paged_attention_max_workspace_bytes(max_tokens, heads, p.head_dim, num_sms);
    ASSERT_LE(bytes, bound) << "tokens " << p.num_tokens << " seqs " << p.num_seqs << " heads " << heads << "/"
                            << kv_heads << " d " << p.head_dim << " context " << max_context << " sms " << num_sms
                            << " splits " << p.num_splits;
    ASSERT_GE(p.num_splits, 1);
    ASSERT_LE(p.num_splits, kAttentionMaxSplits);
    const bool flash = p.head_dim == 64 || p.head_dim == 128 || p.head_dim == 256;
    ASSERT_EQ(p.path != PagedAttentionPath::kSimt, flash) << "d " << p.head_dim;
    flash_plans += flash;
    split_plans += p.num_splits > 1;
    // Forced plans are bounded by the forced variant of the bound.
    plan_paged_attention(p, max_context, num_sms, 5);
    ASSERT_LE(paged_attention_workspace_bytes(p),
              paged_attention_max_workspace_bytes(max_tokens, heads, p.head_dim, num_sms, 5));
  }
  EXPECT_GT(flash_plans, 1000);
  EXPECT_GT(split_plans, 100);
  // 132 SMs (an H100/H200), 32 heads of 128: 132 * 256 partial rows of 130 floats, about 17 MB.
  EXPECT_LE(paged_attention_max_workspace_bytes(1 << 20, 32, 128, 132), size_t(18) << 20);
  // An unaligned q plans the CUDA-core kernel.
  PagedAttentionParams p;
  p.num_heads = 8, p.num_kv_heads = 2, p.head_dim = 128, p.block_size = 16, p.num_tokens = 4, p.num_seqs = 4;
  p.q = reinterpret_cast<const void*>(uintptr_t(4096 + 8));
  plan_paged_attention(p, 4096, 132, 0);
  EXPECT_EQ(p.path, PagedAttentionPath::kSimt);
  p.q = reinterpret_cast<const void*>(uintptr_t(4096));
  plan_paged_attention(p, 4096, 132, 0);
  EXPECT_EQ(p.path, PagedAttentionPath::kFlashDecode);
  p.num_tokens = 2048, p.num_seqs = 1;
  plan_paged_attention(p, 4096, 132, 0);
  EXPECT_EQ(p.path, PagedAttentionPath::kFlashPrefill);
  EXPECT_EQ(p.num_splits, 1);
}

// Gemma 2's attention-logit soft-cap, a compile-time variant of every kernel: the tensor-core
// decode and prefill shapes (head dims 64, 128, 256), the CUDA-core kernel (head_dim 96 and an
// unaligned q), split and unsplit, windowed and not. Scores here reach about +-8 (+-16 at head_dim
// 256), so a cap of 3 bends most of them and 50 (Gemma 2's value) few.
TEST_F(CudaAttention, LogitSoftcap) {
  uint32_t seed = 1000;
  for (float cap : {3.0f, 50.0f}) {
    run_case({8, 2, 128, 16, 0, cap}, kMixed, "mixed", seed++);
    run_case({8, 2, 64, 16, 100, cap}, kMixed, "mixed", seed++);
    run_case({4, 2, 256, 16, 0, cap}, kMixed, "mixed", seed++);
    run_case({2, 1, 96, 16, 0, cap}, kMixed, "mixed", seed++);
    run_case({12, 4, 64, 16, 33, cap}, {{1000, 1000}, {300, 300}}, "prefill 1000+300", seed++);
    run_case({8, 2, 128, 16, 0, cap}, {{5000, 128}}, "chunk 128 on 5000", seed++);
    run_case({8, 2, 128, 16, 0, cap}, kMixed, "mixed", seed++, 8);  // unaligned q: the CUDA-core kernel
  }
}

// The layers of one forward pass differ in window and cap (Gemma 2 alternates local capped and
// global layers) while sharing the batch and the backend's workspace: interleaved shapes on one
// backend, each against the reference, with a decode-shaped and a prefill-shaped batch.
TEST_F(CudaAttention, LayersOfOnePassMayDifferInWindowAndCap) {
  const AttentionCase layers[] = {{8, 2, 128, 16, 64, 20.0f}, {8, 2, 128, 16, 0, 0.0f},
                                  {8, 2, 128, 16, 0, 20.0f}, {8, 2, 128, 16, 300, 0.0f}};
  const std::vector<SeqSpec> decode = {{1000, 1}, {17, 1}, {4099, 1}, {300, 1}};
  const std::vector<SeqSpec> prefill = {{700, 700}, {1000, 37}};
  for (const auto* seqs : {&decode, &prefill}) {
    std::mt19937 rng(1100);
    const Batch batch = make_batch(*seqs, 16, rng);
    const int64_t kv_cols = 2 * 128, q_cols = 8 * 128, rows = int64_t(batch.num_blocks) * 16;
    const std::vector<float> k = random_bf16(rng, rows * kv_cols, -2.0f, 2.0f), v = random_bf16(rng, rows * kv_cols);
    std::vector<float> q = random_bf16(rng, batch.num_tokens * q_cols, -2.0f, 2.0f);
    std::vector<float> ref_k = k, ref_v = v;
    KvCacheLayer ref_cache{f32_view(ref_k, rows, kv_cols), f32_view(ref_v, rows, kv_cols)};
    Backend& b = cuda_backend();
    const DeviceBatch db(b, batch);
    DeviceTensor kc(b, DType::kBF16, rows, kv_cols, k), vc(b, DType::kBF16, rows, kv_cols, v);
    const DeviceTensor dq(b, DType::kBF16, batch.num_tokens, q_cols, q);
    KvCacheLayer cache{kc.t, vc.t};
    for (int pass = 0; pass < 2; ++pass) {
      for (const AttentionCase& c : layers) {
        AttentionShape shape;
        shape.num_heads = c.num_heads, shape.num_kv_heads = c.num_kv_heads, shape.head_dim = c.head_dim;
        shape.block_size = c.block_size, shape.scale = 1.0f / std::sqrt(float(c.head_dim));
        shape.sliding_window = c.sliding_window, shape.logit_softcap = c.logit_softcap;
        std::vector<float> ref(size_t(batch.num_tokens * q_cols));
        Tensor ro = f32_view(ref, batch.num_tokens, q_cols);
        reference::attention(f32_view(q, batch.num_tokens, q_cols), ref_cache, host_view(batch), shape, ro);
        DeviceTensor out = DeviceTensor::poisoned(b, DType::kBF16, batch.num_tokens, q_cols);
        b.attention(dq.t, cache, db.view, shape, out.t);
        expect_close(out.download(b), ref, 1.0 / 128, 2e-4,
                     describe(c, seqs == &decode ? "decode layers" : "prefill layers"));
      }
    }
  }
}

TEST_F(CudaAttention, EmptySequencesInTheBatch) {
  // Sequences with no queries this step (q_len 0) share query_start with their neighbour.
  run_case({4, 2, 64, 16, 0}, {{5, 0}, {17, 3}, {40, 0}, {40, 1}, {1, 1}}, "with empty", 400);
}

using CudaAttentionDeathTest = CudaDeathTest;

TEST_F(CudaAttentionDeathTest, BadBlockIdAborts) {
  const auto bad_block = [] {
    Backend& b = cuda_backend();
    const DeviceTensor q(b, DType::kBF16, 1, 64, std::vector<float>(64, 0.5f));
    DeviceTensor out = DeviceTensor::poisoned(b, DType::kBF16, 1, 64);
    DeviceTensor kc(b, DType::kBF16, 32, 64, std::vector<float>(32 * 64, 0.5f));
    DeviceTensor vc(b, DType::kBF16, 32, 64, std::vector<float>(32 * 64, 0.5f));
    KvCacheLayer cache{kc.t, vc.t};
    Batch batch;
    batch.query_start = {0, 1};
    batch.seq_lens = {20};
    batch.block_tables = {0, 7};  // block 7 of a 2-block cache
    batch.slot_mapping = {0};
    batch.max_blocks = 2;
    batch.num_blocks = 2;
    batch.num_tokens = 1;
    const DeviceBatch db(b, batch);
    AttentionShape shape;
    shape.num_heads = 1;
    shape.num_kv_heads = 1;
    shape.head_dim = 64;
    shape.block_size = 16;
    shape.scale = 0.125f;
    b.attention(q.t, cache, db.view, shape, out.t);
    b.synchronize();
  };
  EXPECT_DEATH(bad_block(), "attention: sequence 0 block 1 is id 7");
}

}  // namespace
}  // namespace turbine::test
