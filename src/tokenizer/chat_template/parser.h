// Jinja parser: tokens -> Program (ast.h), following Jinja2's grammar and operator precedence.
//
// Supported statements: if/elif/else, for (with `if` filter, tuple unpacking, else), set (plain,
// tuple, namespace attribute, block form with filters), macro, call blocks, filter blocks, with,
// break/continue, transformers' {% generation %} (rendered as its body), raw (lexer). Unknown
// filters and tests are rejected here, at compile time, as Jinja2 does. Anything unsupported
// (extends, include, import, recursive loops...) throws turbine::Error naming the construct,
// line and column.
#pragma once

#include <string_view>

#include "tokenizer/chat_template/ast.h"

namespace turbine::chat_template {

Program parse_template(std::string_view source);

}  // namespace turbine::chat_template
