#include "server/cache_salt.h"

namespace turbine::server {

std::vector<uint64_t> cache_salt_keys(std::string_view salt) {
  constexpr uint64_t kSaltTag = uint64_t(0x73616c74) << 32;  // "salt", apart from other extra keys
  std::vector<uint64_t> keys{kSaltTag | uint64_t(salt.size())};
  for (size_t at = 0; at < salt.size(); at += 8) {
    uint64_t key = 0;
    for (size_t i = 0; i < 8 && at + i < salt.size(); ++i)
      key |= uint64_t(static_cast<unsigned char>(salt[at + i])) << (8 * i);
    keys.push_back(key);
  }
  return keys;
}

}  // namespace turbine::server
