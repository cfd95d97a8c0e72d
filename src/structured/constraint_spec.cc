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

Grammar grammar_of(const ConstraintSpec& spec) {
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

}  // namespace turbine::structured
