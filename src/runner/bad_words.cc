#include "runner/bad_words.h"

#include <algorithm>

namespace turbine {

void append_banned_by_bad_words(std::span<const std::vector<int32_t>> words, std::span<const int32_t> output,
                                std::vector<int32_t>& banned) {
  for (const std::vector<int32_t>& word : words) {
    if (word.empty()) continue;  // validated away; nothing to ban
    const std::span<const int32_t> prefix = std::span(word).first(word.size() - 1);
    if (prefix.size() > output.size()) continue;  // the output is too short to end with it
    if (std::ranges::equal(prefix, output.last(prefix.size()))) banned.push_back(word.back());
  }
}

}  // namespace turbine
