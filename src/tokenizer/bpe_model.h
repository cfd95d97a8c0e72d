// BpeModel: byte-pair encoding as Hugging Face's `BPE` model defines it.
//
// A word is split into characters (each looked up in the vocabulary, with the
// continuing_subword_prefix / end_of_word_suffix decorations when configured; characters not in
// the vocabulary become <0xXX> byte tokens under byte_fallback, else the unk token, fused when
// fuse_unk), then pairs are merged lowest rank first, leftmost first on ties, with a binary heap
// over a linked list of symbols: O(n log n) in the word length, which matters for tokenizers
// without a pre-tokenizer (Gemma) where a "word" is a whole paragraph. With ignore_merges, a word
// that is itself a vocabulary entry becomes that one token.
//
// Long words are first cut where no merge can ever reach across: between two known characters
// whose pair occurs in no vocabulary token (a merge only makes vocabulary tokens, so no symbol
// can span such a cut). The pieces are merged on their own, which gives identical ids and turns
// a paragraph-sized "word" into cacheable word-sized pieces.
//
// Results for pieces up to kMaxCachedWordBytes are memoized in a sharded, mutex-protected
// cache, so tokenize() is safe to call from many threads.
#pragma once

#include <array>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tokenizer/model.h"
#include "tokenizer/vocabulary.h"

namespace turbine::tokenizer {

struct BpeOptions {
  std::optional<std::string> unk_token;
  std::optional<std::string> continuing_subword_prefix;
  std::optional<std::string> end_of_word_suffix;
  bool fuse_unk = false;
  bool byte_fallback = false;
  bool ignore_merges = false;
};

class BpeModel final : public Model {
 public:
  // `merges` are pairs of token texts, highest priority first. Throws turbine::Error (naming
  // `where`) for a merge whose parts or result are not in the vocabulary, or a missing unk token.
  BpeModel(Vocabulary vocabulary, const std::vector<std::pair<std::string, std::string>>& merges,
           BpeOptions options, std::string_view where);
  ~BpeModel() override;

  static std::unique_ptr<BpeModel> from_json(const Json& config, std::string_view where);

  void tokenize(std::string_view word, std::vector<int32_t>& ids) const override;
  std::optional<int32_t> token_to_id(std::string_view token) const override {
    return vocabulary_.find(token);
  }
  const std::string* id_to_token(int32_t id) const override { return vocabulary_.token(id); }
  int32_t id_limit() const override { return vocabulary_.id_limit(); }
  size_t size() const override { return vocabulary_.size(); }

  static constexpr size_t kMaxCachedWordBytes = 256;
  // Words longer than this are cut at safe points before merging.
  static constexpr size_t kCutWordsLongerThan = 48;

 private:
  struct MergeTable;
  class WordCache;
  class PairSet;

  // Merges one piece (through the cache when it is short enough).
  void tokenize_piece(std::string_view piece, std::vector<int32_t>& ids) const;
  bool is_known_char(std::string_view text) const;

  // Initial symbols for `word`, then merges; appends the final ids.
  void merge_word(std::string_view word, std::vector<int32_t>& ids) const;
  int32_t char_id(std::string_view text, bool first, bool last, std::string& scratch) const;

  Vocabulary vocabulary_;
  BpeOptions options_;
  int32_t unk_id_ = -1;
  std::array<int32_t, 256> byte_fallback_ids_{};  // id of "<0xXX>" or -1
  bool has_all_byte_tokens_ = false;
  // Ids of the characters of the Basic Multilingual Plane looked up without decoration (-1: not
  // in vocabulary), so most character lookups skip hashing.
  static constexpr char32_t kDirectCharIds = 0x10000;
  std::vector<int32_t> small_char_ids_;
  bool plain_chars_ = true;  // no prefix/suffix decoration
  std::unique_ptr<MergeTable> merges_;
  std::unique_ptr<WordCache> cache_;
  // Adjacent character pairs found inside vocabulary tokens; null when words are never cut
  // (decorated characters, whose first/last decoration would change).
  std::unique_ptr<PairSet> token_pairs_;
};

}  // namespace turbine::tokenizer
