// GBNF (llama.cpp's grammar format, also what XGrammar reads) to a Grammar. See
// ebnf_to_grammar.h for the dialect; ebnf_grammar() picks this parser.
#pragma once

#include <string_view>

#include "structured/ebnf_to_grammar.h"
#include "structured/grammar.h"

namespace turbine::structured::ebnf {

Grammar parse_gbnf(std::string_view text, const EbnfOptions& options);

}  // namespace turbine::structured::ebnf
