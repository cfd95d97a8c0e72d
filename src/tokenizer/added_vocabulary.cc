#include "tokenizer/added_vocabulary.h"

#include <algorithm>

#include "tokenizer/normalizer.h"
#include "tokenizer/unicode.h"
#include "tokenizer/utf8.h"

namespace turbine::tokenizer {
namespace {

// Start of the character that ends at `end` (end > 0).
size_t previous_char_start(std::string_view text, size_t end) {
  size_t start = end - 1;
  while (start > 0 && (static_cast<uint8_t>(text[start]) & 0xC0) == 0x80) --start;
  return start;
}

bool ends_with_word_char(std::string_view text, size_t end) {
  if (end == 0) return false;
  char32_t c;
  utf8::decode(text, previous_char_start(text, end), &c);
  return unicode::is_word_char(c);
}

bool starts_with_word_char(std::string_view text, size_t begin) {
  if (begin >= text.size()) return false;
  char32_t c;
  utf8::decode(text, begin, &c);
  return unicode::is_word_char(c);
}

}  // namespace

AddedVocabulary::AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer* normalizer)
    : tokens_(std::move(tokens)) {
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const AddedToken& token = tokens_[i];
    by_id_[token.id] = i;
    by_content_[token.content] = i;
    id_limit_ = std::max(id_limit_, token.id + 1);
  }
  // Hugging Face matches special tokens first in its list, then the others; within one trie a
  // later duplicate content replaces an earlier one either way.
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const AddedToken& token = tokens_[i];
    if (token.content.empty()) continue;
    if (!token.normalized) {
      raw_trie_.insert(token.content, static_cast<int32_t>(i));
      continue;
    }
    std::string content = token.content;
    if (normalizer != nullptr) normalizer->normalize(content);
    if (!content.empty()) normalized_trie_.insert(content, static_cast<int32_t>(i));
  }
}

std::optional<int32_t> AddedVocabulary::find(std::string_view content) const {
  const auto it = by_content_.find(std::string(content));
  if (it == by_content_.end()) return std::nullopt;
  return tokens_[it->second].id;
}

bool AddedVocabulary::is_special_content(std::string_view content) const {
  const auto it = by_content_.find(std::string(content));
  return it != by_content_.end() && tokens_[it->second].special;
}

void AddedVocabulary::split(std::string_view text, const ByteTrie& trie,
                            std::vector<AddedSplit>& out) const {
  auto emit_text = [&](size_t begin, size_t end) {
    if (begin < end) {
      out.push_back({static_cast<uint32_t>(begin), static_cast<uint32_t>(end), -1});
    }
  };
  if (trie.empty()) {
    emit_text(0, text.size());
    return;
  }
  size_t text_start = 0;  // start of the text not yet emitted
  size_t search = 0;      // where the next match may start
  while (search < text.size()) {
    // Leftmost-longest: the first position where some token starts, then its longest token.
    size_t match_begin = search;
    size_t match_length = 0;
    int32_t match_index = -1;
    for (; match_begin < text.size(); ++match_begin) {
      if (!trie.may_start_with(static_cast<uint8_t>(text[match_begin]))) continue;
      trie.for_each_prefix(text.substr(match_begin), [&](size_t length, int32_t index) {
        match_length = length;
        match_index = index;
        return true;
      });
      if (match_index >= 0) break;
    }
    if (match_index < 0) break;
    const size_t match_end = match_begin + match_length;
    search = match_end;
    const AddedToken& token = tokens_[match_index];
    if (token.single_word && (ends_with_word_char(text, match_begin) ||
                              starts_with_word_char(text, match_end))) {
      continue;
    }
    size_t begin = match_begin;
    size_t end = match_end;
    if (token.lstrip) {
      size_t new_begin = begin;
      while (new_begin > 0) {
        const size_t start = previous_char_start(text, new_begin);
        char32_t c;
        utf8::decode(text, start, &c);
        if (!unicode::is_whitespace(c)) break;
        new_begin = start;
      }
      begin = std::max(new_begin, text_start);
    }
    if (token.rstrip) {
      while (end < text.size()) {
        char32_t c;
        const int n = utf8::decode(text, end, &c);
        if (!unicode::is_whitespace(c)) break;
        end += n;
      }
    }
    emit_text(text_start, begin);
    out.push_back({static_cast<uint32_t>(begin), static_cast<uint32_t>(end), token.id});
    text_start = std::max(text_start, end);
  }
  emit_text(text_start, text.size());
}

}  // namespace turbine::tokenizer
