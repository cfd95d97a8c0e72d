#include "structured/ebnf_left_recursion.h"

#include <algorithm>

namespace turbine::structured::ebnf {
namespace {

// Expression nullability given the rules' nullability so far. Children always have smaller ids
// than their parents (an id exists before anything can refer to it), so one pass in id order
// sees every child before its parent.
std::vector<bool> nullable_exprs(const Grammar& g, const std::vector<bool>& rule_nullable) {
  std::vector<bool> n(g.num_exprs(), false);
  for (size_t i = 0; i < g.num_exprs(); ++i) {
    const Expr& e = g.expr(ExprId(i));
    switch (e.kind) {
      case Expr::Kind::kEmpty: n[i] = true; break;
      case Expr::Kind::kNothing:
      case Expr::Kind::kBytes: n[i] = false; break;
      case Expr::Kind::kRule: n[i] = rule_nullable[size_t(e.rule)]; break;
      case Expr::Kind::kSequence:
        n[i] = std::all_of(e.children.begin(), e.children.end(), [&](ExprId c) { return n[size_t(c)]; });
        break;
      case Expr::Kind::kChoice:
        n[i] = std::any_of(e.children.begin(), e.children.end(), [&](ExprId c) { return n[size_t(c)]; });
        break;
      case Expr::Kind::kRepeat: n[i] = e.min == 0 || n[size_t(e.children[0])]; break;
    }
  }
  return n;
}

}  // namespace

std::vector<bool> nullable_rules(const Grammar& g) {
  std::vector<bool> rules(g.num_rules(), false);
  for (bool changed = true; changed;) {
    changed = false;
    const std::vector<bool> exprs = nullable_exprs(g, rules);
    for (size_t r = 0; r < g.num_rules(); ++r) {
      const ExprId body = g.rule_body(RuleId(r));
      if (!rules[r] && body >= 0 && exprs[size_t(body)]) rules[r] = changed = true;
    }
  }
  return rules;
}

std::vector<RuleId> find_left_recursion(const Grammar& g, const std::vector<RuleId>& order) {
  const std::vector<bool> exprs_nullable = nullable_exprs(g, nullable_rules(g));
  // The rules each expression can start with (before any byte), in id order as above.
  std::vector<std::vector<RuleId>> left(g.num_exprs());
  auto merge = [&](std::vector<RuleId>& into, const std::vector<RuleId>& from) {
    for (RuleId r : from)
      if (std::find(into.begin(), into.end(), r) == into.end()) into.push_back(r);
  };
  for (size_t i = 0; i < g.num_exprs(); ++i) {
    const Expr& e = g.expr(ExprId(i));
    switch (e.kind) {
      case Expr::Kind::kRule: left[i] = {e.rule}; break;
      case Expr::Kind::kSequence:
        for (ExprId c : e.children) {
          merge(left[i], left[size_t(c)]);
          if (!exprs_nullable[size_t(c)]) break;
        }
        break;
      case Expr::Kind::kChoice:
        for (ExprId c : e.children) merge(left[i], left[size_t(c)]);
        break;
      case Expr::Kind::kRepeat:
        if (e.max != 0) left[i] = left[size_t(e.children[0])];
        break;
      default: break;
    }
  }
  // Depth-first search for a cycle in the rule -> leftmost-rule graph.
  enum Color : uint8_t { kWhite, kGrey, kBlack };
  std::vector<Color> color(g.num_rules(), kWhite);
  std::vector<RuleId> path;
  std::vector<RuleId> cycle;
  auto visit = [&](auto&& self, RuleId r) -> bool {
    color[size_t(r)] = kGrey;
    path.push_back(r);
    const ExprId body = g.rule_body(r);
    if (body >= 0)
      for (RuleId next : left[size_t(body)]) {
        if (color[size_t(next)] == kGrey) {
          auto from = std::find(path.begin(), path.end(), next);
          cycle.assign(from, path.end());
          cycle.push_back(next);
          return true;
        }
        if (color[size_t(next)] == kWhite && self(self, next)) return true;
      }
    path.pop_back();
    color[size_t(r)] = kBlack;
    return false;
  };
  for (RuleId r : order)
    if (color[size_t(r)] == kWhite && visit(visit, r)) break;
  if (cycle.empty()) return cycle;
  // Start the cycle at the rule that comes first in `order`.
  cycle.pop_back();
  size_t best = 0, best_rank = order.size();
  for (size_t i = 0; i < cycle.size(); ++i) {
    const size_t rank = size_t(std::find(order.begin(), order.end(), cycle[i]) - order.begin());
    if (rank < best_rank) { best_rank = rank; best = i; }
  }
  std::rotate(cycle.begin(), cycle.begin() + std::ptrdiff_t(best), cycle.end());
  cycle.push_back(cycle.front());
  return cycle;
}

}  // namespace turbine::structured::ebnf
