#include "grammar_oracle.h"

#include <map>
#include <set>
#include <vector>

namespace turbine::structured::testing {
namespace {

class Oracle {
 public:
  Oracle(const Grammar& g, std::string_view text) : g_(g), text_(text) {}

  // Every end position of a match of `id` starting at `start`.
  const std::set<size_t>& ends(ExprId id, size_t start) {
    const auto key = std::make_pair(id, start);
    if (auto it = memo_.find(key); it != memo_.end()) return it->second;
    memo_[key];  // in progress: empty (guards left recursion)
    std::set<size_t> out = compute(id, start);
    return memo_[key] = std::move(out);
  }

 private:
  std::set<size_t> compute(ExprId id, size_t start) {
    const Expr& e = g_.expr(id);
    std::set<size_t> out;
    switch (e.kind) {
      case Expr::Kind::kEmpty: out.insert(start); break;
      case Expr::Kind::kNothing: break;
      case Expr::Kind::kBytes:
        if (start < text_.size() && e.bytes.contains(uint8_t(text_[start]))) out.insert(start + 1);
        break;
      case Expr::Kind::kRule: out = ends(g_.rule_body(e.rule), start); break;
      case Expr::Kind::kChoice:
        for (ExprId c : e.children) {
          const std::set<size_t>& s = ends(c, start);
          out.insert(s.begin(), s.end());
        }
        break;
      case Expr::Kind::kSequence: {
        std::set<size_t> cur{start};
        for (ExprId c : e.children) {
          std::set<size_t> next;
          for (size_t p : cur) {
            const std::set<size_t>& s = ends(c, p);
            next.insert(s.begin(), s.end());
          }
          cur = std::move(next);
          if (cur.empty()) break;
        }
        out = std::move(cur);
        break;
      }
      case Expr::Kind::kRepeat: {
        // Breadth-first over repetition counts; positions only grow or repeat, so stop when a
        // round adds nothing new past min.
        std::set<size_t> cur{start};
        std::set<size_t> seen;
        for (int count = 0;; ++count) {
          if (count >= e.min) {
            for (size_t p : cur) out.insert(p);
          }
          if (e.max != kUnbounded && count == e.max) break;
          std::set<size_t> next;
          for (size_t p : cur) {
            const std::set<size_t>& s = ends(e.children[0], p);
            next.insert(s.begin(), s.end());
          }
          if (count >= e.min) {
            // Past min, a position already reached adds nothing new.
            std::set<size_t> fresh;
            for (size_t p : next)
              if (seen.insert(p).second) fresh.insert(p);
            next = std::move(fresh);
          }
          if (next.empty()) break;
          cur = std::move(next);
        }
        break;
      }
    }
    return out;
  }

  const Grammar& g_;
  std::string_view text_;
  std::map<std::pair<ExprId, size_t>, std::set<size_t>> memo_;
};

}  // namespace

bool grammar_accepts(const Grammar& grammar, std::string_view text) {
  grammar.validate();
  Oracle oracle(grammar, text);
  return oracle.ends(grammar.rule_body(grammar.root()), 0).count(text.size()) > 0;
}

}  // namespace turbine::structured::testing
