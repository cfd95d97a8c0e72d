// TokenVocabulary: what a grammar matcher knows of a model's tokens: each id's bytes, arranged as
// a trie, and the ids that end generation.
//
// Built once per served model (from Tokenizer::token_bytes) and shared by every compiled grammar
// for that model. Ids with no bytes (special tokens, holes, ids past the tokenizer up to the
// logits width) are never allowed by a grammar; the stop ids are allowed exactly where the grammar
// may end.
//
// The trie is stored in preorder: node i's subtree is [i, subtree_end(i)), so a walk that finds
// a prefix dead jumps past its whole subtree. Node 0 is the root (the empty prefix).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace turbine {
class Tokenizer;
}

namespace turbine::structured {

class TokenVocabulary {
 public:
  struct Node {
    uint8_t byte = 0;        // the byte that leads here from the parent (unused at the root)
    int32_t depth = 0;       // bytes from the root
    int32_t subtree_end = 0;
    int32_t tokens_begin = 0, tokens_end = 0;  // ids whose bytes end exactly here (token_ids())
  };

  // token_bytes[id]: the id's bytes, empty for ids a grammar never allows; logits_size >=
  // token_bytes.size() is the width of a logits row (ids past token_bytes have no bytes).
  TokenVocabulary(std::vector<std::string> token_bytes, std::vector<int32_t> stop_ids, int32_t logits_size);

  // From a tokenizer: every non-special id's Tokenizer::token_bytes; stop_ids are the model's
  // EOS ids (and any other id that ends a turn).
  static TokenVocabulary from_tokenizer(const Tokenizer& tokenizer, std::vector<int32_t> stop_ids,
                                        int32_t logits_size);

  int32_t logits_size() const { return logits_size_; }
  int32_t mask_words() const { return (logits_size_ + 31) / 32; }
  // The id's bytes; empty for an id a grammar never allows (or past the tokenizer's ids).
  const std::string& bytes(int32_t id) const {
    static const std::string kNone;
    return id >= 0 && size_t(id) < token_bytes_.size() ? token_bytes_[size_t(id)] : kNone;
  }
  int32_t num_ids_with_bytes() const { return num_with_bytes_; }
  std::span<const int32_t> stop_ids() const { return stop_ids_; }

  std::span<const Node> nodes() const { return nodes_; }
  std::span<const int32_t> token_ids(const Node& n) const {
    return {token_ids_.data() + n.tokens_begin, size_t(n.tokens_end - n.tokens_begin)};
  }
  // A digest of the bytes, stops and width: compiled grammars are cached per (grammar, vocabulary).
  uint64_t fingerprint() const { return fingerprint_; }

 private:
  std::vector<std::string> token_bytes_;
  std::vector<int32_t> stop_ids_;
  int32_t logits_size_ = 0;
  int32_t num_with_bytes_ = 0;
  std::vector<Node> nodes_;
  std::vector<int32_t> token_ids_;
  uint64_t fingerprint_ = 0;
};

}  // namespace turbine::structured
