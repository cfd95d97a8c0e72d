// GrammarMatcher: one sequence's progress through a compiled grammar, and the mask of tokens it
// may take next.
//
// fill_mask() writes a packed bitmask (bit i of word i/32 set: id i allowed) for the current
// position: for every stack top, the state's precomputed accepted tokens, plus those of its
// uncertain tokens that parse against the full stack; the stop ids when the grammar may end.
// accept_token() advances by a sampled token; rollback() undoes accepted tokens (rejected draft
// tokens in speculative decoding). A matcher belongs to one sequence and one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "structured/compiled_grammar.h"
#include "structured/pushdown_parser.h"

namespace turbine::structured {

class GrammarMatcher {
 public:
  explicit GrammarMatcher(std::shared_ptr<const CompiledGrammar> grammar);

  // Writes vocabulary().mask_words() words. Returns how many ids are allowed (0 only when the
  // grammar is finished and there are no stop ids).
  int fill_mask(std::span<uint32_t> words);
  // Advances by `id`; false (and no change) when the grammar does not allow it here.
  bool accept_token(int32_t id);
  // Advances by raw bytes (a prefilled assistant message, tests); false and no change on a byte
  // the grammar does not allow.
  bool accept_bytes(std::span<const uint8_t> bytes);
  // Undoes the last `count` accepted tokens (count <= num_accepted()).
  void rollback(int count);

  // A stop token was accepted: the output is complete.
  bool is_terminated() const { return history_.back().terminated; }
  // The text so far is a complete match (a stop token would be allowed).
  bool can_end() const { return history_.back().parse.can_end; }
  int num_accepted() const { return int(history_.size()) - 1; }
  const CompiledGrammar& grammar() const { return *grammar_; }

 private:
  struct Position {
    ParseState parse;
    bool terminated = false;
  };
  bool is_stop(int32_t id) const;

  std::shared_ptr<const CompiledGrammar> grammar_;
  PushdownParser parser_;
  FramePool pool_;
  std::vector<Position> history_;  // [0] the start; one more per accepted token
  ParseState scratch_[2];
  std::vector<StateId> states_seen_;
};

}  // namespace turbine::structured
