// AddedVocabulary: the tokenizer.json "added_tokens" and how they are found in input text.
//
// Matching follows Hugging Face: tokens with normalized=false are found in the raw input first;
// the text between them is normalized, and tokens with normalized=true are then found in that
// normalized text (their own content was normalized the same way when loading). Each search is
// leftmost-longest and non-overlapping, and resumes after the matched token; a single_word
// token only counts when no word character (\w) touches it on either side, lstrip/rstrip extend
// the match over the whitespace to its left/right (that whitespace disappears from the text).
//
// Immutable after construction; safe to share between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/byte_trie.h"

namespace turbine::tokenizer {

class Normalizer;

struct AddedToken {
  std::string content;
  int32_t id = -1;
  bool special = false;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = true;
};

// A piece of the input after splitting on added tokens: either text (id < 0) or one token.
struct AddedSplit {
  uint32_t begin;
  uint32_t end;
  int32_t id;
};

class AddedVocabulary {
 public:
  AddedVocabulary() = default;
  // `normalizer` (may be null) is applied to the content of normalized tokens.
  AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer* normalizer);

  // Splits `text` on the non-normalized tokens (pass 1) or the normalized ones (pass 2).
  // Appends splits covering `text` in order; empty text pieces are left out.
  void split_raw(std::string_view text, std::vector<AddedSplit>& out) const {
    split(text, raw_trie_, out);
  }
  void split_normalized(std::string_view text, std::vector<AddedSplit>& out) const {
    split(text, normalized_trie_, out);
  }
  bool has_normalized_tokens() const { return !normalized_trie_.empty(); }

  const AddedToken* find_by_id(int32_t id) const {
    const auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : &tokens_[it->second];
  }
  std::optional<int32_t> find(std::string_view content) const;
  bool is_special_content(std::string_view content) const;
  const std::vector<AddedToken>& tokens() const { return tokens_; }
  int32_t id_limit() const { return id_limit_; }

 private:
  void split(std::string_view text, const ByteTrie& trie, std::vector<AddedSplit>& out) const;

  std::vector<AddedToken> tokens_;
  std::unordered_map<int32_t, size_t> by_id_;
  std::unordered_map<std::string, size_t> by_content_;
  ByteTrie raw_trie_;         // values index tokens_
  ByteTrie normalized_trie_;  // values index tokens_
  int32_t id_limit_ = 0;
};

}  // namespace turbine::tokenizer
