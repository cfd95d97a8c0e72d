// DecodeGraphs' batch-size ladder and fixed input layout (runner/decode_graphs.h), on the CPU
// backend (host memory, so the device copy can be read back directly). Capture and replay need a
// GPU: the CUDA golden tests run with graphs on.
#include <gtest/gtest.h>

#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "runner/decode_graphs.h"

namespace turbine {
namespace {

TEST(DecodeGraphs, LadderIsOneTwoFourThenMultiplesOfEightEndingAtTheMax) {
  EXPECT_EQ(DecodeGraphs::ladder(1), (std::vector<int>{1}));
  EXPECT_EQ(DecodeGraphs::ladder(3), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(DecodeGraphs::ladder(20), (std::vector<int>{1, 2, 4, 8, 16, 20}));
  EXPECT_EQ(DecodeGraphs::ladder(32), (std::vector<int>{1, 2, 4, 8, 16, 24, 32}));
  const std::vector<int> big = DecodeGraphs::ladder(300);
  EXPECT_EQ(big.size(), 3u + 32u + 2u + 1u);  // 1, 2, 4; 8..256 by 8; 272, 288; 300
  EXPECT_EQ(std::vector<int>(big.end() - 4, big.end()), (std::vector<int>{256, 272, 288, 300}));
}

TEST(DecodeGraphs, PaddedSizeIsTheNextRungOrZeroBeyondTheTop) {
  auto backend = make_cpu_backend(1);
  DecodeGraphs graphs(*backend, 20, 4);
  EXPECT_EQ(graphs.padded_size(1), 1);
  EXPECT_EQ(graphs.padded_size(3), 4);
  EXPECT_EQ(graphs.padded_size(9), 16);
  EXPECT_EQ(graphs.padded_size(17), 20);
  EXPECT_EQ(graphs.padded_size(21), 0);
}

TEST(DecodeGraphs, UploadPadsRowsIntoTheNullBlockAndKeepsTheRealOnes) {
  auto backend = make_cpu_backend(1);
  const int stride = 3;
  DecodeGraphs graphs(*backend, 8, stride);
  auto fill = [&](const DecodeInputs& h, auto table_base) {
    for (int s = 0; s < 3; ++s) {  // three real decode rows
      h.ids[s] = 100 + s;
      h.feed[s] = s == 1 ? 7 : -1;
      h.positions[s] = 17 + s;
      h.step_lens[s] = h.seq_lens[s] = 18 + s;
      h.slots[s] = 40 + s;
      for (int b = 0; b < stride; ++b) h.block_tables[s * stride + b] = table_base(s, b);
    }
  };
  const DecodeInputs h = graphs.host_inputs();
  fill(h, [](int s, int b) { return 5 + s + b; });
  const ForwardBatch f = graphs.upload(3, 4, stride);
  EXPECT_EQ(f.num_tokens, 4);
  EXPECT_EQ(f.num_logits, 4);
  EXPECT_EQ(f.attention.num_seqs, 4);
  EXPECT_EQ(f.attention.max_blocks_per_seq, stride);
  // The copy the forward pass reads (host memory on the CPU backend).
  EXPECT_EQ(f.token_ids[1], 101);
  EXPECT_EQ(f.positions[2], 19);
  EXPECT_EQ(f.attention.slot_mapping[0], 40);
  EXPECT_EQ(f.attention.block_tables[2 * stride + 1], 8);
  for (int i = 0; i <= 4; ++i) EXPECT_EQ(f.attention.query_start[i], i);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(f.logits_rows[i], i);
  // The padded row: token 0 at position 0, one token of context in the null block's slot 0.
  EXPECT_EQ(f.token_ids[3], 0);
  EXPECT_EQ(f.positions[3], 0);
  EXPECT_EQ(f.attention.seq_lens[3], 1);
  EXPECT_EQ(f.attention.slot_mapping[3], 0);
  EXPECT_EQ(f.attention.block_tables[3 * stride], 0);
  EXPECT_EQ(graphs.device_feed()[1], 7);
  EXPECT_EQ(graphs.device_feed()[3], -1);  // padded rows feed nothing
  EXPECT_EQ(graphs.device_ids(), f.token_ids);

  // The next step fills the other host slot (the first one's copy may still be queued).
  const DecodeInputs next = graphs.host_inputs();
  EXPECT_NE(next.ids, h.ids);
  // A later step whose sequences hold fewer blocks copies only that prefix of each row.
  fill(next, [](int s, int b) { return 50 + 10 * s + b; });
  const ForwardBatch g = graphs.upload(3, 4, 1);
  EXPECT_EQ(graphs.host_inputs().ids, h.ids);
  for (int s = 0; s < 3; ++s) {
    EXPECT_EQ(g.attention.block_tables[s * stride], 50 + 10 * s);
    EXPECT_EQ(g.attention.block_tables[s * stride + 1], 5 + s + 1);  // beyond the width: the old copy
  }
  EXPECT_DEATH(graphs.upload(3, 4, stride + 1), "table width");

  // A step whose rows' tables are already on the device copies the per-row arrays only.
  const DecodeInputs third = graphs.host_inputs();
  fill(third, [](int, int) { return 777; });
  third.positions[0] = 23;
  const ForwardBatch k = graphs.upload(3, 4, stride, /*copy_tables=*/false);
  EXPECT_EQ(k.positions[0], 23);
  for (int s = 0; s < 3; ++s) EXPECT_EQ(k.attention.block_tables[s * stride], 50 + 10 * s);  // the previous copy
}

TEST(DecodeGraphs, UploadOfNoRealRowsPadsEveryRow) {
  // capture_all's warm-up and capture run over padding only, whatever the slot held before.
  auto backend = make_cpu_backend(1);
  const int stride = 2;
  DecodeGraphs graphs(*backend, 8, stride);
  const DecodeInputs h = graphs.host_inputs();
  for (int s = 0; s < 8; ++s) h.ids[s] = h.positions[s] = h.slots[s] = 99, h.feed[s] = 3;
  const ForwardBatch f = graphs.upload(0, 8, 1);
  EXPECT_EQ(f.num_tokens, 8);
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(f.token_ids[i], 0);
    EXPECT_EQ(f.positions[i], 0);
    EXPECT_EQ(f.attention.slot_mapping[i], 0);
    EXPECT_EQ(f.attention.seq_lens[i], 1);
    EXPECT_EQ(f.attention.block_tables[i * stride], 0);
    EXPECT_EQ(graphs.device_feed()[i], -1);
  }
  EXPECT_DEATH(graphs.upload(0, 0, 1), "padded 0");
}

}  // namespace
}  // namespace turbine
