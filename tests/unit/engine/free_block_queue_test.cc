#include "engine/kv/free_block_queue.h"

#include <gtest/gtest.h>

namespace turbine {
namespace {

TEST(FreeBlockQueue, KeepsOrderAndRemovesFromTheMiddle) {
  FreeBlockQueue queue(8);
  EXPECT_TRUE(queue.empty());
  for (BlockId id : {3, 1, 4, 5}) queue.push_back(id);
  queue.push_front(7);
  EXPECT_EQ(queue.to_vector(), (std::vector<BlockId>{7, 3, 1, 4, 5}));
  EXPECT_EQ(queue.size(), 5);

  queue.remove(1);
  EXPECT_FALSE(queue.contains(1));
  EXPECT_TRUE(queue.contains(4));
  EXPECT_EQ(queue.to_vector(), (std::vector<BlockId>{7, 3, 4, 5}));

  EXPECT_EQ(queue.pop_front(), 7);
  queue.remove(5);  // the tail
  EXPECT_EQ(queue.to_vector(), (std::vector<BlockId>{3, 4}));
  queue.push_back(1);
  EXPECT_EQ(queue.to_vector(), (std::vector<BlockId>{3, 4, 1}));
  EXPECT_EQ(queue.pop_front(), 3);
  EXPECT_EQ(queue.pop_front(), 4);
  EXPECT_EQ(queue.pop_front(), 1);
  EXPECT_TRUE(queue.empty());
}

TEST(FreeBlockQueueDeathTest, RejectsDoubleInsertAndRemovingAbsentBlocks) {
  FreeBlockQueue queue(4);
  queue.push_back(2);
  EXPECT_DEATH(queue.push_back(2), "already in the free queue");
  EXPECT_DEATH(queue.remove(3), "not in the free queue");
  EXPECT_DEATH(queue.push_back(4), "outside");
}

}  // namespace
}  // namespace turbine
