#include "structured/grammar_matcher.h"

#include <algorithm>
#include <bit>

#include "common/error.h"

namespace turbine::structured {

GrammarMatcher::GrammarMatcher(std::shared_ptr<const CompiledGrammar> grammar)
    : grammar_(std::move(grammar)), parser_(grammar_->automaton()) {
  history_.push_back({parser_.initial(pool_), false});
}

bool GrammarMatcher::is_stop(int32_t id) const {
  const auto stops = grammar_->vocabulary().stop_ids();
  return std::binary_search(stops.begin(), stops.end(), id);
}

int GrammarMatcher::fill_mask(std::span<uint32_t> words) {
  const TokenVocabulary& vocab = grammar_->vocabulary();
  TURBINE_CHECK(words.size() >= size_t(vocab.mask_words()), "mask of {} words for {} ids", words.size(),
                vocab.logits_size());
  std::fill(words.begin(), words.end(), 0u);
  const Position& here = history_.back();
  auto set = [&](int32_t id) { words[size_t(id) >> 5] |= uint32_t(1) << (id & 31); };
  auto test = [&](int32_t id) { return (words[size_t(id) >> 5] >> (id & 31)) & 1; };
  if (!here.terminated) {
    states_seen_.clear();
    const size_t scratch_mark = pool_.size();
    for (const StackTop& top : here.parse.tops) {
      const CompiledGrammar::StateTokens& t = grammar_->tokens(top.state);
      if (std::find(states_seen_.begin(), states_seen_.end(), top.state) == states_seen_.end()) {
        states_seen_.push_back(top.state);
        if (!t.accepted_bits.empty()) {
          for (size_t w = 0; w < t.accepted_bits.size(); ++w) words[w] |= t.accepted_bits[w];
        } else {
          for (int32_t id : t.accepted_ids) set(id);
        }
      }
      for (int32_t id : t.uncertain_ids) {
        if (test(id)) continue;
        const std::string& bytes = vocab.bytes(id);
        if (parser_.consume(pool_, top, std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size())))
          set(id);
      }
    }
    pool_.truncate(scratch_mark);  // frames made while trying uncertain tokens
  }
  if (here.terminated || here.parse.can_end)
    for (int32_t id : vocab.stop_ids()) set(id);
  int count = 0;
  for (size_t w = 0; w < size_t(vocab.mask_words()); ++w) count += std::popcount(words[w]);
  return count;
}

bool GrammarMatcher::accept_bytes(std::span<const uint8_t> bytes) {
  const Position& here = history_.back();
  if (here.terminated) return bytes.empty();
  ParseState* cur = &scratch_[0];
  ParseState* next = &scratch_[1];
  *cur = here.parse;
  for (uint8_t b : bytes) {
    if (!parser_.step(pool_, *cur, b, *next)) return false;
    std::swap(cur, next);
  }
  history_.push_back({*cur, false});
  return true;
}

bool GrammarMatcher::accept_token(int32_t id) {
  const TokenVocabulary& vocab = grammar_->vocabulary();
  if (id < 0 || id >= vocab.logits_size()) return false;
  const Position& here = history_.back();
  if (is_stop(id)) {
    if (!here.terminated && !here.parse.can_end) return false;
    Position done = here;
    done.terminated = true;
    history_.push_back(std::move(done));
    return true;
  }
  const std::string& bytes = vocab.bytes(id);
  if (here.terminated || bytes.empty()) return false;
  return accept_bytes(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

void GrammarMatcher::rollback(int count) {
  TURBINE_CHECK(count >= 0 && count <= num_accepted(), "rollback of {} with {} accepted", count, num_accepted());
  history_.resize(history_.size() - size_t(count));
}

}  // namespace turbine::structured
