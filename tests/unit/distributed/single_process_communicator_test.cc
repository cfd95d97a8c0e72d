#include "distributed/single_process_communicator.h"

#include <gtest/gtest.h>

#include <vector>

namespace turbine {
namespace {

TEST(SingleProcessCommunicator, IsRankZeroOfOne) {
  SingleProcessCommunicator comm;
  EXPECT_EQ(comm.rank(), 0);
  EXPECT_EQ(comm.world_size(), 1);
}

TEST(SingleProcessCommunicator, CollectivesLeaveDataAsItIs) {
  SingleProcessCommunicator comm;
  std::vector<float> x{1.5f, -2.0f, 3.25f};
  Tensor t{x.data(), DType::kF32, 1, 3};
  comm.all_reduce_sum(t);
  EXPECT_EQ(x, (std::vector<float>{1.5f, -2.0f, 3.25f}));

  std::vector<char> bytes{'a', 'b', 'c'};
  comm.broadcast(bytes.data(), bytes.size(), 0);
  comm.broadcast(nullptr, 0, 0);
  EXPECT_EQ(bytes, (std::vector<char>{'a', 'b', 'c'}));
  comm.barrier();
}

TEST(SingleProcessCommunicator, AllGatherCopiesOrStaysInPlace) {
  SingleProcessCommunicator comm;
  std::vector<float> in{1, 2, 3, 4, 5, 6}, out(6, 0.0f);
  Tensor in_t{in.data(), DType::kF32, 2, 3}, out_t{out.data(), DType::kF32, 2, 3};
  comm.all_gather(in_t, out_t);
  EXPECT_EQ(out, in);
  comm.all_gather(out_t, out_t);  // in place
  EXPECT_EQ(out, in);
}

TEST(SingleProcessCommunicator, BadArgumentsThrowAndAbort) {
  SingleProcessCommunicator comm;
  std::vector<float> in(6), out(6);
  Tensor in_t{in.data(), DType::kF32, 2, 3}, out_t{out.data(), DType::kF32, 3, 2};
  try {
    comm.all_gather(in_t, out_t);
    FAIL() << "a mis-shaped all_gather passed";
  } catch (const CommunicatorAborted& e) {
    EXPECT_NE(std::string(e.what()).find("out is F32 [3, 2], expected F32 [1 x 2, 3]"), std::string::npos)
        << e.what();
  }
  // The group is unusable afterwards, as every implementation's is.
  EXPECT_THROW(comm.barrier(), CommunicatorAborted);
}

TEST(SingleProcessCommunicator, BroadcastFromAnotherRootThrows) {
  SingleProcessCommunicator comm;
  char byte = 0;
  EXPECT_THROW(comm.broadcast(&byte, 1, 1), CommunicatorAborted);
}

TEST(SingleProcessCommunicator, AbortMakesEveryCollectiveThrow) {
  SingleProcessCommunicator comm;
  comm.abort("worker failed");
  comm.abort("a later reason");  // the first wins
  std::vector<float> x(4);
  Tensor t{x.data(), DType::kF32, 2, 2};
  try {
    comm.all_reduce_sum(t);
    FAIL() << "all_reduce_sum after abort passed";
  } catch (const CommunicatorAborted& e) {
    EXPECT_EQ(e.reason(), "worker failed");
  }
  EXPECT_THROW(comm.barrier(), CommunicatorAborted);
  EXPECT_THROW(comm.broadcast(nullptr, 0, 0), CommunicatorAborted);
}

}  // namespace
}  // namespace turbine
