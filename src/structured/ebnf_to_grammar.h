// EBNF grammars to grammar: vLLM's `grammar` (structured_outputs.grammar / guided_grammar) in the
// GBNF dialect llama.cpp and XGrammar read, and Lark grammars as vLLM's other backends accept.
//
// GBNF: rules `name ::= expr`, the root rule named "root" (or the first rule when
// options.root_rule is empty and no rule is called root), "literals" with escapes (\n \t \r \\ \"
// \[ \] \xHH \uHHHH \UHHHHHHHH), character classes [a-z] / [^...] over code points, `.` (any code
// point), grouping ( ), alternation |, the quantifiers * + ? {n} {n,} {n,m}, comments (#), and
// rule references (forward references and recursion allowed). Names are letters, digits and '-';
// as extensions, '_' in names (as XGrammar), the escape \- and a line starting with '|' that
// continues the rule above. A rule ends at a newline outside ( ) unless after ::= or |.
// Lark: rules `name: expr` / terminals `NAME: expr` (?rule, !rule, _rule and name.priority
// accepted; they do not change the language), the root rule "start", "strings" and "strings"i
// (ASCII case folding), ranges "a".."z", /regex/ (no flags; add_regex's dialect), alternatives
// with | (also on the next line), aliases -> name (ignored), ( ), [optional], ?, *, +,
// ~ n / ~ n..m repetition, comments (//), %import common.X [-> Y] and %import common (X, Y)
// for DIGIT HEXDIGIT INT SIGNED_INT DECIMAL FLOAT SIGNED_FLOAT NUMBER SIGNED_NUMBER
// ESCAPED_STRING LCASE_LETTER UCASE_LETTER LETTER WORD CNAME WS_INLINE WS CR LF NEWLINE
// SH_COMMENT CPP_COMMENT SQL_COMMENT C_COMMENT, and %ignore: as in Lark, wherever it appears,
// any run of the ignored terminals may come before each terminal a rule uses and at the end of
// the input (never inside a terminal). Refused: templates, %declare/%override/%extend, other
// imports, terminals that use rules or recurse.
// Both: left recursion (a rule reaching itself before any byte, also through nullable prefixes)
// is an Error naming the rule and the cycle; a repetition count above 10000 is an Error.
// Every error is a turbine::Error "grammar: <what> at line L column C" (columns in code points):
// syntax errors, undefined rules (named, at their first use), duplicate definitions, a missing
// root, an empty grammar, anything unsupported (named).
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
