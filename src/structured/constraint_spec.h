// ConstraintSpec: what a request asks its output to match, as plain data (it travels in the
// request's parameters and in the step plan), and the grammar it stands for.
//
// The API layer turns response_format, structured_outputs, the guided_* fields and tool choices
// into one of these; GrammarCompiler (grammar_compiler.h) compiles it once per distinct spec.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "structured/grammar.h"

namespace turbine::structured {

enum class ConstraintKind : uint8_t {
  kJsonSchema,  // source: a JSON Schema document (JSON text)
  kJsonObject,  // any JSON object; source unused
  kRegex,       // source: a regular expression (regex_to_grammar.h)
  kChoice,      // source: a JSON array of strings; the output is exactly one of them
  kGrammar,     // source: an EBNF grammar, GBNF or Lark (ebnf_to_grammar.h)
};

std::string_view constraint_kind_name(ConstraintKind kind);

struct ConstraintSpec {
  ConstraintKind kind = ConstraintKind::kJsonObject;
  std::string source;
  // JSON kinds: whitespace between tokens allowed (bounded), else compact JSON only.
  bool any_whitespace = true;
  // Non-empty: the model reasons first (a reasoning parser is on and thinking is enabled); the
  // output is any text up to and including the first `reasoning_end` ("</think>"), optional
  // whitespace, then the constrained answer.
  std::string reasoning_end;

  bool operator==(const ConstraintSpec&) const = default;
  // A string that identifies the spec (the compiler's cache key).
  std::string key() const;
};

// The spec's grammar, from the front end of its kind. Throws turbine::Error naming what is wrong
// (a malformed schema, an unsupported keyword, a bad regex or grammar) for the API to answer 400.
Grammar grammar_of(const ConstraintSpec& spec);

}  // namespace turbine::structured
