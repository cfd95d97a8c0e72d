// GrammarAutomaton: a Grammar compiled to one deterministic automaton per rule, the form the
// pushdown matcher runs.
//
// Each rule's body becomes a DFA whose edges are byte classes (bytes the grammar never tells
// apart share a class, so a transition row has num_classes entries, not 256) and calls: "run
// rule R, then continue in state s". A state is accepting when the rule may end there. States of
// all rules share one numbering. The matcher (pushdown_parser.h) keeps a stack of
// (state, return frame) and expands calls and returns without consuming bytes.
//
// Compile-time checks, each a turbine::Error that names the rule: left recursion (a rule that
// can call itself before consuming a byte: the pushdown expansion would never end), a root whose
// language is empty, and a grammar past the state budget. States that cannot reach acceptance
// and calls to rules whose language is empty are pruned, so every live stack can still finish.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "structured/grammar.h"

namespace turbine::structured {

struct AutomatonLimits {
  int max_states = 200000;  // DFA states over all rules
};

class GrammarAutomaton {
 public:
  using StateId = int32_t;
  static constexpr StateId kNoState = -1;

  struct Call {
    RuleId rule;
    StateId next;  // where the caller continues once the rule returns
  };

  // Throws turbine::Error (see the file comment).
  static GrammarAutomaton build(const Grammar& grammar, const AutomatonLimits& limits = {});

  int num_states() const { return int(accepting_.size()); }
  int num_rules() const { return int(rule_start_.size()); }
  int num_classes() const { return num_classes_; }
  RuleId root() const { return root_; }
  StateId rule_start(RuleId rule) const { return rule_start_[size_t(rule)]; }
  RuleId rule_of(StateId s) const { return state_rule_[size_t(s)]; }
  const std::string& rule_name(RuleId rule) const { return rule_names_[size_t(rule)]; }

  uint8_t byte_class(uint8_t byte) const { return class_of_[byte]; }
  // The state after consuming `byte` in `s`, or kNoState.
  StateId next(StateId s, uint8_t byte) const {
    return next_[size_t(s) * size_t(num_classes_) + class_of_[byte]];
  }
  bool accepting(StateId s) const { return accepting_[size_t(s)]; }
  bool has_byte_edges(StateId s) const { return has_bytes_[size_t(s)]; }
  std::span<const Call> calls(StateId s) const {
    return {calls_.data() + call_begin_[size_t(s)], size_t(call_begin_[size_t(s) + 1] - call_begin_[size_t(s)])};
  }

 private:
  RuleId root_ = -1;
  int num_classes_ = 0;
  std::array<uint8_t, 256> class_of_{};
  std::vector<StateId> next_;           // [state][class]
  std::vector<uint8_t> accepting_;
  std::vector<uint8_t> has_bytes_;
  std::vector<int32_t> call_begin_;     // [state + 1] ranges into calls_
  std::vector<Call> calls_;
  std::vector<StateId> rule_start_;
  std::vector<RuleId> state_rule_;
  std::vector<std::string> rule_names_;

  friend class AutomatonBuilder;
};

}  // namespace turbine::structured
