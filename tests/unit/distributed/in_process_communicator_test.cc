#include "distributed/in_process_communicator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "common/error.h"
#include "run_ranks.h"

namespace turbine {
namespace {

// Host memory for one rank's tensor; 8-byte elements keep every dtype aligned.
struct HostTensor {
  HostTensor(DType dtype, int64_t rows, int64_t cols)
      : storage((size_t(rows * cols) * dtype_size(dtype) + 7) / 8), tensor{storage.data(), dtype, rows, cols} {}
  std::vector<uint64_t> storage;
  Tensor tensor;
};

double load(const Tensor& t, int64_t i) {
  switch (t.dtype) {
    case DType::kF32: return t.as<float>()[i];
    case DType::kBF16: return bf16_to_f32(t.as<uint16_t>()[i]);
    case DType::kF16: return f16_to_f32(t.as<uint16_t>()[i]);
  }
  return 0;
}

void store(Tensor& t, int64_t i, float v) {
  switch (t.dtype) {
    case DType::kF32: t.as<float>()[i] = v; return;
    case DType::kBF16: t.as<uint16_t>()[i] = f32_to_bf16(v); return;
    case DType::kF16: t.as<uint16_t>()[i] = f32_to_f16(v); return;
  }
}

// Raw bits of `v` rounded to the dtype, for bit-exact comparisons.
uint32_t rounded_bits(DType dtype, float v) {
  switch (dtype) {
    case DType::kF32: return std::bit_cast<uint32_t>(v);
    case DType::kBF16: return f32_to_bf16(v);
    case DType::kF16: return f32_to_f16(v);
  }
  return 0;
}

uint32_t bits_at(const Tensor& t, int64_t i) {
  return t.dtype == DType::kF32 ? t.as<uint32_t>()[i] : t.as<uint16_t>()[i];
}

// A value the dtype holds exactly, with few enough significant bits that any sum of four of
// them is exact in float (and in double): the reference then does not depend on the order of
// the adds, and the only rounding is the final one to the dtype, which BF16 and F16 need.
float exact_value(DType dtype, std::mt19937& rng) {
  switch (dtype) {
    case DType::kF32: return float(std::uniform_int_distribution<int>(-(1 << 19), 1 << 19)(rng)) / 4096.0f;
    case DType::kBF16: return float(std::uniform_int_distribution<int>(-255, 255)(rng)) / 256.0f;
    case DType::kF16: return float(std::uniform_int_distribution<int>(-2047, 2047)(rng)) / 1024.0f;
  }
  return 0;
}

std::string dtype_label(DType d) { return std::string(dtype_name(d)); }

// ---------------------------------------------------------------------------------------------
// all_reduce_sum against a reference summed in double and rounded once, at awkward sizes.

using AllReduceCase = std::tuple<int, DType, std::pair<int64_t, int64_t>>;

class AllReduceSum : public testing::TestWithParam<AllReduceCase> {};

TEST_P(AllReduceSum, MatchesTheRoundedReferenceBitForBitOnEveryRank) {
  const auto [world, dtype, shape] = GetParam();
  const auto [rows, cols] = shape;
  const int64_t n = rows * cols;

  std::vector<HostTensor> xs;
  for (int r = 0; r < world; ++r) {
    xs.emplace_back(dtype, rows, cols);
    std::mt19937 rng(1234 + r);
    for (int64_t i = 0; i < n; ++i) store(xs.back().tensor, i, exact_value(dtype, rng));
  }
  std::vector<uint32_t> expected(static_cast<size_t>(n)), rounded_per_add(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    double sum = 0;
    for (int r = 0; r < world; ++r) sum += load(xs[r].tensor, i);
    expected[i] = rounded_bits(dtype, float(sum));
    // What an implementation that rounds after every add would give.
    Tensor one = xs[0].tensor;
    float running = float(load(one, i));
    for (int r = 1; r < world; ++r) {
      std::vector<uint64_t> scratch(1);
      Tensor cell{scratch.data(), dtype, 1, 1};
      store(cell, 0, running + float(load(xs[r].tensor, i)));
      running = float(load(cell, 0));
    }
    rounded_per_add[i] = rounded_bits(dtype, running);
  }
  // The data must tell rounding once from rounding per add, or this test could not catch it.
  if (dtype != DType::kF32 && world >= 3 && n >= 1000) {
    EXPECT_NE(expected, rounded_per_add);
  }

  expect_no_errors(run_ranks(make_in_process_group(world),
                             [&](Communicator& comm) { comm.all_reduce_sum(xs[comm.rank()].tensor); }));

  for (int r = 0; r < world; ++r) {
    int mismatches = 0;
    for (int64_t i = 0; i < n && mismatches < 5; ++i) {
      if (bits_at(xs[r].tensor, i) != expected[i]) {
        ++mismatches;
        ADD_FAILURE() << "rank " << r << " element " << i << ": got " << load(xs[r].tensor, i)
                      << ", expected bits " << expected[i];
      }
    }
    EXPECT_EQ(std::memcmp(xs[r].tensor.data, xs[0].tensor.data, xs[0].tensor.nbytes()), 0)
        << "rank " << r << " differs from rank 0";
  }
}

std::string all_reduce_case_name(const testing::TestParamInfo<AllReduceCase>& info) {
  const auto& [world, dtype, shape] = info.param;
  return "world" + std::to_string(world) + "_" + dtype_label(dtype) + "_" + std::to_string(shape.first) + "x" +
         std::to_string(shape.second);
}

INSTANTIATE_TEST_SUITE_P(
    WorldsDtypesShapes, AllReduceSum,
    testing::Combine(testing::Values(1, 2, 3, 4), testing::Values(DType::kF32, DType::kBF16, DType::kF16),
                     testing::Values(std::pair<int64_t, int64_t>{1, 1}, std::pair<int64_t, int64_t>{7, 13},
                                     std::pair<int64_t, int64_t>{1000, 37})),
    all_reduce_case_name);

TEST(AllReduceSumOrder, F32AddsInRankOrderWhateverTheValues) {
  // General floats, where the order of the adds shows in the bits: the result is the float sum
  // ((x0 + x1) + x2) + x3 on every rank, the same on every run.
  const int world = 4;
  const int64_t rows = 33, cols = 65;
  std::vector<HostTensor> xs;
  std::mt19937 rng(99);
  std::uniform_real_distribution<float> dist(-1e4f, 1e4f);
  for (int r = 0; r < world; ++r) {
    xs.emplace_back(DType::kF32, rows, cols);
    for (int64_t i = 0; i < rows * cols; ++i) xs.back().tensor.as<float>()[i] = dist(rng) * (r % 2 ? 1e-3f : 1.0f);
  }
  std::vector<float> expected(static_cast<size_t>(rows * cols));
  for (int64_t i = 0; i < rows * cols; ++i) {
    float sum = xs[0].tensor.as<float>()[i];
    for (int r = 1; r < world; ++r) sum += xs[r].tensor.as<float>()[i];
    expected[i] = sum;
  }
  expect_no_errors(run_ranks(make_in_process_group(world),
                             [&](Communicator& comm) { comm.all_reduce_sum(xs[comm.rank()].tensor); }));
  for (int r = 0; r < world; ++r)
    EXPECT_EQ(std::memcmp(xs[r].tensor.data, expected.data(), expected.size() * sizeof(float)), 0) << "rank " << r;
}

// ---------------------------------------------------------------------------------------------
// all_gather

struct GatherShape {
  int64_t rows_per_rank;
  int64_t cols;
};

using AllGatherCase = std::tuple<int, DType, GatherShape, bool>;

class AllGather : public testing::TestWithParam<AllGatherCase> {};

TEST_P(AllGather, ConcatenatesRowsInRankOrder) {
  const auto [world, dtype, shape, in_place] = GetParam();
  const int64_t rows = shape.rows_per_rank, cols = shape.cols;
  std::vector<HostTensor> ins, outs;
  for (int r = 0; r < world; ++r) {
    ins.emplace_back(dtype, rows, cols);
    outs.emplace_back(dtype, world * rows, cols);
    std::memset(outs.back().tensor.data, 0xAB, outs.back().tensor.nbytes());
    std::mt19937 rng(7 + r);  // any bits, NaN patterns included: a gather only copies
    auto* bytes = static_cast<unsigned char*>(ins.back().tensor.data);
    for (size_t b = 0; b < ins.back().tensor.nbytes(); ++b) bytes[b] = static_cast<unsigned char>(rng());
  }
  if (in_place) {
    for (int r = 0; r < world; ++r) {
      Tensor own_block = outs[r].tensor.slice_rows(r * rows, rows);
      if (rows > 0) std::memcpy(own_block.data, ins[r].tensor.data, ins[r].tensor.nbytes());
    }
  }
  expect_no_errors(run_ranks(make_in_process_group(world), [&](Communicator& comm) {
    const int r = comm.rank();
    const Tensor in = in_place ? outs[r].tensor.slice_rows(r * rows, rows) : ins[r].tensor;
    comm.all_gather(in, outs[r].tensor);
  }));
  for (int r = 0; r < world; ++r) {
    for (int q = 0; q < world; ++q) {
      const Tensor block = outs[r].tensor.slice_rows(q * rows, rows);
      EXPECT_EQ(std::memcmp(block.data, ins[q].tensor.data, ins[q].tensor.nbytes()), 0)
          << "rank " << r << "'s block " << q;
    }
  }
}

std::string all_gather_case_name(const testing::TestParamInfo<AllGatherCase>& info) {
  const auto& [world, dtype, shape, in_place] = info.param;
  return "world" + std::to_string(world) + "_" + dtype_label(dtype) + "_" + std::to_string(shape.rows_per_rank) +
         "x" + std::to_string(shape.cols) + (in_place ? "_in_place" : "");
}

INSTANTIATE_TEST_SUITE_P(
    WorldsDtypesShapes, AllGather,
    testing::Combine(testing::Values(1, 2, 3, 4), testing::Values(DType::kF32, DType::kBF16, DType::kF16),
                     testing::Values(GatherShape{0, 5}, GatherShape{1, 1}, GatherShape{3, 7}, GatherShape{50, 37}),
                     testing::Bool()),
    all_gather_case_name);

// ---------------------------------------------------------------------------------------------
// broadcast

using BroadcastCase = std::tuple<int, size_t>;

class Broadcast : public testing::TestWithParam<BroadcastCase> {};

TEST_P(Broadcast, EveryRankGetsTheRootsBytes) {
  const auto [world, bytes] = GetParam();
  for (int root = 0; root < world; ++root) {
    std::vector<std::vector<unsigned char>> buffers(static_cast<size_t>(world), std::vector<unsigned char>(bytes));
    for (int r = 0; r < world; ++r) {
      std::mt19937_64 rng(100 * root + r);
      for (size_t b = 0; b < bytes; b += 8) {
        const uint64_t word = rng();
        std::memcpy(buffers[r].data() + b, &word, std::min<size_t>(8, bytes - b));
      }
    }
    const std::vector<unsigned char> sent = buffers[root];
    expect_no_errors(run_ranks(make_in_process_group(world), [&](Communicator& comm) {
      auto& mine = buffers[comm.rank()];
      comm.broadcast(bytes == 0 ? nullptr : mine.data(), bytes, root);
    }));
    for (int r = 0; r < world; ++r) EXPECT_EQ(buffers[r], sent) << "rank " << r << ", root " << root;
  }
}

INSTANTIATE_TEST_SUITE_P(WorldsAndSizes, Broadcast,
                         testing::Combine(testing::Values(1, 2, 3, 4),
                                          testing::Values(size_t(0), size_t(1), size_t(13), size_t(4097),
                                                          size_t(8) << 20)),
                         [](const testing::TestParamInfo<BroadcastCase>& info) {
                           return "world" + std::to_string(std::get<0>(info.param)) + "_" +
                                  std::to_string(std::get<1>(info.param)) + "_bytes";
                         });

// ---------------------------------------------------------------------------------------------
// Many collectives back to back: a barrier generation bug shows as stale data or a hang.

class BackToBack : public testing::TestWithParam<int> {};

TEST_P(BackToBack, FiveHundredRoundsOfEveryCollective) {
  const int world = GetParam();
  const int rounds = 500;
  std::atomic<int> arrivals{0};
  expect_no_errors(run_ranks(make_in_process_group(world), [&](Communicator& comm) {
    const int r = comm.rank();
    std::vector<float> x(15), gathered(static_cast<size_t>(2 * world)), mine(2);
    for (int round = 0; round < rounds; ++round) {
      // all_reduce_sum of small integers (exact in float): element i sums to
      // (round + 1) * world * (world + 1) / 2 + world * i.
      for (int i = 0; i < 15; ++i) x[i] = float((r + 1) * (round + 1) + i);
      Tensor xt{x.data(), DType::kF32, 5, 3};
      comm.all_reduce_sum(xt);
      for (int i = 0; i < 15; ++i)
        ASSERT_EQ(x[i], float((round + 1) * world * (world + 1) / 2 + world * i)) << "round " << round;

      mine = {float(r), float(round)};
      Tensor in{mine.data(), DType::kF32, 1, 2}, out{gathered.data(), DType::kF32, world, 2};
      comm.all_gather(in, out);
      for (int q = 0; q < world; ++q) {
        ASSERT_EQ(gathered[2 * q], float(q)) << "round " << round;
        ASSERT_EQ(gathered[2 * q + 1], float(round)) << "round " << round;
      }

      const int root = round % world;
      int64_t plan = r == root ? int64_t(round) * 1000 + root : -1;
      comm.broadcast(&plan, sizeof(plan), root);
      ASSERT_EQ(plan, int64_t(round) * 1000 + root);

      // After barrier `round`, every rank has arrived `round + 1` times, and none can have
      // arrived a `round + 2`-th time, since that needs this rank at the next barrier.
      arrivals.fetch_add(1);
      comm.barrier();
      const int seen = arrivals.load();
      ASSERT_GE(seen, world * (round + 1)) << "barrier let rank " << r << " through early";
      ASSERT_LT(seen, world * (round + 2)) << "round " << round;
    }
  }));
  EXPECT_EQ(arrivals.load(), world * rounds);
}

INSTANTIATE_TEST_SUITE_P(Worlds, BackToBack, testing::Values(1, 2, 3, 4),
                         [](const testing::TestParamInfo<int>& info) { return "world" + std::to_string(info.param); });

// ---------------------------------------------------------------------------------------------
// Failure: aborts and mismatches throw on every rank instead of hanging.

// Expects every listed rank to have thrown CommunicatorAborted mentioning `needle`.
void expect_aborted(const std::vector<std::exception_ptr>& errors, const std::vector<int>& ranks,
                    const std::string& needle) {
  for (int r : ranks) {
    ASSERT_TRUE(errors[r]) << "rank " << r << " did not throw";
    try {
      std::rethrow_exception(errors[r]);
    } catch (const CommunicatorAborted& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)
          << "rank " << r << ": \"" << e.what() << "\" lacks \"" << needle << "\"";
    } catch (const std::exception& e) {
      ADD_FAILURE() << "rank " << r << " threw something else: " << e.what();
    }
  }
}

TEST(InProcessGroup, RejectsAnEmptyWorld) {
  EXPECT_THROW(make_in_process_group(0), Error);
  EXPECT_THROW(make_in_process_group(-2), Error);
}

TEST(InProcessGroup, RanksKnowTheirPlace) {
  auto ranks = make_in_process_group(3);
  ASSERT_EQ(ranks.size(), 3u);
  for (int r = 0; r < 3; ++r) {
    EXPECT_EQ(ranks[r]->rank(), r);
    EXPECT_EQ(ranks[r]->world_size(), 3);
  }
}

TEST(InProcessGroup, ARankThatFailsAndAbortsWakesTheOthers) {
  // Ranks 0, 1 and 3 wait in all_reduce_sum for rank 2, which fails before it gets there.
  std::vector<HostTensor> xs;
  for (int r = 0; r < 4; ++r) xs.emplace_back(DType::kF32, 4, 4);
  std::atomic<int> later_collectives_threw{0};
  auto errors = run_ranks(make_in_process_group(4), [&](Communicator& comm) {
    if (comm.rank() == 2) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // let the others start waiting
      comm.abort("rank 2: weights failed to load");
      throw Error("weights failed to load");
    }
    try {
      comm.all_reduce_sum(xs[comm.rank()].tensor);
    } catch (const CommunicatorAborted&) {
      // The group stays failed: a later collective throws at once instead of waiting.
      try {
        comm.barrier();
      } catch (const CommunicatorAborted&) {
        later_collectives_threw.fetch_add(1);
      }
      throw;
    }
  });
  expect_aborted(errors, {0, 1, 3}, "rank 2: weights failed to load");
  EXPECT_EQ(message_of(errors[2]), "weights failed to load");
  EXPECT_EQ(later_collectives_threw.load(), 3);
}

