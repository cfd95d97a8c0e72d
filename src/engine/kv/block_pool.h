// BlockPool: every KV block of the paged cache, their reference counts, the free queue and the
// prefix cache's map from block contents to blocks.
//
// Contract:
//  - Block ids run over [0, num_blocks). Block 0 (kNullBlockId) is reserved: it is never in the
//    free queue, never allocated, never freed, so padding a block table with 0 is always safe.
//  - A block is in use while its ref count is > 0 (one per sequence holding it: sharing comes
//    from prefix-cache hits and from forks). At ref count 0 it sits in the free queue.
//  - Eviction is lazy: a freed block that is cached keeps its contents findable until allocate()
//    hands it out for something else, which is when it leaves the cache map. A free block that
//    gets a cache hit is taken back out of the queue by touch().
//  - Eviction order: free() appends cached blocks at the tail in the order given (callers pass a
//    sequence's blocks last-to-first, so the tail of a sequence is evicted before its prefix,
//    which more requests share) and puts uncached blocks at the head, since they hold nothing
//    anyone can reuse.
//  - Only full blocks are cached. A cache entry is verified on lookup against the block's tokens,
//    extra keys and the cache id of the block it was computed after (see block_hash.h), so hash
//    collisions can never return the wrong KV. Cache ids are unique for the pool's lifetime: a
//    block re-cached after eviction gets a new one, which is what makes the parent link exact.
//
// Owned by KvCacheManager; used by the engine thread only (no locks).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "engine/kv/block_hash.h"
#include "engine/kv/block_id.h"
#include "engine/kv/free_block_queue.h"

namespace turbine {

// What identifies a full block's contents in the prefix cache.
struct CachedBlockKey {
  BlockHash hash;
  std::span<const int32_t> tokens;      // the block's block_size tokens
  std::span<const uint64_t> extra_keys;
  uint64_t parent_cache_id = 0;         // cache id of the block before it; 0 for a first block
};

// Cumulative counters; a metrics exporter diffs them.
struct PrefixCacheStats {
  uint64_t lookups = 0;         // get_computed_blocks calls with caching on (a request stuck at the
                                // head of the waiting queue is looked up again each step)
  uint64_t queried_tokens = 0;  // tokens those lookups could at most have hit
  uint64_t hit_tokens = 0;      // tokens served from the cache
};

class BlockPool {
 public:
  // num_blocks includes the reserved null block, so num_blocks - 1 are usable (>= 1).
  BlockPool(int num_blocks, int block_size);

  int num_blocks() const { return num_blocks_; }
  int num_usable_blocks() const { return num_blocks_ - 1; }
  int block_size() const { return block_size_; }
  // Blocks with ref count 0, cached or not: what allocate() can hand out.
  int num_free_blocks() const { return free_queue_.size(); }
  // Fraction of usable blocks in use, in [0, 1].
  double usage() const;

  int ref_count(BlockId id) const;
  bool is_cached(BlockId id) const { return state(id).cache_id != 0; }
  // The block's cache id, 0 when it is not cached.
  uint64_t cache_id(BlockId id) const { return state(id).cache_id; }
  int num_cached_blocks() const { return int(cache_map_.size()); }

  // Takes `count` blocks from the head of the free queue (dropping whatever they cached) with
  // ref count 1. Requires count <= num_free_blocks().
  std::vector<BlockId> allocate(int count);
  BlockId allocate_one();  // allocate(1) without the vector
  // Adds a reference to each block, taking those at ref count 0 out of the free queue.
  void touch(std::span<const BlockId> ids);
  // Drops a reference from each block; blocks reaching 0 join the free queue in the given order.
  void free(std::span<const BlockId> ids);

  // A cached block with exactly these contents, if any.
  std::optional<BlockId> find_cached(const CachedBlockKey& key) const;
  // Registers an in-use, full, not yet cached block under `key` and gives it a new cache id.
  void cache(BlockId id, const CachedBlockKey& key);

  void record_prefix_lookup(int queried_tokens, int hit_tokens);
  const PrefixCacheStats& prefix_cache_stats() const { return stats_; }

  // Head (next evicted) first; for tests and debugging.
  std::vector<BlockId> free_queue_order() const { return free_queue_.to_vector(); }

 private:
  struct BlockState {
    int ref_count = 0;
    uint64_t cache_id = 0;  // 0: not cached
    uint64_t parent_cache_id = 0;
    BlockHash hash;
    std::vector<uint64_t> extra_keys;
  };

  const BlockState& state(BlockId id) const;
  BlockState& state(BlockId id);
  std::span<const int32_t> cached_tokens(BlockId id) const;
  bool matches(BlockId id, const CachedBlockKey& key) const;
  void uncache(BlockId id);

  int num_blocks_;
  int block_size_;
  std::vector<BlockState> blocks_;
  std::vector<int32_t> tokens_;  // [num_blocks * block_size]: each cached block's tokens
  FreeBlockQueue free_queue_;
  // Several blocks may hold the same contents (two requests computed the same prefix at once).
  std::unordered_multimap<BlockHash, BlockId, BlockHashHasher> cache_map_;
  uint64_t next_cache_id_ = 1;
  PrefixCacheStats stats_;
};

}  // namespace turbine
