#include "structured/grammar_automaton.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "common/error.h"

namespace turbine::structured {

// Builds the automaton in the order the header's comment gives: byte classes, one NFA per rule
// (Thompson construction over the expression tree), subset construction to a DFA per rule,
// emptiness / nullability, pruning, the left-recursion check.
class AutomatonBuilder {
 public:
  AutomatonBuilder(const Grammar& g, const AutomatonLimits& limits) : g_(g), limits_(limits) {}

  GrammarAutomaton run() {
    g_.validate();
    compute_byte_classes();
    const size_t num_rules = g_.num_rules();
    rule_dfas_.resize(num_rules);
    for (size_t r = 0; r < num_rules; ++r) build_rule(RuleId(r));
    compute_productive_and_nullable();
    if (!productive_[size_t(g_.root())])
      fail("grammar: the root rule '{}' matches no string at all", g_.rule_name(g_.root()));
    prune();
    for (RuleDfa& dfa : rule_dfas_) minimize(dfa);
    check_left_recursion();
    return assemble();
  }

 private:
  // ---- NFA of one rule.
  struct NfaNode {
    std::vector<std::pair<ByteSet, int>> bytes;   // (set, target)
    std::vector<std::pair<RuleId, int>> calls;     // (rule, target)
    std::vector<int> eps;
  };
  std::vector<NfaNode> nfa_;

  int new_node() {
    nfa_.emplace_back();
    if (nfa_.size() > size_t(limits_.max_states) * 4) too_large();
    return int(nfa_.size() - 1);
  }

  // Adds the expression's edges starting at `from`; returns the node where a match ends.
  int build(ExprId id, int from) {
    const Expr& e = g_.expr(id);
    switch (e.kind) {
      case Expr::Kind::kEmpty: return from;
      case Expr::Kind::kNothing: return new_node();  // unreachable end
      case Expr::Kind::kBytes: {
        const int to = new_node();
        nfa_[size_t(from)].bytes.push_back({e.bytes, to});
        return to;
      }
      case Expr::Kind::kRule: {
        const int to = new_node();
        nfa_[size_t(from)].calls.push_back({e.rule, to});
        return to;
      }
      case Expr::Kind::kSequence: {
        int cur = from;
        for (ExprId c : e.children) cur = build(c, cur);
        return cur;
      }
      case Expr::Kind::kChoice: {
        const int end = new_node();
        for (ExprId c : e.children) {
          // A fresh start per option keeps a loop inside one option from reaching its siblings.
          const int start = new_node();
          nfa_[size_t(from)].eps.push_back(start);
          const int child_end = build(c, start);
          nfa_[size_t(child_end)].eps.push_back(end);
        }
        return end;
      }
      case Expr::Kind::kRepeat: {
        int cur = from;
        for (int i = 0; i < e.min; ++i) {
          const int start = new_node();
          nfa_[size_t(cur)].eps.push_back(start);
          cur = build(e.children[0], start);
        }
        if (e.max == kUnbounded) {
          const int loop = new_node();
          nfa_[size_t(cur)].eps.push_back(loop);
          const int body_end = build(e.children[0], loop);
          nfa_[size_t(body_end)].eps.push_back(loop);
          return loop;
        }
        // x{0,k} as (x (x (...)?)?)?: each copy may be skipped to the common end.
        const int end = new_node();
        for (int i = e.min; i < e.max; ++i) {
          nfa_[size_t(cur)].eps.push_back(end);
          const int start = new_node();
          nfa_[size_t(cur)].eps.push_back(start);
          cur = build(e.children[0], start);
        }
        nfa_[size_t(cur)].eps.push_back(end);
        return end;
      }
    }
    return from;
  }

  // ---- Byte classes: bytes that every byte set either contains or lacks together.
  void compute_byte_classes() {
    std::array<int, 256> cls{};
    int count = 1;
    for (size_t i = 0; i < g_.num_exprs(); ++i) {
      const Expr& e = g_.expr(ExprId(i));
      if (e.kind != Expr::Kind::kBytes) continue;
      std::map<std::pair<int, bool>, int> remap;
      for (int b = 0; b < 256; ++b) {
        const auto key = std::make_pair(cls[size_t(b)], e.bytes.contains(uint8_t(b)));
        auto [it, inserted] = remap.emplace(key, int(remap.size()));
        cls[size_t(b)] = it->second;
      }
      count = int(remap.size());
    }
    num_classes_ = count;
    for (int b = 0; b < 256; ++b) class_of_[size_t(b)] = uint8_t(cls[size_t(b)]);
    representative_.assign(size_t(count), 0);
    for (int b = 255; b >= 0; --b) representative_[class_of_[size_t(b)]] = uint8_t(b);
  }

