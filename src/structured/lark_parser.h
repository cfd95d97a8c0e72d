// Lark grammars (the subset in ebnf_to_grammar.h) to a Grammar; ebnf_grammar() picks this parser.
#pragma once

#include <string_view>

#include "structured/ebnf_to_grammar.h"
#include "structured/grammar.h"

namespace turbine::structured::ebnf {

Grammar parse_lark(std::string_view text, const EbnfOptions& options);

}  // namespace turbine::structured::ebnf