TEST(InProcessGroup, ARankWhoseCommunicatorGoesAwayAbortsTheOthers) {
  // Rank 1 throws without calling abort(); its thread destroys its communicator on the way out.
  auto errors = run_ranks(make_in_process_group(3), [&](Communicator& comm) {
    if (comm.rank() == 1) throw std::runtime_error("model threw");
    comm.barrier();
  });
  expect_aborted(errors, {0, 2}, "rank 1 left the group");
}

TEST(InProcessGroup, AbortFromAnotherThreadWakesWaitingRanks) {
  auto errors = run_ranks(make_in_process_group(4), [&](Communicator& comm) {
    if (comm.rank() == 3) {
      // A watchdog thread gives up on the group while ranks 0 to 2 wait in barrier().
      std::thread watchdog([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        comm.abort("watchdog: step timed out");
      });
      watchdog.join();
      return;
    }
    comm.barrier();
  });
  expect_aborted(errors, {0, 1, 2}, "watchdog: step timed out");
  EXPECT_FALSE(errors[3]);
}

TEST(InProcessGroup, AbortBeforeAnyCollectiveFailsThemAll) {
  auto ranks = make_in_process_group(2);
  ranks[0]->abort("shutting down");
  std::vector<float> x(4), out(8);
  Tensor xt{x.data(), DType::kF32, 2, 2}, outt{out.data(), DType::kF32, 4, 2};
  for (auto& comm : ranks) {
    EXPECT_THROW(comm->all_reduce_sum(xt), CommunicatorAborted);
    EXPECT_THROW(comm->all_gather(xt, outt), CommunicatorAborted);
    EXPECT_THROW(comm->broadcast(x.data(), 4, 0), CommunicatorAborted);
    EXPECT_THROW(comm->barrier(), CommunicatorAborted);
  }
}