  // ---- DFA of one rule.
  struct DfaState {
    std::vector<int> next;                         // [class], local ids, -1 none
    std::vector<std::pair<RuleId, int>> calls;     // (rule, local next)
    bool accepting = false;
  };
  struct RuleDfa {
    std::vector<DfaState> states;  // state 0 is the start
  };
  std::vector<RuleDfa> rule_dfas_;

  void closure(std::vector<int>& set) {
    // Stamped marks: no O(NFA) clearing per closure (a long literal makes thousands of nodes).
    if (seen_.size() < nfa_.size()) seen_.resize(nfa_.size(), 0);
    const uint32_t stamp = ++stamp_;
    std::vector<int> stack;
    for (int n : set)
      if (seen_[size_t(n)] != stamp) {
        seen_[size_t(n)] = stamp;
        stack.push_back(n);
      }
    set = stack;
    while (!stack.empty()) {
      const int n = stack.back();
      stack.pop_back();
      for (int t : nfa_[size_t(n)].eps)
        if (seen_[size_t(t)] != stamp) {
          seen_[size_t(t)] = stamp;
          set.push_back(t);
          stack.push_back(t);
        }
    }
    std::sort(set.begin(), set.end());
    set.erase(std::unique(set.begin(), set.end()), set.end());
  }

  [[noreturn]] void too_large() const {
    fail("grammar: too large: its automaton passes {} states while compiling rule '{}' (for a JSON Schema, the "
         "rule names the part of the schema: bound its lengths and counts, or simplify it)",
         limits_.max_states, g_.rule_name(current_rule_));
  }

  void build_rule(RuleId rule) {
    current_rule_ = rule;
    nfa_.clear();
    seen_.clear();  // node ids restart per rule
    const int start = new_node();
    const int end = build(g_.rule_body(rule), start);
    std::map<std::vector<int>, int> ids;
    std::vector<std::vector<int>> sets;
    RuleDfa& dfa = rule_dfas_[size_t(rule)];
    auto intern = [&](std::vector<int> set) -> int {
      closure(set);
      if (set.empty()) return -1;
      auto [it, inserted] = ids.emplace(set, int(sets.size()));
      if (inserted) {
        sets.push_back(std::move(set));
        dfa.states.emplace_back();
        if (++total_states_ > limits_.max_states) too_large();
      }
      return it->second;
    };
    intern({start});
    for (size_t i = 0; i < sets.size(); ++i) {
      const std::vector<int> set = sets[i];
      DfaState st;
      st.accepting = std::binary_search(set.begin(), set.end(), end);
      st.next.assign(size_t(num_classes_), -1);
      for (int c = 0; c < num_classes_; ++c) {
        std::vector<int> targets;
        for (int n : set)
          for (const auto& [bytes, to] : nfa_[size_t(n)].bytes)
            if (bytes.contains(representative_[size_t(c)])) targets.push_back(to);
        if (!targets.empty()) st.next[size_t(c)] = intern(std::move(targets));
      }
      std::map<RuleId, std::vector<int>> by_rule;
      for (int n : set)
        for (const auto& [r, to] : nfa_[size_t(n)].calls) by_rule[r].push_back(to);
      for (auto& [r, targets] : by_rule) st.calls.push_back({r, intern(std::move(targets))});
      dfa.states[i] = std::move(st);
    }
  }

  // ---- Productive (non-empty language) and nullable rules, by fixpoint.
  std::vector<uint8_t> productive_, nullable_;

  // Whether acceptance is reachable from the rule's start, using byte edges (when `bytes`) and
  // calls to rules in `usable`.
  bool reaches_accept(RuleId rule, bool bytes, const std::vector<uint8_t>& usable) const {
    const RuleDfa& dfa = rule_dfas_[size_t(rule)];
    std::vector<uint8_t> seen(dfa.states.size(), 0);
    std::vector<int> stack{0};
    seen[0] = 1;
    while (!stack.empty()) {
      const int s = stack.back();
      stack.pop_back();
      const DfaState& st = dfa.states[size_t(s)];
      if (st.accepting) return true;
      auto visit = [&](int t) {
        if (t >= 0 && !seen[size_t(t)]) {
          seen[size_t(t)] = 1;
          stack.push_back(t);
        }
      };
      if (bytes)
        for (int t : st.next) visit(t);
      for (const auto& [r, t] : st.calls)
        if (usable[size_t(r)]) visit(t);
    }
    return false;
  }

  void compute_productive_and_nullable() {
    const size_t n = g_.num_rules();
    for (auto* v : {&productive_, &nullable_}) {
      const bool bytes = v == &productive_;
      v->assign(n, 0);
      for (bool changed = true; changed;) {
        changed = false;
        for (size_t r = 0; r < n; ++r)
          if (!(*v)[r] && reaches_accept(RuleId(r), bytes, *v)) {
            (*v)[r] = 1;
            changed = true;
          }
      }
    }
  }

