#include "tokenizer/byte_trie.h"

#include "common/error.h"

namespace turbine::tokenizer {

ByteTrie::ByteTrie() : values_(1, -1) {
  root_children_.fill(-1);
  edges_.assign(16, Edge{kEmptyEdge, -1});
  edge_shift_ = 64 - 4;
}

void ByteTrie::grow_edges() {
  std::vector<Edge> old = std::move(edges_);
  edges_.assign(old.size() * 2, Edge{kEmptyEdge, -1});
  --edge_shift_;
  const size_t mask = edges_.size() - 1;
  for (const Edge& e : old) {
    if (e.key == kEmptyEdge) continue;
    size_t i = edge_index(e.key);
    while (edges_[i].key != kEmptyEdge) i = (i + 1) & mask;
    edges_[i] = e;
  }
}

int32_t ByteTrie::add_child(int32_t node, uint8_t byte) {
  const auto created = static_cast<int32_t>(values_.size());
  values_.push_back(-1);
  if (node == 0) {
    root_children_[byte] = created;
    return created;
  }
  if ((edge_count_ + 1) * 2 > edges_.size()) grow_edges();
  const uint64_t key = edge_key(node, byte);
  const size_t mask = edges_.size() - 1;
  size_t i = edge_index(key);
  while (edges_[i].key != kEmptyEdge) i = (i + 1) & mask;
  edges_[i] = {key, created};
  ++edge_count_;
  return created;
}

void ByteTrie::insert(std::string_view key, int32_t value) {
  TURBINE_CHECK(!key.empty() && value >= 0);
  int32_t node = 0;
  for (unsigned char byte : key) {
    int32_t next = child(node, byte);
    if (next < 0) next = add_child(node, byte);
    node = next;
  }
  values_[node] = value;
}

}  // namespace turbine::tokenizer
