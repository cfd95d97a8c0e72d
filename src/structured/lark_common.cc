#include "structured/lark_common.h"

#include <functional>
#include <map>
#include <vector>

namespace turbine::structured::ebnf {
namespace {

using Builder = std::function<ExprId(Grammar&)>;

ExprId chars(Grammar& g, std::string_view set) {
  ByteSet s;
  for (char c : set) s.add(uint8_t(c));
  return g.bytes(s);
}
ExprId digit(Grammar& g) { return g.bytes(ByteSet::range('0', '9')); }
ExprId sign(Grammar& g) { return g.optional(chars(g, "+-")); }
ExprId integer(Grammar& g) { return g.plus(digit(g)); }  // INT: DIGIT+
ExprId letter(Grammar& g) {                              // LETTER: UCASE_LETTER | LCASE_LETTER
  ByteSet s = ByteSet::range('a', 'z');
  s |= ByteSet::range('A', 'Z');
  return g.bytes(s);
}
// DECIMAL: INT "." INT? | "." INT
ExprId decimal(Grammar& g) {
  return g.choice({g.sequence({integer(g), g.byte('.'), g.optional(integer(g))}),
                   g.sequence({g.byte('.'), integer(g)})});
}
// _EXP: ("e"|"E") SIGNED_INT
ExprId exponent(Grammar& g) { return g.sequence({chars(g, "eE"), sign(g), integer(g)}); }
// FLOAT: INT _EXP | DECIMAL _EXP?
ExprId floating(Grammar& g) {
  return g.choice({g.sequence({integer(g), exponent(g)}), g.sequence({decimal(g), g.optional(exponent(g))})});
}
// NUMBER: FLOAT | INT
ExprId number(Grammar& g) { return g.choice({floating(g), integer(g)}); }
// A code point other than the listed ASCII ones.
ExprId codepoint_except(Grammar& g, std::string_view ascii) {
  std::vector<CodepointRange> ranges;
  for (char c : ascii) ranges.emplace_back(uint8_t(c), uint8_t(c));
  return g.codepoints_except(ranges);
}
// PREFIX /[^\n]*/
ExprId line_comment(Grammar& g, std::string_view prefix) {
  return g.sequence({g.literal(prefix), g.star(codepoint_except(g, "\n"))});
}

const std::map<std::string, Builder, std::less<>>& builders() {
  static const std::map<std::string, Builder, std::less<>> table = {
      {"DIGIT", digit},
      {"HEXDIGIT", [](Grammar& g) { return chars(g, "0123456789abcdefABCDEF"); }},
      {"INT", integer},
      {"SIGNED_INT", [](Grammar& g) { return g.sequence({sign(g), integer(g)}); }},
      {"DECIMAL", decimal},
      {"FLOAT", floating},
      {"SIGNED_FLOAT", [](Grammar& g) { return g.sequence({sign(g), floating(g)}); }},
      {"NUMBER", number},
      {"SIGNED_NUMBER", [](Grammar& g) { return g.sequence({sign(g), number(g)}); }},
      // ESCAPED_STRING: "\"" _STRING_ESC_INNER "\"" with _STRING_ESC_INNER the lazy
      // /.*?(?<!\\)(\\\\)*?/: no newline, and the first quote not escaped by an odd run of
      // backslashes ends it; i.e. "\"" ( [^"\\\n] | "\\" [^\n] )* "\"".
      {"ESCAPED_STRING",
       [](Grammar& g) {
         const ExprId inner = g.choice({codepoint_except(g, "\"\\\n"), g.sequence({g.byte('\\'), codepoint_except(g, "\n")})});
         return g.sequence({g.byte('"'), g.star(inner), g.byte('"')});
       }},
      {"LCASE_LETTER", [](Grammar& g) { return g.bytes(ByteSet::range('a', 'z')); }},
      {"UCASE_LETTER", [](Grammar& g) { return g.bytes(ByteSet::range('A', 'Z')); }},
      {"LETTER", letter},
      {"WORD", [](Grammar& g) { return g.plus(letter(g)); }},
      // CNAME: ("_"|LETTER) ("_"|LETTER|DIGIT)*
      {"CNAME",
       [](Grammar& g) {
         ByteSet first = ByteSet::range('a', 'z');
         first |= ByteSet::range('A', 'Z');
         first.add('_');
         ByteSet rest = first;
         rest |= ByteSet::range('0', '9');
         return g.sequence({g.bytes(first), g.star(g.bytes(rest))});
       }},
      {"WS_INLINE", [](Grammar& g) { return g.plus(chars(g, " \t")); }},       // (" "|/\t/)+
      {"WS", [](Grammar& g) { return g.plus(chars(g, " \t\f\r\n")); }},        // /[ \t\f\r\n]/+
      {"CR", [](Grammar& g) { return g.byte('\r'); }},
      {"LF", [](Grammar& g) { return g.byte('\n'); }},
      {"NEWLINE", [](Grammar& g) { return g.plus(g.sequence({g.optional(g.byte('\r')), g.byte('\n')})); }},  // (CR? LF)+
      {"SH_COMMENT", [](Grammar& g) { return line_comment(g, "#"); }},
      {"CPP_COMMENT", [](Grammar& g) { return line_comment(g, "//"); }},
      {"SQL_COMMENT", [](Grammar& g) { return line_comment(g, "--"); }},
      // C_COMMENT: "/*" /(.|\n)*?/ "*/": the first "*/" ends it, i.e.
      // "/*" [^*]* "*"+ ( [^/*] [^*]* "*"+ )* "/".
      {"C_COMMENT",
       [](Grammar& g) {
         auto not_star = [&] { return g.star(codepoint_except(g, "*")); };
         return g.sequence({g.literal("/*"), not_star(), g.plus(g.byte('*')),
                            g.star(g.sequence({codepoint_except(g, "/*"), not_star(), g.plus(g.byte('*'))})),
                            g.byte('/')});
       }},
  };
  return table;
}

}  // namespace

ExprId common_terminal(Grammar& grammar, std::string_view name) {
  const auto& table = builders();
  auto it = table.find(name);
  return it == table.end() ? ExprId(-1) : it->second(grammar);
}

std::string common_terminal_names() {
  std::string out;
  for (const auto& [name, build] : builders()) out += (out.empty() ? "" : ", ") + name;
  return out;
}

}  // namespace turbine::structured::ebnf
