#include "engine/drafting/ngram_drafter.h"

#include <algorithm>

#include "common/error.h"

namespace turbine {

NgramDrafter::NgramDrafter(int min_n, int max_n) : min_n_(min_n), max_n_(max_n) {
  if (min_n < 1 || max_n < min_n)
    fail("n-gram drafting needs 1 <= prompt_lookup_min <= prompt_lookup_max, got {} and {}", min_n, max_n);
}

void NgramDrafter::propose(std::span<const int32_t> tokens, int max_drafts, std::vector<int32_t>& drafts) {
  drafts.clear();
  const int len = int(tokens.size());
  if (max_drafts <= 0) return;
  for (int n = std::min(max_n_, len - 1); n >= min_n_; --n) {
    const auto suffix = tokens.last(size_t(n));
    // The latest earlier occurrence that has at least one token after it, before the suffix itself.
    for (int start = len - n - 1; start >= 0; --start) {
      if (!std::equal(suffix.begin(), suffix.end(), tokens.begin() + start)) continue;
      const int from = start + n;
      const int count = std::min(max_drafts, len - from);
      drafts.assign(tokens.begin() + from, tokens.begin() + from + count);
      return;
    }
  }
}

}  // namespace turbine
