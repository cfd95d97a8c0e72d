// EBNF grammars to grammar: vLLM's `grammar` (structured_outputs.grammar / guided_grammar) in the
// GBNF dialect llama.cpp and XGrammar read, and Lark grammars as vLLM's other backends accept.
//
// GBNF: rules `name ::= expr`, the root rule named "root" (or the first rule when
// options.root_rule is empty and no rule is called root), "literals" with escapes (\n \t \r \\ \"
// \xHH \uHHHH \UHHHHHHHH), character classes [a-z] / [^...] over code points, `.` (any code
// point), grouping ( ), alternation |, the quantifiers * + ? {n} {n,} {n,m}, comments (#), and
// rule references (forward references and recursion allowed; left recursion is refused by the
// compiler with an Error naming the rule).
// Lark: rules `name: expr` / terminals `NAME: expr`, the root rule "start", "strings",
// /regex/flags (no flags supported besides none), alternatives with |, [optional], ?, *, +,
// ~ n / ~ n..m repetition, %import common.X for the common terminals (WS, NUMBER, INT,
// ESCAPED_STRING, ...), %ignore (whitespace between symbols of the rules that follow it).
// Anything unsupported is a turbine::Error naming the construct with its line and column.
#pragma once

#include <string>
#include <string_view>

#include "structured/grammar.h"

namespace turbine::structured {

enum class EbnfDialect {
  kAuto,  // Lark when the text defines rules with ':' (and none with '::='), else GBNF
  kGbnf,
  kLark,
};

struct EbnfOptions {
  EbnfDialect dialect = EbnfDialect::kAuto;
  std::string root_rule;  // empty: "root" (GBNF) / "start" (Lark)
};

Grammar ebnf_grammar(std::string_view text, const EbnfOptions& options = {});

}  // namespace turbine::structured
