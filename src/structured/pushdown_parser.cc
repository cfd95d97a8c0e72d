#include "structured/pushdown_parser.h"

#include <algorithm>

namespace turbine::structured {

int32_t FramePool::intern(StackTop frame) {
  const auto [it, inserted] = index_.emplace(key(frame), int32_t(frames_.size()));
  if (inserted) frames_.push_back(frame);
  return it->second;
}

void FramePool::truncate(size_t n) {
  for (size_t i = n; i < frames_.size(); ++i) index_.erase(key(frames_[i]));
  frames_.resize(std::min(n, frames_.size()));
}

void PushdownParser::expand(FramePool& pool, std::span<const StackTop> raw, ParseState& out) {
  work_.assign(raw.begin(), raw.end());
  visited_.clear();
  while (!work_.empty()) {
    const StackTop t = work_.back();
    work_.pop_back();
    if (std::find(visited_.begin(), visited_.end(), t) != visited_.end()) continue;
    visited_.push_back(t);
    if (a_.has_byte_edges(t.state) && std::find(out.tops.begin(), out.tops.end(), t) == out.tops.end())
      out.tops.push_back(t);
    for (const GrammarAutomaton::Call& call : a_.calls(t.state)) {
      // A tail call (the caller can only return once the callee does) pushes no frame: the
      // callee returns straight to the caller's parent. Right recursion then runs in constant
      // stack, e.g. a rule per state of a scanner ("x" R).
      const bool tail = a_.accepting(call.next) && !a_.has_byte_edges(call.next) && a_.calls(call.next).empty();
      work_.push_back({a_.rule_start(call.rule), tail ? t.parent : pool.intern({call.next, t.parent})});
    }
    if (a_.accepting(t.state)) {
      if (t.parent == kRootBottom) out.can_end = true;
      else if (t.parent == kEscapeBottom) out.escaped = true;
      else work_.push_back(pool.at(t.parent));
    }
  }
}

ParseState PushdownParser::initial(FramePool& pool) {
  ParseState s;
  const StackTop root{a_.rule_start(a_.root()), kRootBottom};
  expand(pool, std::span<const StackTop>(&root, 1), s);
  return s;
}

bool PushdownParser::step(FramePool& pool, const ParseState& in, uint8_t byte, ParseState& out) {
  out.clear();
  raw_.clear();
  for (const StackTop& t : in.tops) {
    const StateId next = a_.next(t.state, byte);
    if (next == GrammarAutomaton::kNoState) continue;
    // The common step (inside a string, a number, a literal): a state that only reads bytes
    // needs no expansion (and, from a single top, no duplicate check).
    if (a_.has_byte_edges(next) && !a_.accepting(next) && a_.calls(next).empty()) {
      const StackTop top{next, t.parent};
      if (in.tops.size() == 1 || std::find(out.tops.begin(), out.tops.end(), top) == out.tops.end())
        out.tops.push_back(top);
    } else {
      raw_.push_back({next, t.parent});
    }
  }
  if (!raw_.empty()) expand(pool, raw_, out);
  return out.alive();
}

bool PushdownParser::consume(FramePool& pool, StackTop from, std::span<const uint8_t> bytes) {
  ParseState* cur = &scratch_[0];
  ParseState* next = &scratch_[1];
  cur->clear();
  cur->tops.push_back(from);
  for (const uint8_t b : bytes) {
    if (!step(pool, *cur, b, *next)) return false;
    std::swap(cur, next);
  }
  return !cur->tops.empty() || cur->can_end;
}

}  // namespace turbine::structured