// Runs all_reduce_sum on a group of 3 in which rank `odd_rank` passes `odd` and the others
// `usual`; returns the errors, and checks that no rank's data was touched.
std::vector<std::exception_ptr> all_reduce_with_one_odd_rank(int odd_rank, DType odd_dtype, int64_t odd_rows,
                                                             int64_t odd_cols) {
  std::vector<HostTensor> xs;
  for (int r = 0; r < 3; ++r) {
    if (r == odd_rank) {
      xs.emplace_back(odd_dtype, odd_rows, odd_cols);
    } else {
      xs.emplace_back(DType::kF32, 7, 13);
    }
    for (int64_t i = 0; i < xs.back().tensor.numel(); ++i) store(xs.back().tensor, i, 1.0f);
  }
  auto errors = run_ranks(make_in_process_group(3),
                          [&](Communicator& comm) { comm.all_reduce_sum(xs[comm.rank()].tensor); });
  for (int r = 0; r < 3; ++r)
    for (int64_t i = 0; i < xs[r].tensor.numel(); ++i) EXPECT_EQ(load(xs[r].tensor, i), 1.0) << "rank " << r;
  return errors;
}

TEST(InProcessGroupMismatch, ShapeIsCaughtOnEveryRank) {
  expect_aborted(all_reduce_with_one_odd_rank(1, DType::kF32, 7, 12), {0, 1, 2},
                 "all_reduce_sum: rank 1 passed F32 [7, 12] but rank 0 passed F32 [7, 13]");
  // The same element count in another shape is still a mismatch.
  expect_aborted(all_reduce_with_one_odd_rank(2, DType::kF32, 13, 7), {0, 1, 2},
                 "rank 2 passed F32 [13, 7] but rank 0 passed F32 [7, 13]");
}

