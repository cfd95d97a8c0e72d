// Jinja lexer: template source -> tokens, with whitespace control already applied.
//
// Configured as transformers configures Jinja2 for chat templates: trim_blocks and lstrip_blocks
// on, keep_trailing_newline off, newlines normalised to "\n". Whitespace control ({%- -%},
// {{- -}}, {#- -#}, {%+ +%}) and comments are resolved here, so the parser only sees text,
// tags and expression tokens. Raw blocks come out as one text token. Errors throw
// turbine::Error naming the line and column.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace turbine::chat_template {

struct Location {
  int line = 0;
  int column = 0;
};

enum class TokenType {
  kText,           // literal template text
  kBlockBegin,     // {%
  kBlockEnd,       // %}
  kVariableBegin,  // {{
  kVariableEnd,    // }}
  kName,
  kString,         // value holds the unescaped string
  kInteger,        // int_value
  kFloat,          // float_value
  kOperator,       // value holds the operator text: "+", "//", "(", ...
  kEnd,
};

struct Token {
  TokenType type = TokenType::kEnd;
  std::string value;
  std::int64_t int_value = 0;
  double float_value = 0.0;
  Location location;
};

std::vector<Token> tokenize(std::string_view source);

}  // namespace turbine::chat_template
