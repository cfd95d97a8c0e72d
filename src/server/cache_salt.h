// cache_salt (vLLM): requests share cached KV through the prefix cache only when their salts are
// equal, so that one tenant cannot learn another's prompts from cache timing. The salt reaches
// the engine as prefix-cache extra keys (RequestParams::cache_extra_keys).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace turbine::server {

// The salt's own bytes, 8 to a key after a key holding a tag and their count: two salts give
// equal keys only when they are equal (no hash in between that could collide).
std::vector<uint64_t> cache_salt_keys(std::string_view salt);

}  // namespace turbine::server