TEST(InProcessGroupMismatch, DtypeIsCaughtOnEveryRank) {
  expect_aborted(all_reduce_with_one_odd_rank(2, DType::kBF16, 7, 13), {0, 1, 2},
                 "rank 2 passed BF16 [7, 13] but rank 0 passed F32 [7, 13]");
}

TEST(InProcessGroupMismatch, DifferentCollectivesAreCaught) {
  std::vector<HostTensor> xs;
  for (int r = 0; r < 3; ++r) xs.emplace_back(DType::kF32, 2, 2);
  auto errors = run_ranks(make_in_process_group(3), [&](Communicator& comm) {
    if (comm.rank() == 1) {
      comm.barrier();
    } else {
      comm.all_reduce_sum(xs[comm.rank()].tensor);
    }
  });
  expect_aborted(errors, {0, 1, 2}, "rank 1 called barrier while rank 0 called all_reduce_sum");
}

TEST(InProcessGroupMismatch, BroadcastBytesAndRootAreCaught) {
  auto errors = run_ranks(make_in_process_group(3), [&](Communicator& comm) {
    std::vector<char> buffer(16);
    comm.broadcast(buffer.data(), comm.rank() == 2 ? 8 : 16, 0);
  });
  expect_aborted(errors, {0, 1, 2}, "broadcast: rank 2 passed 8 bytes from root 0 but rank 0 passed 16 bytes from root 0");

  errors = run_ranks(make_in_process_group(3), [&](Communicator& comm) {
    std::vector<char> buffer(16);
    comm.broadcast(buffer.data(), 16, comm.rank() == 1 ? 1 : 0);
  });
  expect_aborted(errors, {0, 1, 2}, "rank 1 passed 16 bytes from root 1 but rank 0 passed 16 bytes from root 0");
}

