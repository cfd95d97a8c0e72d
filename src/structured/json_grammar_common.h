// Building blocks the JSON front ends share (json_schema_to_grammar, json_object mode): the
// whitespace / punctuation tokens, counted repetition that stays small for large counts, the
// any-JSON-value rules, and a JSON value spelled as a literal (enum / const).
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "structured/grammar.h"

namespace turbine::structured::json_grammar {

// Largest count a counted repetition (maxLength, maxItems, minLength, ...) may have: past this it
// is refused (the square-root decomposition below would still be thousands of states).
inline constexpr int kMaxCount = 1 << 20;

// Whitespace and punctuation of one grammar (shared expressions, created once).
struct Tokens {
  ExprId ws = -1;     // " " or "\n" + up to max_whitespace spaces, optional (empty when compact)
  ExprId comma = -1;  // "," ws
  ExprId colon = -1;  // ":" and an optional space (none when compact)
};
Tokens make_tokens(Grammar& g, bool any_whitespace, int max_whitespace);

// x repeated min..max times (max nullopt: unbounded). Counts up to 64 are the plain Repeat
// (expanded by the compiler); larger ones are split as blocks of k = ceil(sqrt(max)) copies in a
// rule of their own (named `name`), so the expansion is about 3 * sqrt(max) copies, not max.
// Both counts must be <= kMaxCount (TURBINE_CHECK: callers refuse larger ones with an Error).
ExprId counted_repeat(Grammar& g, ExprId x, int min, std::optional<int> max, const std::string& name);

// Rules for any JSON value (objects, arrays, strings with every escape, numbers, literals),
// created on first use and shared after that.
class AnyValue {
 public:
  AnyValue(Grammar& g, const Tokens& t) : g_(g), t_(t) {}
  RuleId value();
  RuleId object();

 private:
  void build();
  Grammar& g_;
  Tokens t_;
  RuleId value_ = -1, object_ = -1;
};

// Exactly `value` (its compact serialization, with `t.ws` allowed between tokens); object members
// in the value's order.
ExprId literal_value(Grammar& g, const Tokens& t, const nlohmann::ordered_json& value);

// Whether an expression matches nothing (kNothing); the seq / alt helpers keep "nothing" visible
// at the top (a sequence with a nothing part is nothing; nothing options are dropped).
bool is_nothing(const Grammar& g, ExprId e);
ExprId seq(Grammar& g, std::vector<ExprId> parts);
ExprId alt(Grammar& g, std::vector<ExprId> options);

}  // namespace turbine::structured::json_grammar
