// Prefix-cache keys: a hash chain over full KV blocks.
//
// Block i of a sequence holds the K/V of tokens [i * block_size, (i + 1) * block_size), and those
// values depend on every earlier token too. So a full block's key is
//     hash_i = H(hash_{i-1}, tokens of block i, extra keys)       (hash_{-1} = kRootBlockHash)
// with H = XXH3-128 over a fixed little-endian byte layout (parent 16 bytes, token count, tokens,
// extra-key count, extra keys). Two sequences share hash_i exactly when (barring collisions) they
// share all tokens up to the end of block i and the same extra keys.
//
// Extra keys are opaque 64-bit values that must also match for KV to be reusable although the
// tokens are equal: a LoRA adapter id, a multimodal input's hash, a per-tenant cache salt.
//
// Collisions: the chain is only a lookup key. BlockPool (block_pool.h) stores each cached block's
// tokens, extra keys and the identity of the block it was computed after, and a lookup verifies
// all three, so a collision (accidental or crafted) costs a cache miss, never wrong KV. The
// 128-bit width keeps even those misses astronomically rare and the seed fixed keeps hashes
// stable across processes (useful for a later KV offload tier).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace turbine {

struct BlockHash {
  uint64_t low = 0;
  uint64_t high = 0;
  friend bool operator==(const BlockHash&, const BlockHash&) = default;
};

// For unordered containers: the low half is already uniformly mixed.
struct BlockHashHasher {
  size_t operator()(const BlockHash& hash) const noexcept { return size_t(hash.low); }
};

// Parent of a sequence's first block.
inline constexpr BlockHash kRootBlockHash{};

// Fixed so hashes are reproducible across runs and processes ("turbine!" in ASCII).
inline constexpr uint64_t kDefaultBlockHashSeed = 0x74757262696e6521ull;

BlockHash hash_block(const BlockHash& parent, std::span<const int32_t> tokens,
                     std::span<const uint64_t> extra_keys, uint64_t seed = kDefaultBlockHashSeed);

// Appends to `hashes` the hash of every full block of `tokens` not hashed yet (block i is hashed
// once hashes.size() == i and the tokens reach (i + 1) * block_size). `hashes` must have been built
// by this function for a prefix of the same tokens, block size, extra keys and seed.
void extend_block_hashes(std::span<const int32_t> tokens, int block_size,
                         std::span<const uint64_t> extra_keys, uint64_t seed,
                         std::vector<BlockHash>& hashes);

}  // namespace turbine