TEST(InProcessGroupMismatch, OneRanksBadArgumentsFailEveryRank) {
  // Rank 2's out has a row too few: it fails before posting, and the others must not wait for it.
  auto errors = run_ranks(make_in_process_group(3), [&](Communicator& comm) {
    std::vector<float> in(4), out(3 * 4);
    const int64_t out_rows = comm.rank() == 2 ? 5 : 6;
    Tensor in_t{in.data(), DType::kF32, 2, 2}, out_t{out.data(), DType::kF32, out_rows, 2};
    comm.all_gather(in_t, out_t);
  });
  expect_aborted(errors, {0, 1, 2}, "all_gather on rank 2: out is F32 [5, 2], expected F32 [3 x 2, 2]");

  errors = run_ranks(make_in_process_group(2), [&](Communicator& comm) {
    char byte = 0;
    comm.broadcast(&byte, 1, 2);
  });
  expect_aborted(errors, {0, 1}, "root 2 is not a rank of a group of 2");
}

TEST(InProcessGroupMismatch, SharedBuffersAreCaught) {
  // Ranks 0 and 1 reduce the same memory: the sum would race, so it is refused.
  std::vector<float> shared(6, 1.0f), own(6, 1.0f);
  auto errors = run_ranks(make_in_process_group(3), [&](Communicator& comm) {
    Tensor x{comm.rank() == 2 ? own.data() : shared.data(), DType::kF32, 2, 3};
    comm.all_reduce_sum(x);
  });
  expect_aborted(errors, {0, 1, 2}, "every rank needs its own buffers");
  EXPECT_EQ(shared, std::vector<float>(6, 1.0f));
}

TEST(InProcessGroupMismatch, TheGroupStaysFailedAfterAMismatch) {
  auto errors = run_ranks(make_in_process_group(2), [&](Communicator& comm) {
    std::vector<char> buffer(4);
    try {
      comm.broadcast(buffer.data(), comm.rank() == 0 ? 4 : 2, 0);
    } catch (const CommunicatorAborted&) {
    }
    comm.barrier();  // throws at once on both ranks
  });
  expect_aborted(errors, {0, 1}, "broadcast: rank 1 passed 2 bytes");
}

}  // namespace
}  // namespace turbine
