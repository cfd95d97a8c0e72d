// The pushdown parser over a GrammarAutomaton: a set of stacks, advanced one byte at a time.
//
// A stack is its top (the current automaton state) plus a parent frame: the state its caller
// continues in once the current rule returns, and that frame's own parent. Parent frames are
// interned in a FramePool, so stacks share their tails and the common step (a byte that keeps the
// stack depth) only changes the top, with no allocation or hashing. The set of stacks after a
// byte is kept "expanded": every call is entered and every possible return taken, so each top in
// the set is a state with byte edges; whether the grammar may end here is a flag (can_end).
//
// Two bottoms: kRootBottom under the root rule (returning to it means the whole grammar matched)
// and kEscapeBottom, used when tables are precomputed for one state in isolation (returning to
// it means "the rest depends on the caller": escaped).
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "structured/grammar_automaton.h"

namespace turbine::structured {

using StateId = GrammarAutomaton::StateId;

inline constexpr int32_t kRootBottom = -1;
inline constexpr int32_t kEscapeBottom = -2;

struct StackTop {
  StateId state;
  int32_t parent;  // a FramePool id, kRootBottom or kEscapeBottom
  bool operator==(const StackTop&) const = default;
};

// Interned parent frames: equal (state, parent) pairs get one id, so equal stacks are equal tops.
class FramePool {
 public:
  int32_t intern(StackTop frame);
  const StackTop& at(int32_t id) const { return frames_[size_t(id)]; }
  size_t size() const { return frames_.size(); }
  // Forgets frames [n, size()): a scratch region used while computing a mask.
  void truncate(size_t n);

 private:
  static uint64_t key(StackTop f) { return (uint64_t(uint32_t(f.state)) << 32) | uint32_t(f.parent); }
  std::vector<StackTop> frames_;
  std::unordered_map<uint64_t, int32_t> index_;
};

struct ParseState {
  std::vector<StackTop> tops;  // distinct, each at a state with byte edges
  bool can_end = false;        // some stack returned to kRootBottom: the grammar may end here
  bool escaped = false;        // some stack returned to kEscapeBottom

  bool alive() const { return !tops.empty() || can_end || escaped; }
  void clear() {
    tops.clear();
    can_end = escaped = false;
  }
};

class PushdownParser {
 public:
  explicit PushdownParser(const GrammarAutomaton& automaton) : a_(automaton) {}

  // The expanded state of the stacks in `raw` (tops that may still need calls entered or returns
  // taken). Appends to `out` (which the caller cleared or wants merged into).
  void expand(FramePool& pool, std::span<const StackTop> raw, ParseState& out);
  // The state at the start of the grammar.
  ParseState initial(FramePool& pool);
  // Consumes one byte from `in` into `out` (cleared first). Returns out.alive().
  bool step(FramePool& pool, const ParseState& in, uint8_t byte, ParseState& out);
  // Whether `bytes`, from the single stack `from`, leave a stack alive (one that can read on, or
  // a complete parse): the test of an uncertain token. Stops at the first byte that kills every
  // stack; keeps its states in the parser's scratch, so the hot loop allocates nothing.
  bool consume(FramePool& pool, StackTop from, std::span<const uint8_t> bytes);

  const GrammarAutomaton& automaton() const { return a_; }

 private:
  const GrammarAutomaton& a_;
  std::vector<StackTop> work_;
  std::vector<StackTop> visited_;
  std::vector<StackTop> raw_;
  ParseState scratch_[2];
};

}  // namespace turbine::structured
