// Lark's common.lark terminals (%import common.NAME), written out as grammar expressions from
// their definitions in Lark's common.lark. A lexer-matched terminal whose definition relies on a
// lazy regex (ESCAPED_STRING, C_COMMENT) gets the language the lexer actually produces: the token
// ends at the first unescaped closing quote / the first "*/".
#pragma once

#include <string>
#include <string_view>

#include "structured/grammar.h"

namespace turbine::structured::ebnf {

// The expression for common.`name`, or -1 when it is not one this supports.
ExprId common_terminal(Grammar& grammar, std::string_view name);

// The supported names, comma-separated (for error messages).
std::string common_terminal_names();

}  // namespace turbine::structured::ebnf
