// GBNF as llama.cpp reads it (llama-grammar.cpp's parser is the reference):
//  - a rule is `name ::= alternatives`; names are letters, digits and '-' (and '_', which
//    XGrammar also takes); a rule ends at a newline unless the newline is inside ( ) or follows
//    `::=` or `|`; as an extension, a line that starts with `|` continues the rule above;
//  - whitespace is spaces and tabs, comments run from '#' to the end of the line;
//  - "literals" and [classes] take the escapes \x.. \u.... \U........ \t \n \r \\ \" \[ \] (and
//    \- ), anything else is UTF-8 text; classes and `.` are over code points, literals become
//    their UTF-8 bytes;
//  - quantifiers * + ? {m} {m,} {m,n} apply to the item before them and may follow each other
//    (x{2}? is (x{2})?).
#include "structured/gbnf_parser.h"

#include <fmt/format.h>

#include <vector>

#include "structured/ebnf_names.h"
#include "structured/ebnf_source.h"

namespace turbine::structured::ebnf {
namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string describe(std::string_view text, size_t pos) {
  if (pos >= text.size()) return "end of input";
  const char c = text[pos];
  if (c == '\n' || c == '\r') return "end of line";
  if (uint8_t(c) < 0x20 || uint8_t(c) >= 0x7F) return fmt::format("byte 0x{:02X}", uint8_t(c));
  return fmt::format("'{}'", c);
}

class GbnfParser {
 public:
  GbnfParser(std::string_view text, const EbnfOptions& options)
      : text_(text), src_(text), options_(options), names_(grammar_, src_, "rule") {}

  Grammar parse() {
    skip_space(true);
    while (pos_ < text_.size()) parse_rule();
    if (names_.definition_order().empty()) src_.fail_at(pos_, "empty grammar (no rules)");
    names_.check_all_defined();

    std::string root = options_.root_rule.empty() ? "root" : options_.root_rule;
    if (!names_.defined(root)) {
      if (!options_.root_rule.empty())
        src_.fail_at(text_.size(), fmt::format("no root rule: rule '{}' is not defined", root));
      root = names_.definition_order().front();
    }
    grammar_.set_root(names_.find(root));
    names_.check_no_left_recursion("x ::= x \"+\" y | y is x ::= y (\"+\" y)*");
    grammar_.validate();
    return std::move(grammar_);
  }

 private:
  bool at(char c) const { return pos_ < text_.size() && text_[pos_] == c; }
  bool at_newline() const { return at('\n') || at('\r'); }

  [[noreturn]] void unexpected(const std::string& expected) const {
    src_.fail_at(pos_, fmt::format("expected {}, found {}", expected, describe(text_, pos_)));
  }

