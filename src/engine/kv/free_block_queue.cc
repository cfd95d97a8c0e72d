#include "engine/kv/free_block_queue.h"

#include "common/error.h"

namespace turbine {

FreeBlockQueue::FreeBlockQueue(int num_blocks)
    : sentinel_(num_blocks), prev_(size_t(num_blocks) + 1, -1), next_(size_t(num_blocks) + 1, -1) {
  TURBINE_CHECK(num_blocks >= 0);
  prev_[size_t(sentinel_)] = sentinel_;
  next_[size_t(sentinel_)] = sentinel_;
}

void FreeBlockQueue::check_id(BlockId id) const {
  TURBINE_CHECK(id >= 0 && id < sentinel_, "block id {} outside [0, {})", id, sentinel_);
}

bool FreeBlockQueue::contains(BlockId id) const {
  check_id(id);
  return prev_[size_t(id)] != -1;
}

void FreeBlockQueue::insert_after(int position, BlockId id) {
  check_id(id);
  TURBINE_CHECK(!contains(id), "block {} is already in the free queue", id);
  const int after = next_[size_t(position)];
  prev_[size_t(id)] = position;
  next_[size_t(id)] = after;
  next_[size_t(position)] = id;
  prev_[size_t(after)] = id;
  ++size_;
}

void FreeBlockQueue::push_back(BlockId id) { insert_after(prev_[size_t(sentinel_)], id); }

void FreeBlockQueue::push_front(BlockId id) { insert_after(sentinel_, id); }

BlockId FreeBlockQueue::pop_front() {
  TURBINE_CHECK(size_ > 0, "pop from an empty free block queue");
  const BlockId id = next_[size_t(sentinel_)];
  remove(id);
  return id;
}

void FreeBlockQueue::remove(BlockId id) {
  TURBINE_CHECK(contains(id), "block {} is not in the free queue", id);
  const int before = prev_[size_t(id)];
  const int after = next_[size_t(id)];
  next_[size_t(before)] = after;
  prev_[size_t(after)] = before;
  prev_[size_t(id)] = -1;
  next_[size_t(id)] = -1;
  --size_;
}

std::vector<BlockId> FreeBlockQueue::to_vector() const {
  std::vector<BlockId> ids;
  ids.reserve(size_t(size_));
  for (int id = next_[size_t(sentinel_)]; id != sentinel_; id = next_[size_t(id)]) ids.push_back(id);
  return ids;
}

}  // namespace turbine
