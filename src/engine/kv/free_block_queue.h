// FreeBlockQueue: the pool's unreferenced blocks in eviction order.
//
// The head is the next block to hand out (and so the first whose cached contents are lost); new
// free blocks join at the tail, or at the head when they hold nothing worth keeping. It is an
// intrusive doubly linked list over block ids (two int arrays, one sentinel), so a free block
// that gets a prefix-cache hit leaves the middle of the queue in O(1), and nothing is allocated
// after construction. Owned and mutated by BlockPool only.
#pragma once

#include <vector>

#include "engine/kv/block_id.h"

namespace turbine {

class FreeBlockQueue {
 public:
  // An empty queue for ids in [0, num_blocks).
  explicit FreeBlockQueue(int num_blocks);

  int size() const { return size_; }
  bool empty() const { return size_ == 0; }
  bool contains(BlockId id) const;

  void push_back(BlockId id);
  void push_front(BlockId id);
  BlockId pop_front();
  void remove(BlockId id);

  // Head first; for tests and debugging.
  std::vector<BlockId> to_vector() const;

 private:
  void insert_after(int position, BlockId id);
  void check_id(BlockId id) const;

  int sentinel_;            // index num_blocks: the list's head and tail anchor
  std::vector<int> prev_;   // [num_blocks + 1]; -1 while the block is not queued
  std::vector<int> next_;   // [num_blocks + 1]
  int size_ = 0;
};

}  // namespace turbine
