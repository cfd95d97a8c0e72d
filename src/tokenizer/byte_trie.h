// ByteTrie: a trie over byte strings mapping each stored key to an int32 value.
//
// Used for prefix searches: the Unigram lattice (all vocabulary entries starting at a
// position) and added-token matching (longest added token starting at a position). The root's
// children are a direct 256-entry table; deeper edges live in one open-addressing hash table.
// Immutable after building, so concurrent searches are safe.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace turbine::tokenizer {

class ByteTrie {
 public:
  ByteTrie();

  // Stores `key` (non-empty) with `value` (>= 0), replacing an earlier value for the same key.
  void insert(std::string_view key, int32_t value);

  // Calls on_match(length, value) for every stored key that is a prefix of `text`, shortest
  // first. Stops early if on_match returns false.
  template <typename OnMatch>
  void for_each_prefix(std::string_view text, OnMatch&& on_match) const {
    int32_t node = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      node = child(node, static_cast<uint8_t>(text[i]));
      if (node < 0) return;
      const int32_t value = values_[node];
      if (value >= 0 && !on_match(i + 1, value)) return;
    }
  }

  // Whether some stored key starts with byte `b` (a cheap filter before a search).
  bool may_start_with(uint8_t b) const { return root_children_[b] >= 0; }
  bool empty() const { return values_.size() == 1; }

 private:
  int32_t child(int32_t node, uint8_t byte) const {
    if (node == 0) return root_children_[byte];
    const uint64_t key = edge_key(node, byte);
    const size_t mask = edges_.size() - 1;
    for (size_t i = edge_index(key);; i = (i + 1) & mask) {
      if (edges_[i].key == key) return edges_[i].child;
      if (edges_[i].key == kEmptyEdge) return -1;
    }
  }
  int32_t add_child(int32_t node, uint8_t byte);
  static uint64_t edge_key(int32_t node, uint8_t byte) { return (uint64_t(node) << 8) | byte; }
  size_t edge_index(uint64_t key) const { return (key * 0x9E3779B97F4A7C15ULL) >> edge_shift_; }
  void grow_edges();

  struct Edge {
    uint64_t key;
    int32_t child;
  };
  static constexpr uint64_t kEmptyEdge = ~uint64_t{0};

  std::array<int32_t, 256> root_children_;
  std::vector<int32_t> values_;  // per node; -1 when no key ends there
  std::vector<Edge> edges_;
  size_t edge_count_ = 0;
  int edge_shift_ = 0;
};

}  // namespace turbine::tokenizer
