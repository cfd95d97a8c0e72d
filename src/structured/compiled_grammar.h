// CompiledGrammar: a grammar's automaton plus, for every automaton state, which tokens of a
// vocabulary it accepts on its own: the precomputation that makes per-step masks cheap.
//
// For a stack whose top is state s, a token is
//  - accepted when its bytes can be consumed without returning from s's rule (or returning
//    exactly at its last byte): then it is allowed whatever lies below s on the stack;
//  - rejected when no path consumes it and none returns from s's rule before its end;
//  - uncertain otherwise (some path returns from the rule with bytes left: the caller's frames
//    decide). Only these are parsed against the full stack at each step.
// This is the split XGrammar published (context-independent vs context-dependent tokens); the
// tables are built once per (grammar, vocabulary) by one trie walk per state and shared by every
// request using the grammar (grammar_compiler.h caches them). A grammar of up to
// kEagerTableStates states gets all its tables at compile time (on a few threads); a larger one
// (a big schema, most of whose states one output never visits) gets each table the first time a
// mask needs it, which makes that mask slower once.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "structured/grammar.h"
#include "structured/grammar_automaton.h"
#include "structured/token_vocabulary.h"

namespace turbine::structured {

class CompiledGrammar {
 public:
  struct StateTokens {
    // Accepted ids: a packed bitmask of vocabulary.mask_words() words when many, else a list.
    std::vector<uint32_t> accepted_bits;
    std::vector<int32_t> accepted_ids;
    std::vector<int32_t> uncertain_ids;
  };

  // Compiles `grammar` (GrammarAutomaton::build) and precomputes every state's tokens.
  // `vocabulary` must outlive the result. Throws turbine::Error for a bad grammar.
  static std::shared_ptr<const CompiledGrammar> compile(const Grammar& grammar,
                                                        std::shared_ptr<const TokenVocabulary> vocabulary,
                                                        const AutomatonLimits& limits = {});

  const GrammarAutomaton& automaton() const { return automaton_; }
  const TokenVocabulary& vocabulary() const { return *vocabulary_; }
  // The state's table (built now if it is not yet; thread-safe).
  const StateTokens& tokens(GrammarAutomaton::StateId s) const;

  static constexpr int kEagerTableStates = 4096;

  // Sizes of the tables built so far, for logs and benchmarks (not while another thread may be
  // building one).
  size_t num_uncertain() const;
  size_t memory_bytes() const;

 private:
  GrammarAutomaton automaton_;
  std::shared_ptr<const TokenVocabulary> vocabulary_;
  StateTokens build_tokens(GrammarAutomaton::StateId s) const;

  // By state; empty for states without byte edges. Each is written once, under its once_flag.
  mutable std::vector<StateTokens> tokens_;
  mutable std::unique_ptr<std::once_flag[]> built_;
};

}  // namespace turbine::structured
