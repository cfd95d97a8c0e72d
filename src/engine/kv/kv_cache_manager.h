// KvCacheManager: which KV blocks each sequence holds, and the prefix cache on top of BlockPool.
//
// A sequence's block table covers its computed tokens plus the ones scheduled this step: slot
// of token position p = table[p / block_size] * block_size + p % block_size. The scheduler drives
// it once per step and request:
//
//   waiting request:  computed = get_computed_blocks(req)      // longest cached prefix
//                     allocate_slots(req, n, computed)          // claims it, adds fresh blocks
//   running request:  allocate_slots(req, n)                    // empty optional: preempt someone
//   after the step:   cache_computed_blocks(req)               // newly full blocks become findable
//   finish / preempt: free(req)
//   draft tokens rejected (num_computed_tokens rolled back): truncate(req)
//   sliding-window models, after each step: release_out_of_window_blocks(req)
//
// Copy-on-write (n > 1 sampling): fork(parent, child) gives the child the parent's whole table,
// sharing every block (ref counts). Full blocks are never written again, so only a shared
// partially filled last block needs care: when allocate_slots is asked to write into a block
// still shared with another sequence, it gives the writer a fresh block and records a BlockCopy
// (src -> dst). The last sharer to write keeps the original. take_block_copies() hands the
// step's copies to the runner, which must apply them (in order) before the forward pass. Until
// then each src is pinned (one extra reference), so no block is both a copy source and reused in
// the same step.
//
// Not thread-safe: the engine thread owns it.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "engine/kv/block_pool.h"
#include "engine/request.h"

namespace turbine {

struct KvCacheConfig {
  int num_blocks = 0;  // including the reserved null block 0
  int block_size = 16;
  bool enable_prefix_caching = true;
  uint64_t hash_seed = kDefaultBlockHashSeed;
  // The window every attention layer of the model is bounded by (each query attends to at most
  // this many positions back, itself included); 0 when some layer attends to the whole context.
  // With a window, a sequence's blocks that lie wholly before every future query's window are
  // released (release_out_of_window_blocks), so a long sequence holds about window / block_size
  // blocks, not its whole length.
  int sliding_window = 0;

  // Throws turbine::Error for values a user could have passed (block count, block size).
  void validate() const;
};

// A cached prefix found for a request: full blocks only, in sequence order.
struct ComputedBlocks {
  std::vector<BlockId> block_ids;
  int num_tokens = 0;  // block_ids.size() * block_size
};

// What allocate_slots changed in the sequence's block table.
struct SlotAllocation {
  // Blocks appended to the table (cache hits first, then fresh blocks): its last ones.
  int num_appended_blocks = 0;
  bool table_rewritten = false;  // a copy-on-write replaced an existing entry
};

class KvCacheManager {
 public:
  explicit KvCacheManager(const KvCacheConfig& config);

  const KvCacheConfig& config() const { return config_; }
  int block_size() const { return config_.block_size; }
  const BlockPool& pool() const { return pool_; }
  int num_free_blocks() const { return pool_.num_free_blocks(); }
  double usage() const { return pool_.usage(); }
  // Blocks needed to hold `num_tokens` tokens.
  int blocks_for_tokens(int num_tokens) const;

  // The longest run of cached full blocks matching the start of the request's tokens, capped so
  // that at least one token is left to compute (its logits are needed): at most
  // min(num_tokens - 1, max_hit_tokens) tokens. Claims nothing; pass the result to
  // allocate_slots right away. Empty when prefix caching is off. The request must hold no blocks.
  // Counts one lookup in the pool's PrefixCacheStats.
  ComputedBlocks get_computed_blocks(Request& request,
                                     int max_hit_tokens = std::numeric_limits<int>::max());

  // Makes room for `num_new_tokens` tokens after request.num_computed_tokens (+ computed.num_tokens
  // for a request being admitted, whose num_computed_tokens is still 0), claiming `computed` first.
  // All or nothing: empty when the free blocks do not suffice, and then nothing changed.
  std::optional<SlotAllocation> allocate_slots(Request& request, int num_new_tokens,
                                               const ComputedBlocks& computed = {});

  // Registers every block full within request.num_computed_tokens that is not cached yet. No-op
  // with prefix caching off.
  void cache_computed_blocks(Request& request);

  // Gives `child` (holding no blocks) the parent's table, every block shared.
  void fork(const Request& parent, const Request& child);

  // Releases the sequence's blocks, last block first. No-op for a sequence holding none.
  void free(const Request& request);

  // With a sliding window (KvCacheConfig::sliding_window): releases the sequence's blocks that no
  // query can read again, those wholly before the window of the earliest position a later step
  // may query (min(num_computed_tokens, num_tokens - 1)), putting the null block in their place
  // in the table. Call after the update of a step (drafts rolled back first). A step already
  // scheduled ahead queries positions at or after that one, so it never reads a released block;
  // a block reused meanwhile is written only by later steps, in stream order. The sequence's next
  // allocate_slots reports table_rewritten.
  void release_out_of_window_blocks(const Request& request);

  // Releases the blocks past those that hold request.num_computed_tokens, after a step's draft
  // tokens were rejected and num_computed_tokens rolled back: their slots hold K/V of tokens the
  // sequence does not have. The sequence's next allocate_slots reports table_rewritten (the
  // runner's copy of the table must be replaced, not appended to).
  void truncate(const Request& request);

  // The copy-on-writes recorded since the last call; releases their sources' pins.
  std::vector<BlockCopy> take_block_copies();

  std::span<const BlockId> block_ids(SeqId seq_id) const;
  bool holds_blocks(SeqId seq_id) const { return tables_.contains(seq_id); }
  int num_sequences() const { return int(tables_.size()); }

 private:
  struct BlockTable {
    std::vector<BlockId> block_ids;
    int num_cached_blocks = 0;  // the first blocks, known to be in the prefix cache
    bool truncated = false;     // entries were released (truncated or out of the window) since the last allocate_slots
    int num_released_front = 0; // leading blocks released out of the window (null in block_ids)
    uint64_t last_cache_id = 0; // cache id of block num_cached_blocks - 1 (0: none), the next one's parent
  };

  // Releases `ids` (blocks leaving a table; null entries are skipped), dropping any pending copy
  // into one of them.
  void release(std::vector<BlockId>& ids);

  void update_block_hashes(Request& request) const;
  CachedBlockKey block_key(const Request& request, int block_index, uint64_t parent_cache_id) const;
  // References held by other sequences (excluding copy pins).
  int num_sharers(BlockId id) const;

  KvCacheConfig config_;
  BlockPool pool_;
  std::unordered_map<SeqId, BlockTable> tables_;
  std::vector<BlockCopy> pending_copies_;  // this step's; each src carries one pin reference
};

}  // namespace turbine
