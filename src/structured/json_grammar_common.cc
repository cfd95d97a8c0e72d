#include "structured/json_grammar_common.h"

#include <cmath>

#include "common/error.h"
#include "structured/json_number_ranges.h"
#include "structured/json_string_grammar.h"

namespace turbine::structured::json_grammar {

bool is_nothing(const Grammar& g, ExprId e) { return g.expr(e).kind == Expr::Kind::kNothing; }

ExprId seq(Grammar& g, std::vector<ExprId> parts) {
  for (ExprId p : parts)
    if (is_nothing(g, p)) return g.nothing();
  return g.sequence(std::move(parts));
}

ExprId alt(Grammar& g, std::vector<ExprId> options) {
  std::erase_if(options, [&](ExprId e) { return is_nothing(g, e); });
  return g.choice(std::move(options));
}

Tokens make_tokens(Grammar& g, bool any_whitespace, int max_whitespace) {
  Tokens t;
  if (any_whitespace && max_whitespace > 0) {
    // One space, or one newline and an indentation: compact and pretty-printed JSON both fit,
    // but a model cannot fill its output with blank lines (small models otherwise do).
    const ExprId indent = g.repeat(g.byte(' '), 0, max_whitespace);
    t.ws = g.optional(g.choice({g.byte(' '), g.sequence({g.byte('\n'), indent})}));
  } else {
    t.ws = g.empty();
  }
  // No whitespace before ',' or ':' and at most a space after ':' (as every JSON printer writes):
  // a model has no gap there to wander into.
  t.comma = g.sequence({g.byte(','), t.ws});
  t.colon = any_whitespace && max_whitespace > 0 ? g.sequence({g.byte(':'), g.optional(g.byte(' '))}) : g.byte(':');
  return t;
}

ExprId counted_repeat(Grammar& g, ExprId x, int min, std::optional<int> max, const std::string& name) {
  constexpr int kPlain = 64;
  TURBINE_CHECK(min >= 0 && min <= kMaxCount && (!max || (*max >= min && *max <= kMaxCount)), "counted_repeat {}..{}",
                min, max.value_or(-1));
  if (is_nothing(g, x)) return min == 0 ? g.empty() : g.nothing();
  if (!max) {
    if (min <= kPlain) return g.repeat(x, min, kUnbounded);
    return g.sequence({counted_repeat(g, x, min, min, name), g.star(x)});
  }
  if (*max <= kPlain) return g.repeat(x, min, *max);
  // Blocks of k copies in a rule: min = k*a0 + b0 mandatory, then 0..N more with N = k*q + r.
  const int k = int(std::ceil(std::sqrt(double(*max))));
  const RuleId block = g.add_rule(name + "_block", g.repeat(x, k, k));
  auto blocks = [&](int lo, int hi) { return g.repeat(g.ref(block), lo, hi); };
  std::vector<ExprId> parts;
  if (min / k > 0) parts.push_back(blocks(min / k, min / k));
  if (min % k > 0) parts.push_back(g.repeat(x, min % k, min % k));
  const int n = *max - min, q = n / k, r = n % k;
  if (q == 0) {
    parts.push_back(g.repeat(x, 0, r));
  } else {
    // Fewer than q blocks then up to k-1 singles (counts 0..kq-1), or q blocks then up to r.
    const ExprId fewer = g.sequence({blocks(0, q - 1), g.repeat(x, 0, k - 1)});
    const ExprId all = g.sequence({blocks(q, q), g.repeat(x, 0, r)});
    parts.push_back(g.choice({fewer, all}));
  }
  return g.sequence(std::move(parts));
}

void AnyValue::build() {
  Grammar& g = g_;
  value_ = g.declare_rule("json_value");
  object_ = g.declare_rule("json_object");
  const RuleId array = g.declare_rule("json_array");
  const RuleId string = g.add_rule("json_string", json_string(g, 0, std::nullopt));
  const ExprId member = g.sequence({g.ref(string), t_.colon, g.ref(value_)});
  g.define_rule(object_, g.sequence({g.byte('{'), t_.ws,
                                     g.optional(g.sequence({member, g.star(g.sequence({t_.comma, member})), t_.ws})),
                                     g.byte('}')}));
  const ExprId element = g.ref(value_);
  g.define_rule(array, g.sequence({g.byte('['), t_.ws,
                                   g.optional(g.sequence({element, g.star(g.sequence({t_.comma, element})), t_.ws})),
                                   g.byte(']')}));
  g.define_rule(value_, g.choice({g.ref(object_), g.ref(array), g.ref(string), any_number(g), g.literal("true"),
                                  g.literal("false"), g.literal("null")}));
}

RuleId AnyValue::value() {
  if (value_ < 0) build();
  return value_;
}

RuleId AnyValue::object() {
  if (object_ < 0) build();
  return object_;
}

ExprId literal_value(Grammar& g, const Tokens& t, const nlohmann::ordered_json& value) {
  if (value.is_object()) {
    if (value.empty()) return g.sequence({g.byte('{'), t.ws, g.byte('}')});
    std::vector<ExprId> parts = {g.byte('{'), t.ws};
    bool first = true;
    for (const auto& [k, v] : value.items()) {
      if (!first) parts.push_back(t.comma);
      first = false;
      parts.push_back(g.literal(nlohmann::ordered_json(k).dump()));
      parts.push_back(t.colon);
      parts.push_back(literal_value(g, t, v));
    }
    parts.push_back(t.ws);
    parts.push_back(g.byte('}'));
    return g.sequence(std::move(parts));
  }
  if (value.is_array()) {
    if (value.empty()) return g.sequence({g.byte('['), t.ws, g.byte(']')});
    std::vector<ExprId> parts = {g.byte('['), t.ws};
    for (size_t i = 0; i < value.size(); ++i) {
      if (i) parts.push_back(t.comma);
      parts.push_back(literal_value(g, t, value[i]));
    }
    parts.push_back(t.ws);
    parts.push_back(g.byte(']'));
    return g.sequence(std::move(parts));
  }
  return g.literal(value.dump());
}

}  // namespace turbine::structured::json_grammar
