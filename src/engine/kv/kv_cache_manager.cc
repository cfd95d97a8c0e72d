#include "engine/kv/kv_cache_manager.h"

#include <algorithm>
#include <ranges>
#include <utility>

#include "common/error.h"

namespace turbine {

void KvCacheConfig::validate() const {
  if (block_size < 1) fail("the KV block size must be at least 1 token, got {}", block_size);
  if (num_blocks < 2)
    fail("the KV cache needs at least 2 blocks (block 0 is reserved), got {}", num_blocks);
}

KvCacheManager::KvCacheManager(const KvCacheConfig& config)
    : config_(config), pool_((config.validate(), config.num_blocks), config.block_size) {}

int KvCacheManager::blocks_for_tokens(int num_tokens) const {
  return (num_tokens + config_.block_size - 1) / config_.block_size;
}

void KvCacheManager::update_block_hashes(Request& request) const {
  extend_block_hashes(request.all_token_ids(), config_.block_size, request.params.cache_extra_keys,
                      config_.hash_seed, request.block_hashes);
}

CachedBlockKey KvCacheManager::block_key(const Request& request, int block_index,
                                         uint64_t parent_cache_id) const {
  const size_t bs = size_t(config_.block_size);
  return CachedBlockKey{request.block_hashes[size_t(block_index)],
                        request.all_token_ids().subspan(size_t(block_index) * bs, bs),
                        request.params.cache_extra_keys, parent_cache_id};
}

int KvCacheManager::num_sharers(BlockId id) const {
  const auto pins = std::ranges::count(pending_copies_, id, &BlockCopy::src);
  return pool_.ref_count(id) - int(pins);
}

ComputedBlocks KvCacheManager::get_computed_blocks(Request& request, int max_hit_tokens) {
  TURBINE_CHECK(!holds_blocks(request.seq_id), "sequence {} already holds blocks", request.seq_id);
  if (!config_.enable_prefix_caching) return {};
  update_block_hashes(request);
  const int limit = std::max(0, std::min(request.num_tokens() - 1, max_hit_tokens));
  const int max_blocks = limit / config_.block_size;
  ComputedBlocks result;
  uint64_t parent_cache_id = 0;
  for (int i = 0; i < max_blocks; ++i) {
    const std::optional<BlockId> hit = pool_.find_cached(block_key(request, i, parent_cache_id));
    if (!hit) break;
    result.block_ids.push_back(*hit);
    parent_cache_id = pool_.cache_id(*hit);
  }
  result.num_tokens = int(result.block_ids.size()) * config_.block_size;
  pool_.record_prefix_lookup(request.num_tokens(), result.num_tokens);
  return result;
}

std::optional<SlotAllocation> KvCacheManager::allocate_slots(Request& request, int num_new_tokens,
                                                             const ComputedBlocks& computed) {
  TURBINE_CHECK(num_new_tokens >= 0);
  auto it = tables_.find(request.seq_id);
  const size_t num_existing = it == tables_.end() ? 0 : it->second.block_ids.size();
  TURBINE_CHECK(computed.block_ids.empty() || (num_existing == 0 && request.num_computed_tokens == 0),
                "cache hits can only be claimed by a sequence being admitted");
  TURBINE_CHECK(computed.num_tokens == int(computed.block_ids.size()) * config_.block_size);

  const int write_start = request.num_computed_tokens + computed.num_tokens;
  const int num_required = blocks_for_tokens(write_start + num_new_tokens);
  const int num_have = int(num_existing + computed.block_ids.size());
  const int num_fresh = std::max(0, num_required - num_have);
  // Only the block holding write_start can be both existing and partially filled, hence shared
  // with a sibling and in need of a private copy.
  const size_t write_block = size_t(write_start / config_.block_size);
  const bool needs_copy = num_new_tokens > 0 && write_block < num_existing &&
                          num_sharers(it->second.block_ids[write_block]) > 1;
  // Cache hits sitting in the free queue stop being allocatable once claimed.
  const auto num_reclaimed = std::ranges::count_if(
      computed.block_ids, [&](BlockId id) { return pool_.ref_count(id) == 0; });
  if (num_fresh + int(needs_copy) > pool_.num_free_blocks() - int(num_reclaimed)) return std::nullopt;

  BlockTable& table = tables_[request.seq_id];
  SlotAllocation result;
  if (!computed.block_ids.empty()) {
    pool_.touch(computed.block_ids);
    table.block_ids = computed.block_ids;
    table.num_cached_blocks = int(computed.block_ids.size());
    table.last_cache_id = pool_.cache_id(computed.block_ids.back());  // the parent of what it caches next
    result.num_appended_blocks = int(computed.block_ids.size());
  }
  if (needs_copy) {
    // The writer's reference to src becomes the pin that keeps src alive until the copy is taken.
    const BlockId src = table.block_ids[write_block];
    const BlockId dst = pool_.allocate_one();
    table.block_ids[write_block] = dst;
    pending_copies_.push_back({src, dst});
    result.table_rewritten = true;
  }
  for (int i = 0; i < num_fresh; ++i) table.block_ids.push_back(pool_.allocate_one());
  result.num_appended_blocks += num_fresh;
  result.table_rewritten |= std::exchange(table.truncated, false);
  return result;
}

void KvCacheManager::cache_computed_blocks(Request& request) {
  if (!config_.enable_prefix_caching) return;
  auto it = tables_.find(request.seq_id);
  if (it == tables_.end()) return;
  BlockTable& table = it->second;
  // Only blocks whose every token id is known can be hashed (an in-flight token is not yet).
  const int num_full = std::min(std::min(request.num_computed_tokens, request.num_tokens()) / config_.block_size,
                                int(table.block_ids.size()));
  if (num_full <= table.num_cached_blocks) return;
  update_block_hashes(request);
  // The parent's cache id is remembered, not read from the table: with a sliding window the
  // parent block may have been released (null) since it was cached.
  uint64_t parent_cache_id = table.last_cache_id;
  for (int i = table.num_cached_blocks; i < num_full; ++i) {
    const BlockId id = table.block_ids[size_t(i)];
    if (id == kNullBlockId) {  // released before it was cached (a window shorter than a block)
      parent_cache_id = 0;
      continue;
    }
    if (parent_cache_id == 0 && i > 0) break;  // a released parent breaks the chain: cache nothing after it
    if (!pool_.is_cached(id)) pool_.cache(id, block_key(request, i, parent_cache_id));
    parent_cache_id = pool_.cache_id(id);
  }
  table.num_cached_blocks = num_full;
  table.last_cache_id = parent_cache_id;
}

void KvCacheManager::fork(const Request& parent, const Request& child) {
  TURBINE_CHECK(!holds_blocks(child.seq_id), "fork target {} already holds blocks", child.seq_id);
  auto it = tables_.find(parent.seq_id);
  BlockTable copy = it == tables_.end() ? BlockTable{} : it->second;
  for (const BlockId id : copy.block_ids)
    if (id != kNullBlockId) pool_.touch(std::span(&id, 1));
  tables_.emplace(child.seq_id, std::move(copy));
}

void KvCacheManager::release(std::vector<BlockId>& ids) {
  std::erase(ids, kNullBlockId);  // released earlier, out of the window
  // A copy into a block being given up is moot: drop it and its pin.
  std::erase_if(pending_copies_, [&](const BlockCopy& copy) {
    if (std::ranges::find(ids, copy.dst) == ids.end()) return false;
    pool_.free(std::span(&copy.src, 1));
    return true;
  });
  std::ranges::reverse(ids);  // the tail is evicted first: a prefix is more likely to be shared
  pool_.free(ids);
}

void KvCacheManager::free(const Request& request) {
  auto it = tables_.find(request.seq_id);
  if (it == tables_.end()) return;
  release(it->second.block_ids);
  tables_.erase(it);
}

void KvCacheManager::truncate(const Request& request) {
  auto it = tables_.find(request.seq_id);
  if (it == tables_.end()) return;
  BlockTable& table = it->second;
  const size_t keep = size_t(blocks_for_tokens(request.num_computed_tokens));
  if (table.block_ids.size() <= keep) return;
  TURBINE_CHECK(size_t(table.num_cached_blocks) <= keep, "sequence {}: truncating cached blocks", request.seq_id);
  std::vector<BlockId> dropped(table.block_ids.begin() + std::ptrdiff_t(keep), table.block_ids.end());
  table.block_ids.resize(keep);
  table.truncated = true;
  release(dropped);
}

void KvCacheManager::release_out_of_window_blocks(const Request& request) {
  const int window = config_.sliding_window;
  if (window <= 0) return;
  auto it = tables_.find(request.seq_id);
  if (it == tables_.end()) return;
  BlockTable& table = it->second;
  // The earliest position a later step may query, and the first key its window reads.
  const int earliest_query = std::min(request.num_computed_tokens, request.num_tokens() - 1);
  const int first_key = earliest_query - window + 1;
  const int dead = std::min(std::max(first_key, 0) / config_.block_size, int(table.block_ids.size()));
  if (dead <= table.num_released_front) return;
  std::vector<BlockId> released;
  for (int i = table.num_released_front; i < dead; ++i) {
    BlockId& id = table.block_ids[size_t(i)];
    if (id != kNullBlockId) released.push_back(std::exchange(id, kNullBlockId));
  }
  table.num_released_front = dead;
  table.truncated = true;  // the runner's copy must be replaced: its entries changed
  release(released);
}

std::vector<BlockCopy> KvCacheManager::take_block_copies() {
  std::vector<BlockCopy> copies = std::move(pending_copies_);
  pending_copies_.clear();
  for (const BlockCopy& copy : copies) pool_.free(std::span(&copy.src, 1));
  return copies;
}

std::span<const BlockId> KvCacheManager::block_ids(SeqId seq_id) const {
  auto it = tables_.find(seq_id);
  if (it == tables_.end()) return {};
  return it->second.block_ids;
}

}  // namespace turbine
