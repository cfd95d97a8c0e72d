#include "engine/kv/block_hash.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <bit>

#include "common/error.h"

namespace turbine {

static_assert(std::endian::native == std::endian::little,
              "block hashes hash the in-memory bytes of integers; add byte swapping for big-endian hosts");

BlockHash hash_block(const BlockHash& parent, std::span<const int32_t> tokens,
                     std::span<const uint64_t> extra_keys, uint64_t seed) {
  XXH3_state_t state;
  XXH3_INITSTATE(&state);
  XXH3_128bits_reset_withSeed(&state, seed);
  const uint64_t parent_words[2] = {parent.low, parent.high};
  XXH3_128bits_update(&state, parent_words, sizeof(parent_words));
  // Counts make the byte stream unambiguous however the token and key lists are split.
  const uint64_t num_tokens = tokens.size();
  XXH3_128bits_update(&state, &num_tokens, sizeof(num_tokens));
  XXH3_128bits_update(&state, tokens.data(), tokens.size_bytes());
  const uint64_t num_extra_keys = extra_keys.size();
  XXH3_128bits_update(&state, &num_extra_keys, sizeof(num_extra_keys));
  XXH3_128bits_update(&state, extra_keys.data(), extra_keys.size_bytes());
  const XXH128_hash_t digest = XXH3_128bits_digest(&state);
  return BlockHash{digest.low64, digest.high64};
}

void extend_block_hashes(std::span<const int32_t> tokens, int block_size,
                         std::span<const uint64_t> extra_keys, uint64_t seed,
                         std::vector<BlockHash>& hashes) {
  TURBINE_CHECK(block_size > 0);
  const size_t num_full_blocks = tokens.size() / size_t(block_size);
  while (hashes.size() < num_full_blocks) {
    const size_t index = hashes.size();
    const BlockHash& parent = index == 0 ? kRootBlockHash : hashes[index - 1];
    hashes.push_back(hash_block(parent, tokens.subspan(index * size_t(block_size), size_t(block_size)),
                                extra_keys, seed));
  }
}

}  // namespace turbine