  // ---- Pruning: drop calls to empty rules and states that cannot reach acceptance.
  void prune() {
    for (size_t r = 0; r < rule_dfas_.size(); ++r) {
      RuleDfa& dfa = rule_dfas_[r];
      for (DfaState& st : dfa.states)
        std::erase_if(st.calls, [&](const std::pair<RuleId, int>& c) { return !productive_[size_t(c.first)] || c.second < 0; });
      // Co-reachability of acceptance, backwards.
      const size_t ns = dfa.states.size();
      std::vector<std::vector<int>> preds(ns);
      for (size_t s = 0; s < ns; ++s) {
        for (int t : dfa.states[s].next)
          if (t >= 0) preds[size_t(t)].push_back(int(s));
        for (const auto& [rule, t] : dfa.states[s].calls) preds[size_t(t)].push_back(int(s));
      }
      std::vector<uint8_t> live(ns, 0);
      std::vector<int> stack;
      for (size_t s = 0; s < ns; ++s)
        if (dfa.states[s].accepting) {
          live[s] = 1;
          stack.push_back(int(s));
        }
      while (!stack.empty()) {
        const int s = stack.back();
        stack.pop_back();
        for (int p : preds[size_t(s)])
          if (!live[size_t(p)]) {
            live[size_t(p)] = 1;
            stack.push_back(p);
          }
      }
      for (DfaState& st : dfa.states) {
        for (int& t : st.next)
          if (t >= 0 && !live[size_t(t)]) t = -1;
        std::erase_if(st.calls, [&](const std::pair<RuleId, int>& c) { return !live[size_t(c.second)]; });
      }
      rule_live_.push_back(std::move(live));
    }
  }
  std::vector<std::vector<uint8_t>> rule_live_;

  // ---- Minimization (Moore): the subset construction leaves equivalent states (a string body
  // reached after different escapes or UTF-8 lengths); each costs a trie walk when the token
  // tables are built, so they are merged. Unreachable states go first.
  void minimize(RuleDfa& dfa) {
    const size_t n = dfa.states.size();
    std::vector<int> order;  // reachable states from the start, in discovery order
    std::vector<int> index(n, -1);
    order.push_back(0);
    index[0] = 0;
    for (size_t k = 0; k < order.size(); ++k) {
      const DfaState& st = dfa.states[size_t(order[k])];
      auto visit = [&](int t) {
        if (t >= 0 && index[size_t(t)] < 0) {
          index[size_t(t)] = int(order.size());
          order.push_back(t);
        }
      };
      for (int t : st.next) visit(t);
      for (const auto& [r, t] : st.calls) visit(t);
    }
    // Partition refinement: a state's block is decided by its acceptance and, round by round,
    // by the blocks its byte classes and calls lead to.
    std::vector<int> block(order.size());
    for (size_t k = 0; k < order.size(); ++k) block[k] = dfa.states[size_t(order[k])].accepting ? 1 : 0;
    int num_blocks = 0;
    for (;;) {
      std::map<std::vector<int>, int> ids;
      std::vector<int> next_block(order.size());
      for (size_t k = 0; k < order.size(); ++k) {
        const DfaState& st = dfa.states[size_t(order[k])];
        std::vector<int> sig{block[k]};
        for (int t : st.next) sig.push_back(t < 0 ? -1 : block[size_t(index[size_t(t)])]);
        sig.push_back(-2);
        for (const auto& [r, t] : st.calls) {
          sig.push_back(r);
          sig.push_back(block[size_t(index[size_t(t)])]);
        }
        next_block[k] = ids.emplace(std::move(sig), int(ids.size())).first->second;
      }
      const int count = int(ids.size());
      block = std::move(next_block);
      if (count == num_blocks) break;
      num_blocks = count;
    }
    // The start's block becomes state 0; blocks are numbered in order of first appearance.
    std::vector<int> renumber(size_t(num_blocks), -1);
    int next_id = 0;
    for (size_t k = 0; k < order.size(); ++k)
      if (renumber[size_t(block[k])] < 0) renumber[size_t(block[k])] = next_id++;
    std::vector<DfaState> merged(static_cast<size_t>(next_id));
    std::vector<uint8_t> done(static_cast<size_t>(next_id), 0);
    for (size_t k = 0; k < order.size(); ++k) {
      const int b = renumber[size_t(block[k])];
      if (done[size_t(b)]) continue;
      done[size_t(b)] = 1;
      DfaState st = dfa.states[size_t(order[k])];
      for (int& t : st.next)
        if (t >= 0) t = renumber[size_t(block[size_t(index[size_t(t)])])];
      for (auto& [r, t] : st.calls) t = renumber[size_t(block[size_t(index[size_t(t)])])];
      merged[size_t(b)] = std::move(st);
    }
    total_states_ -= int(n) - next_id;
    dfa.states = std::move(merged);
  }