  // Spaces, tabs and comments; newlines too when `newline_ok`.
  void skip_space(bool newline_ok) {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == ' ' || c == '\t' || (newline_ok && (c == '\n' || c == '\r'))) {
        ++pos_;
      } else if (c == '#') {
        while (pos_ < text_.size() && text_[pos_] != '\n' && text_[pos_] != '\r') ++pos_;
      } else {
        break;
      }
    }
  }

  std::string parse_name() {
    const size_t start = pos_;
    while (pos_ < text_.size() && is_name_char(text_[pos_])) ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }

  void parse_rule() {
    const size_t start = pos_;
    if (!is_name_char(text_[pos_])) unexpected("a rule name");
    const std::string name = parse_name();
    skip_space(false);
    if (text_.substr(pos_, 3) != "::=") unexpected(fmt::format("'::=' after rule name '{}'", name));
    pos_ += 3;
    const RuleId rule = names_.define(name, start);
    skip_space(true);
    grammar_.define_rule(rule, parse_alternates(false));
    if (pos_ < text_.size() && !at_newline()) unexpected("the end of the rule (a newline)");
    skip_space(true);
  }

  ExprId parse_alternates(bool nested) {
    std::vector<ExprId> options{parse_sequence(nested)};
    for (;;) {
      if (!nested && at_newline()) {
        // Extension: a following line that starts with '|' continues this rule.
        const size_t save = pos_;
        skip_space(true);
        if (!at('|')) {
          pos_ = save;
          break;
        }
      }
      if (!at('|')) break;
      ++pos_;
      skip_space(true);
      options.push_back(parse_sequence(nested));
    }
    return grammar_.choice(std::move(options));
  }

  ExprId parse_sequence(bool nested) {
    std::vector<ExprId> items;
    for (;;) {
      if (pos_ >= text_.size()) break;
      const char c = text_[pos_];
      const size_t start = pos_;
      if (c == '"') {
        items.push_back(parse_literal());
      } else if (c == '[') {
        items.push_back(parse_class());
      } else if (is_name_char(c)) {
        const std::string name = parse_name();
        items.push_back(grammar_.ref(names_.use(name, start)));
      } else if (c == '(') {
        ++pos_;
        skip_space(true);
        const ExprId inner = parse_alternates(true);
        if (!at(')')) unexpected(fmt::format("')' to close the '(' at {}", src_.where(start)));
        ++pos_;
        items.push_back(inner);
      } else if (c == '.') {
        ++pos_;
        items.push_back(grammar_.any_codepoint());
      } else if (c == '*' || c == '+' || c == '?' || c == '{') {
        if (items.empty()) src_.fail_at(pos_, fmt::format("'{}' has no item before it to repeat", c));
        items.back() = parse_quantifier(items.back(), nested);
      } else if (c == '<') {
        src_.fail_at(pos_, "token references (<...>) are not supported");
      } else {
        break;
      }
      skip_space(nested);
    }
    return grammar_.sequence(std::move(items));
  }

  ExprId parse_quantifier(ExprId item, bool nested) {
    const char c = text_[pos_];
    const size_t start = pos_++;
    if (c == '*') return grammar_.star(item);
    if (c == '+') return grammar_.plus(item);
    if (c == '?') return grammar_.optional(item);
    skip_space(nested);
    const int min = parse_count();
    int max = min;
    skip_space(nested);
    if (at(',')) {
      ++pos_;
      skip_space(nested);
      max = is_digit(at_char()) ? parse_count() : kUnbounded;
      skip_space(nested);
    }
    if (!at('}')) unexpected(max == min ? "',' or '}' in a repetition" : "'}' to close the repetition");
    ++pos_;
    if (max != kUnbounded && max < min)
      src_.fail_at(start, fmt::format("repetition {{{},{}}} has its maximum below its minimum", min, max));
    return grammar_.repeat(item, min, max);
  }

  char at_char() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  int parse_count() {
    if (!is_digit(at_char())) unexpected("a number in the repetition");
    const size_t start = pos_;
    long long n = 0;
    while (is_digit(at_char())) {
      n = std::min<long long>(n * 10 + (text_[pos_] - '0'), 1LL << 40);
      ++pos_;
    }
    if (n > kMaxRepeat)
      src_.fail_at(start, fmt::format("repetition count {} is above the limit of {}", n, kMaxRepeat));
    return int(n);
  }

  // One character of a literal or class: an escape or a UTF-8 code point.
  uint32_t parse_char() {
    const size_t start = pos_;
    if (text_[pos_] == '\\') {
      if (pos_ + 1 >= text_.size()) src_.fail_at(start, "unfinished escape");
      const char e = text_[pos_ + 1];
      pos_ += 2;
      switch (e) {
        case 'x': return parse_hex(2, start);
        case 'u': return parse_hex(4, start);
        case 'U': return parse_hex(8, start);
        case 't': return '\t';
        case 'n': return '\n';
        case 'r': return '\r';
        case '\\': case '"': case '[': case ']': case '-': return uint32_t(e);
        default:
          src_.fail_at(start, fmt::format("unknown escape '\\{}' (known: \\x \\u \\U \\t \\n \\r \\\\ \\\" \\[ \\] \\-)",
                                          std::string(1, e)));
      }
    }
    uint32_t cp = 0;
    if (!decode_utf8(text_, pos_, cp)) src_.fail_at(start, "invalid UTF-8");
    return cp;
  }

  uint32_t parse_hex(int digits, size_t start) { return src_.hex_escape(pos_, digits, start); }

  ExprId parse_literal() {
    const size_t start = pos_++;
    std::string bytes;
    while (!at('"')) {
      if (pos_ >= text_.size()) src_.fail_at(start, "unterminated string literal");
      append_utf8(bytes, parse_char());
    }
    ++pos_;
    return grammar_.literal(bytes);
  }

  ExprId parse_class() {
    const size_t start = pos_++;
    const bool negated = at('^');
    if (negated) ++pos_;
    std::vector<CodepointRange> ranges;
    while (!at(']')) {
      if (pos_ >= text_.size()) src_.fail_at(start, "unterminated character class");
      const size_t char_at = pos_;
      const uint32_t lo = parse_char();
      uint32_t hi = lo;
      if (at('-') && pos_ + 1 < text_.size() && text_[pos_ + 1] != ']') {
        ++pos_;
        hi = parse_char();
        if (hi < lo)
          src_.fail_at(char_at, fmt::format("character range U+{:04X}-U+{:04X} is reversed", lo, hi));
      }
      ranges.emplace_back(lo, hi);
    }
    ++pos_;
    return negated ? grammar_.codepoints_except(ranges) : grammar_.codepoints(ranges);
  }

  std::string_view text_;
  SourceText src_;
  EbnfOptions options_;
  Grammar grammar_;
  RuleNames names_;
  size_t pos_ = 0;
};

}  // namespace

Grammar parse_gbnf(std::string_view text, const EbnfOptions& options) { return GbnfParser(text, options).parse(); }

}  // namespace turbine::structured::ebnf
