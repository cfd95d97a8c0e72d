#include "structured/ebnf_to_grammar.h"

#include "structured/gbnf_parser.h"
#include "structured/lark_parser.h"

namespace turbine::structured {
namespace {

bool is_word_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_word(char c) { return is_word_start(c) || (c >= '0' && c <= '9') || c == '-'; }

// Looks at how each line starts: `name ::=` is GBNF; `name:`, `?name:`, `name.2:` or a
// %directive is Lark. Any GBNF definition makes it GBNF (Lark has no '::='); else any Lark
// definition makes it Lark; else GBNF (whose parser then says what is wrong).
EbnfDialect detect(std::string_view text) {
  bool lark = false;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    size_t i = line.find_first_not_of(" \t\r");
    if (i == std::string_view::npos) continue;
    if (line[i] == '%') {
      lark = true;
      continue;
    }
    if (line[i] == '?' || line[i] == '!') ++i;
    if (i >= line.size() || !is_word_start(line[i])) continue;
    while (i < line.size() && (is_word(line[i]) || line[i] == '.')) ++i;
    i = line.find_first_not_of(" \t", i);
    if (i == std::string_view::npos) continue;
    if (line.substr(i, 3) == "::=") return EbnfDialect::kGbnf;
    if (line[i] == ':') lark = true;
  }
  return lark ? EbnfDialect::kLark : EbnfDialect::kGbnf;
}

}  // namespace

Grammar ebnf_grammar(std::string_view text, const EbnfOptions& options) {
  EbnfDialect dialect = options.dialect;
  if (dialect == EbnfDialect::kAuto) dialect = detect(text);
  return dialect == EbnfDialect::kLark ? ebnf::parse_lark(text, options) : ebnf::parse_gbnf(text, options);
}

}  // namespace turbine::structured
