#include "structured/token_vocabulary.h"

#include <algorithm>
#include <numeric>

#include "common/error.h"
#include "tokenizer/tokenizer.h"

namespace turbine::structured {

TokenVocabulary::TokenVocabulary(std::vector<std::string> token_bytes, std::vector<int32_t> stop_ids,
                                 int32_t logits_size)
    : token_bytes_(std::move(token_bytes)), stop_ids_(std::move(stop_ids)), logits_size_(logits_size) {
  TURBINE_CHECK(size_t(logits_size_) >= token_bytes_.size(), "logits width {} below the {} token ids", logits_size_,
                token_bytes_.size());
  std::erase_if(stop_ids_, [&](int32_t id) { return id < 0 || id >= logits_size_; });
  std::sort(stop_ids_.begin(), stop_ids_.end());
  stop_ids_.erase(std::unique(stop_ids_.begin(), stop_ids_.end()), stop_ids_.end());
  // Stop ids end generation; they never count as text.
  for (int32_t id : stop_ids_)
    if (size_t(id) < token_bytes_.size()) token_bytes_[size_t(id)].clear();

  std::vector<int32_t> order;
  for (size_t id = 0; id < token_bytes_.size(); ++id)
    if (!token_bytes_[id].empty()) order.push_back(int32_t(id));
  num_with_bytes_ = int32_t(order.size());
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    const std::string& x = token_bytes_[size_t(a)];
    const std::string& y = token_bytes_[size_t(b)];
    return x != y ? x < y : a < b;
  });

  // Preorder trie from the sorted list: the path of open nodes is the current prefix.
  nodes_.push_back(Node{});
  std::vector<int32_t> path{0};  // node ids along the current prefix (path[d] at depth d)
  std::string prefix;
  for (int32_t id : order) {
    const std::string& s = token_bytes_[size_t(id)];
    size_t common = 0;
    while (common < prefix.size() && common < s.size() && prefix[common] == s[common]) ++common;
    // Close the nodes deeper than the common prefix.
    while (prefix.size() > common) {
      nodes_[size_t(path.back())].subtree_end = int32_t(nodes_.size());
      path.pop_back();
      prefix.pop_back();
    }
    while (prefix.size() < s.size()) {
      Node n;
      n.byte = uint8_t(s[prefix.size()]);
      n.depth = int32_t(prefix.size() + 1);
      nodes_.push_back(n);
      path.push_back(int32_t(nodes_.size() - 1));
      prefix.push_back(s[prefix.size()]);
    }
    // Sorted input: this id's node is the newest on the path, and ids of equal bytes are adjacent.
    Node& here = nodes_[size_t(path.back())];
    if (here.tokens_end == here.tokens_begin) here.tokens_begin = here.tokens_end = int32_t(token_ids_.size());
    token_ids_.push_back(id);
    here.tokens_end = int32_t(token_ids_.size());
  }
  while (!path.empty()) {
    nodes_[size_t(path.back())].subtree_end = int32_t(nodes_.size());
    path.pop_back();
  }

  // FNV-1a over everything that changes a mask.
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
  };
  mix(&logits_size_, sizeof logits_size_);
  for (const std::string& s : token_bytes_) {
    const uint64_t n = s.size();
    mix(&n, sizeof n);
    mix(s.data(), s.size());
  }
  for (int32_t id : stop_ids_) mix(&id, sizeof id);
  fingerprint_ = h;
}

TokenVocabulary TokenVocabulary::from_tokenizer(const Tokenizer& tokenizer, std::vector<int32_t> stop_ids,
                                                int32_t logits_size) {
  const int32_t n = tokenizer.vocab_size();
  std::vector<std::string> bytes(size_t(std::min(n, logits_size)));
  for (int32_t id = 0; id < int32_t(bytes.size()); ++id)
    if (tokenizer.is_valid_id(id) && !tokenizer.is_special(id)) bytes[size_t(id)] = tokenizer.token_bytes(id);
  return TokenVocabulary(std::move(bytes), std::move(stop_ids), logits_size);
}

}  // namespace turbine::structured