  // ---- Left recursion: rule R calls Q before consuming a byte (through nullable calls).
  void check_left_recursion() {
    const size_t n = g_.num_rules();
    std::vector<std::vector<RuleId>> first_calls(n);
    for (size_t r = 0; r < n; ++r) {
      const RuleDfa& dfa = rule_dfas_[r];
      std::vector<uint8_t> seen(dfa.states.size(), 0);
      std::vector<int> stack{0};
      seen[0] = 1;
      while (!stack.empty()) {
        const int s = stack.back();
        stack.pop_back();
        for (const auto& [q, t] : dfa.states[size_t(s)].calls) {
          first_calls[r].push_back(q);
          if (nullable_[size_t(q)] && !seen[size_t(t)]) {
            seen[size_t(t)] = 1;
            stack.push_back(t);
          }
        }
      }
    }
    // Cycle search (white/grey/black) from every rule; report the cycle's rules.
    std::vector<int> color(n, 0);
    std::vector<RuleId> path;
    auto dfs = [&](auto&& self, RuleId r) -> void {
      color[size_t(r)] = 1;
      path.push_back(r);
      for (RuleId q : first_calls[size_t(r)]) {
        if (color[size_t(q)] == 1) {
          std::string cycle;
          bool on = false;
          for (RuleId p : path) {
            if (p == q) on = true;
            if (on) cycle += "'" + g_.rule_name(p) + "' -> ";
          }
          fail("grammar: rule '{}' is left-recursive ({}'{}' before any text); rewrite it with repetition, "
               "e.g. a ::= b (\"+\" b)*",
               g_.rule_name(q), cycle, g_.rule_name(q));
        }
        if (color[size_t(q)] == 0) self(self, q);
      }
      path.pop_back();
      color[size_t(r)] = 2;
    };
    for (size_t r = 0; r < n; ++r)
      if (color[r] == 0) dfs(dfs, RuleId(r));
  }

  // ---- Global numbering.
  GrammarAutomaton assemble() {
    GrammarAutomaton a;
    a.root_ = g_.root();
    a.num_classes_ = num_classes_;
    a.class_of_ = class_of_;
    std::vector<int32_t> base(rule_dfas_.size() + 1, 0);
    for (size_t r = 0; r < rule_dfas_.size(); ++r) base[r + 1] = base[r] + int32_t(rule_dfas_[r].states.size());
    const size_t total = size_t(base.back());
    a.next_.assign(total * size_t(num_classes_), GrammarAutomaton::kNoState);
    a.accepting_.assign(total, 0);
    a.has_bytes_.assign(total, 0);
    a.state_rule_.assign(total, 0);
    a.call_begin_.assign(total + 1, 0);
    for (size_t r = 0; r < rule_dfas_.size(); ++r) {
      a.rule_start_.push_back(base[r]);
      a.rule_names_.push_back(g_.rule_name(RuleId(r)));
      const RuleDfa& dfa = rule_dfas_[r];
      for (size_t s = 0; s < dfa.states.size(); ++s) {
        const size_t id = size_t(base[r]) + s;
        const DfaState& st = dfa.states[s];
        a.accepting_[id] = st.accepting;
        a.state_rule_[id] = RuleId(r);
        for (int c = 0; c < num_classes_; ++c)
          if (st.next[size_t(c)] >= 0) {
            a.next_[id * size_t(num_classes_) + size_t(c)] = base[r] + st.next[size_t(c)];
            a.has_bytes_[id] = 1;
          }
        a.call_begin_[id] = int32_t(a.calls_.size());
        for (const auto& [q, t] : st.calls) a.calls_.push_back({q, base[r] + t});
      }
    }
    a.call_begin_[total] = int32_t(a.calls_.size());
    // Fill call_begin_ for states in order (each state's begin was set as it was visited).
    return a;
  }

  const Grammar& g_;
  AutomatonLimits limits_;
  int num_classes_ = 1;
  std::array<uint8_t, 256> class_of_{};
  std::vector<uint8_t> representative_;
  std::vector<uint32_t> seen_;
  uint32_t stamp_ = 0;
  int total_states_ = 0;
  RuleId current_rule_ = 0;
};

GrammarAutomaton GrammarAutomaton::build(const Grammar& grammar, const AutomatonLimits& limits) {
  return AutomatonBuilder(grammar, limits).run();
}

}  // namespace turbine::structured
