#include "structured/constraint_spec.h"

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "structured/ebnf_to_grammar.h"
#include "structured/json_schema_to_grammar.h"
#include "structured/regex_to_grammar.h"

namespace turbine::structured {

std::string_view constraint_kind_name(ConstraintKind kind) {
  switch (kind) {
    case ConstraintKind::kJsonSchema: return "json_schema";
    case ConstraintKind::kJsonObject: return "json_object";
    case ConstraintKind::kRegex: return "regex";
    case ConstraintKind::kChoice: return "choice";
    case ConstraintKind::kGrammar: return "grammar";
  }
  return "?";
}

std::string ConstraintSpec::key() const {
  std::string k(constraint_kind_name(kind));
  k += any_whitespace ? ":ws:" : ":compact:";
  k += std::to_string(reasoning_end.size()) + ":" + reasoning_end + ":";
  k += source;
  return k;
}

namespace {

// Ordered: a schema's property order is the order the output writes them in.
nlohmann::ordered_json parse_json(const std::string& text, std::string_view what) {
  try {
    return nlohmann::ordered_json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    fail("{} is not valid JSON: {}", what, e.what());
  }
}

}  // namespace

namespace {

// Rules for "the shortest text that ends with `end`" (free reasoning up to its closing tag),
// as the KMP automaton of `end`: rule i = i bytes of `end` matched; every byte continues in the
// rule of the state it leads to (tail calls, so the parser's stack stays flat however long the
// reasoning runs). Returns the rule of state 0.
RuleId text_through(Grammar& g, const std::string& end) {
  const size_t k = end.size();
  std::vector<size_t> fail(k + 1, 0);  // KMP failure function
  for (size_t i = 1, j = 0; i < k; ++i) {
    while (j > 0 && end[i] != end[j]) j = fail[j];
    if (end[i] == end[j]) ++j;
    fail[i + 1] = j;
  }
  std::vector<RuleId> rules;
  for (size_t i = 0; i < k; ++i) rules.push_back(g.declare_rule("reasoning_" + std::to_string(i)));
  for (size_t i = 0; i < k; ++i) {
    std::vector<ByteSet> to(k + 1);  // bytes leading from state i to each state
    for (int b = 0; b < 256; ++b) {
      size_t j = i;
      while (j > 0 && uint8_t(end[j]) != b) j = fail[j];
      if (uint8_t(end[j]) == b) ++j;
      to[j].add(uint8_t(b));
    }
    std::vector<ExprId> options;
    for (size_t j = 0; j < k; ++j)
      if (!to[j].empty()) options.push_back(g.sequence({g.bytes(to[j]), g.ref(rules[j])}));
    if (!to[k].empty()) options.push_back(g.bytes(to[k]));  // the last byte of `end`: done
    g.define_rule(rules[i], g.choice(std::move(options)));
  }
  return rules[0];
}

Grammar answer_grammar(const ConstraintSpec& spec);

}  // namespace

Grammar grammar_of(const ConstraintSpec& spec) {
  Grammar g = answer_grammar(spec);
  if (spec.reasoning_end.empty()) return g;
  const RuleId answer = g.root();
  const RuleId reasoning = text_through(g, spec.reasoning_end);
  const ExprId ws = g.repeat(g.bytes([] {
                               ByteSet s = ByteSet::of(' ');
                               s.add('\n');
                               return s;
                             }()),
                             0, 4);
  g.set_root(g.add_rule("reasoning_then_answer", g.sequence({g.ref(reasoning), ws, g.ref(answer)})));
  return g;
}

namespace {

Grammar answer_grammar(const ConstraintSpec& spec) {
  JsonSchemaOptions json_options;
  json_options.any_whitespace = spec.any_whitespace;
  switch (spec.kind) {
    case ConstraintKind::kJsonSchema: {
      const nlohmann::ordered_json schema = parse_json(spec.source, "the JSON schema");
      if (!schema.is_object() && !schema.is_boolean()) fail("the JSON schema must be an object");
      return json_schema_grammar(schema, json_options);
    }
    case ConstraintKind::kJsonObject: return json_object_grammar(json_options);
    case ConstraintKind::kRegex: return regex_grammar(spec.source);
    case ConstraintKind::kGrammar: return ebnf_grammar(spec.source);
    case ConstraintKind::kChoice: {
      const nlohmann::ordered_json choices = parse_json(spec.source, "the choice list");
      if (!choices.is_array() || choices.empty()) fail("choice must be a non-empty list of strings");
      Grammar g;
      std::vector<ExprId> options;
      for (const nlohmann::ordered_json& c : choices) {
        if (!c.is_string()) fail("choice must be a non-empty list of strings, got {}", c.dump());
        options.push_back(g.literal(c.get<std::string>()));
      }
      g.set_root(g.add_rule("choice", g.choice(std::move(options))));
      return g;
    }
  }
  fail("unknown constraint kind");
}

}  // namespace

}  // namespace turbine::structured
