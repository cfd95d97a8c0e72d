#include "engine/kv/block_pool.h"

#include <algorithm>

#include "common/error.h"

namespace turbine {

BlockPool::BlockPool(int num_blocks, int block_size)
    : num_blocks_(num_blocks),
      block_size_(block_size),
      blocks_(size_t(std::max(num_blocks, 0))),
      tokens_(size_t(std::max(num_blocks, 0)) * size_t(std::max(block_size, 0)), 0),
      free_queue_(std::max(num_blocks, 0)) {
  TURBINE_CHECK(num_blocks >= 2, "a block pool needs the null block and at least one more, got {}", num_blocks);
  TURBINE_CHECK(block_size >= 1, "block size must be positive, got {}", block_size);
  for (BlockId id = 1; id < num_blocks; ++id) free_queue_.push_back(id);
  // Every block is cached at most once: sized for all of them, the map never rehashes mid-step
  // (a rehash of tens of thousands of entries would stall one decode step by milliseconds).
  cache_map_.reserve(size_t(num_blocks));
}

const BlockPool::BlockState& BlockPool::state(BlockId id) const {
  TURBINE_CHECK(id > kNullBlockId && id < num_blocks_, "block id {} is not a usable block (1..{})", id,
                num_blocks_ - 1);
  return blocks_[size_t(id)];
}

BlockPool::BlockState& BlockPool::state(BlockId id) {
  return const_cast<BlockState&>(static_cast<const BlockPool*>(this)->state(id));
}

double BlockPool::usage() const {
  return double(num_usable_blocks() - num_free_blocks()) / double(num_usable_blocks());
}

int BlockPool::ref_count(BlockId id) const { return state(id).ref_count; }

std::span<const int32_t> BlockPool::cached_tokens(BlockId id) const {
  return {tokens_.data() + size_t(id) * size_t(block_size_), size_t(block_size_)};
}

std::vector<BlockId> BlockPool::allocate(int count) {
  TURBINE_CHECK(count >= 0 && count <= num_free_blocks(), "asked for {} blocks, {} free", count,
                num_free_blocks());
  std::vector<BlockId> ids;
  ids.reserve(size_t(count));
  for (int i = 0; i < count; ++i) ids.push_back(allocate_one());
  return ids;
}

BlockId BlockPool::allocate_one() {
  TURBINE_CHECK(num_free_blocks() > 0, "asked for 1 block, 0 free");
  const BlockId id = free_queue_.pop_front();
  BlockState& block = state(id);
  TURBINE_CHECK(block.ref_count == 0);
  if (block.cache_id != 0) uncache(id);  // the lazy eviction happens here
  block.ref_count = 1;
  return id;
}

void BlockPool::touch(std::span<const BlockId> ids) {
  for (BlockId id : ids) {
    BlockState& block = state(id);
    if (block.ref_count == 0) free_queue_.remove(id);
    ++block.ref_count;
  }
}

void BlockPool::free(std::span<const BlockId> ids) {
  for (BlockId id : ids) {
    BlockState& block = state(id);
    TURBINE_CHECK(block.ref_count > 0, "block {} freed more often than referenced", id);
    if (--block.ref_count > 0) continue;
    if (block.cache_id != 0) {
      free_queue_.push_back(id);
    } else {
      free_queue_.push_front(id);
    }
  }
}

bool BlockPool::matches(BlockId id, const CachedBlockKey& key) const {
  const BlockState& block = state(id);
  return block.cache_id != 0 && block.hash == key.hash && block.parent_cache_id == key.parent_cache_id &&
         std::ranges::equal(block.extra_keys, key.extra_keys) && std::ranges::equal(cached_tokens(id), key.tokens);
}

std::optional<BlockId> BlockPool::find_cached(const CachedBlockKey& key) const {
  const auto [begin, end] = cache_map_.equal_range(key.hash);
  for (auto it = begin; it != end; ++it)
    if (matches(it->second, key)) return it->second;
  return std::nullopt;
}

void BlockPool::cache(BlockId id, const CachedBlockKey& key) {
  BlockState& block = state(id);
  TURBINE_CHECK(block.ref_count > 0, "only a block in use can be cached (block {})", id);
  TURBINE_CHECK(block.cache_id == 0, "block {} is already cached", id);
  TURBINE_CHECK(int(key.tokens.size()) == block_size_, "only full blocks are cached ({} tokens, block size {})",
                key.tokens.size(), block_size_);
  block.cache_id = next_cache_id_++;
  block.parent_cache_id = key.parent_cache_id;
  block.hash = key.hash;
  block.extra_keys.assign(key.extra_keys.begin(), key.extra_keys.end());
  std::ranges::copy(key.tokens, tokens_.begin() + ptrdiff_t(size_t(id) * size_t(block_size_)));
  cache_map_.emplace(key.hash, id);
}

void BlockPool::uncache(BlockId id) {
  BlockState& block = state(id);
  const auto [begin, end] = cache_map_.equal_range(block.hash);
  auto it = std::find_if(begin, end, [id](const auto& entry) { return entry.second == id; });
  TURBINE_CHECK(it != end, "cached block {} missing from the cache map", id);
  cache_map_.erase(it);
  block.cache_id = 0;
  block.parent_cache_id = 0;
  block.hash = {};
  block.extra_keys.clear();
}

void BlockPool::record_prefix_lookup(int queried_tokens, int hit_tokens) {
  ++stats_.lookups;
  stats_.queried_tokens += uint64_t(queried_tokens);
  stats_.hit_tokens += uint64_t(hit_tokens);
}

}  // namespace turbine
