#include "tokenizer/chat_template/lexer.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "common/error.h"
#include "tokenizer/chat_template/python_text.h"

namespace turbine::chat_template {
namespace {

// Jinja2 converts \r\n and \r to \n and drops one trailing newline (keep_trailing_newline=False).
std::string normalize_source(std::string_view source) {
  std::string out;
  out.reserve(source.size());
  for (std::size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out.push_back(source[i]);
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

bool is_tag_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || is_digit(c); }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Lexer {
 public:
  explicit Lexer(std::string_view source) : src_(normalize_source(source)) {
    line_starts_.push_back(0);
    for (std::size_t i = 0; i < src_.size(); ++i) {
      if (src_[i] == '\n') line_starts_.push_back(i + 1);
    }
  }

  std::vector<Token> run() {
    std::size_t pos = 0;
    bool line_starting = true;  // Jinja2's lstrip_blocks also applies at the very start
    while (pos < src_.size()) {
      const std::size_t tag = find_tag(pos);
      std::string_view text = std::string_view(src_).substr(pos, tag == npos ? npos : tag - pos);
      if (tag == npos) {
        push_text(text, pos);
        break;
      }
      const char kind = src_[tag + 1];
      char modifier = tag + 2 < src_.size() ? src_[tag + 2] : '\0';
      if (modifier != '-' && (modifier != '+' || kind == '{')) modifier = '\0';  // {{+x}} is unary plus
      text = strip_before_tag(text, kind, modifier, line_starting);
      push_text(text, pos);
      const std::size_t inner = tag + 2 + (modifier != '\0' ? 1 : 0);
      if (kind == '#') {
        pos = lex_comment(tag, inner, line_starting);
      } else if (kind == '%' && is_raw_begin(inner)) {
        pos = lex_raw(tag, inner, line_starting);
      } else {
        pos = lex_tag(tag, inner, kind == '%', line_starting);
      }
    }
    Token end;
    end.type = TokenType::kEnd;
    end.location = location_of(src_.size());
    tokens_.push_back(std::move(end));
    return std::move(tokens_);
  }

 private:
  static constexpr std::size_t npos = std::string_view::npos;

  Location location_of(std::size_t offset) const {
    const auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
    const std::size_t line = static_cast<std::size_t>(it - line_starts_.begin());
    return {static_cast<int>(line), static_cast<int>(offset - line_starts_[line - 1] + 1)};
  }

  template <typename... Args>
  [[noreturn]] void fail_at(std::size_t offset, fmt::format_string<Args...> format, Args&&... args) const {
    const Location loc = location_of(offset);
    fail("chat template syntax error at line {}, column {}: {}", loc.line, loc.column,
         fmt::format(format, std::forward<Args>(args)...));
  }

  std::size_t find_tag(std::size_t from) const {
    for (std::size_t i = src_.find('{', from); i != npos; i = src_.find('{', i + 1)) {
      if (i + 1 < src_.size() && (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#')) return i;
    }
    return npos;
  }

  // `{%-` strips all whitespace before the tag; lstrip_blocks strips the spaces and tabs that
  // start the tag's line, for block and comment tags only, unless the tag says `{%+`.
  static std::string_view strip_before_tag(std::string_view text, char kind, char modifier,
                                           bool line_starting) {
    if (modifier == '-') return text::rstrip_space(text);
    if ((kind == '%' || kind == '#') && modifier != '+') return lstrip_line(text, line_starting);
    return text;
  }

  static std::string_view lstrip_line(std::string_view text, bool line_starting) {
    const std::size_t newline = text.rfind('\n');
    const std::size_t line_start = newline == npos ? 0 : newline + 1;
    if (line_start == 0 && !line_starting) return text;
    const std::string_view tail = text.substr(line_start);
    if (tail.find_first_not_of(" \t") != npos) return text;
    return text.substr(0, line_start);
  }

  void push_text(std::string_view text, std::size_t offset) {
    if (text.empty()) return;
    Token token;
    token.type = TokenType::kText;
    token.value = std::string(text);
    token.location = location_of(offset);
    tokens_.push_back(std::move(token));
  }

  void push(TokenType type, std::size_t offset, std::string value = {}) {
    Token token;
    token.type = type;
    token.value = std::move(value);
    token.location = location_of(offset);
    tokens_.push_back(std::move(token));
  }

  // After a tag ends at `pos`: `-%}` strips all following whitespace, trim_blocks drops one
  // newline after block and comment tags unless the tag ends with `+%}`.
  std::size_t after_tag_end(std::size_t pos, char end_modifier, bool is_block, bool& line_starting) const {
    if (end_modifier == '-') {
      const std::size_t start = pos;
      pos = src_.size() - text::lstrip_space(std::string_view(src_).substr(pos)).size();
      line_starting = pos > start && src_[pos - 1] == '\n';
      return pos;
    }
    if (is_block && end_modifier != '+' && pos < src_.size() && src_[pos] == '\n') {
      line_starting = true;
      return pos + 1;
    }
    line_starting = false;
    return pos;
  }

  std::size_t lex_comment(std::size_t tag, std::size_t inner, bool& line_starting) {
    const std::size_t end = src_.find("#}", inner);
    if (end == npos) fail_at(tag, "unterminated comment, missing '#}}'");
    const char modifier = end > inner ? src_[end - 1] : '\0';
    return after_tag_end(end + 2, modifier == '-' || modifier == '+' ? modifier : '\0', true, line_starting);
  }

  std::size_t skip_tag_space(std::size_t pos) const {
    while (pos < src_.size() && is_tag_space(src_[pos])) ++pos;
    return pos;
  }

  bool word_at(std::size_t pos, std::string_view word) const {
    return src_.compare(pos, word.size(), word) == 0 &&
           (pos + word.size() >= src_.size() || !is_name_char(src_[pos + word.size()]));
  }

  bool is_raw_begin(std::size_t inner) const { return word_at(skip_tag_space(inner), "raw"); }

  // {% raw %}...{% endraw %}: the content is text, tags inside are not interpreted.
  std::size_t lex_raw(std::size_t tag, std::size_t inner, bool& line_starting) {
    std::size_t pos = skip_tag_space(skip_tag_space(inner) + 3);
    bool strip_content_start = false;
    if (src_.compare(pos, 3, "-%}") == 0) {
      strip_content_start = true;
      pos += 3;
    } else if (src_.compare(pos, 2, "%}") == 0) {
      pos += 2;  // Jinja2 applies no trim_blocks after {% raw %}
    } else {
      fail_at(pos, "expected '%}}' after 'raw'");
    }
    const std::size_t content_start =
        strip_content_start ? src_.size() - text::lstrip_space(std::string_view(src_).substr(pos)).size() : pos;
    line_starting = strip_content_start && content_start > pos && src_[content_start - 1] == '\n';
    for (std::size_t end_tag = src_.find("{%", content_start); end_tag != npos;
         end_tag = src_.find("{%", end_tag + 1)) {
      const char modifier = end_tag + 2 < src_.size() ? src_[end_tag + 2] : '\0';
      std::size_t p = skip_tag_space(end_tag + 2 + ((modifier == '-' || modifier == '+') ? 1 : 0));
      if (!word_at(p, "endraw")) continue;
      p = skip_tag_space(p + 6);
      char end_modifier = '\0';
      if (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) end_modifier = src_[p++];
      if (src_.compare(p, 2, "%}") != 0) fail_at(p, "expected '%}}' after 'endraw'");
      std::string_view content = std::string_view(src_).substr(content_start, end_tag - content_start);
      content = strip_before_tag(content, '%', modifier, line_starting);
      push_text(content, content_start);
      return after_tag_end(p + 2, end_modifier, true, line_starting);
    }
    fail_at(tag, "unterminated raw block, missing '{{% endraw %}}'");
  }

  std::size_t lex_tag(std::size_t tag, std::size_t inner, bool is_block, bool& line_starting) {
    push(is_block ? TokenType::kBlockBegin : TokenType::kVariableBegin, tag);
    std::size_t pos = inner;
    int depth = 0;
    while (true) {
      pos = skip_tag_space(pos);
      if (pos >= src_.size()) {
        fail_at(tag, "unterminated {}, missing '{}'", is_block ? "block tag" : "expression",
                is_block ? "%}" : "}}");
      }
      if (depth == 0) {
        const std::string_view close = is_block ? "%}" : "}}";
        char end_modifier = '\0';
        std::size_t close_at = npos;
        if ((src_[pos] == '-' || (is_block && src_[pos] == '+')) && src_.compare(pos + 1, 2, close) == 0) {
          end_modifier = src_[pos];
          close_at = pos + 1;
        } else if (src_.compare(pos, 2, close) == 0) {
          close_at = pos;
        }
        if (close_at != npos) {
          push(is_block ? TokenType::kBlockEnd : TokenType::kVariableEnd, pos);
          return after_tag_end(close_at + 2, end_modifier, is_block, line_starting);
        }
      }
      pos = lex_expression_token(pos, depth);
    }
  }

  std::size_t lex_expression_token(std::size_t pos, int& depth) {
    const char c = src_[pos];
    if (c == '\'' || c == '"') return lex_string(pos);
    if (is_digit(c)) return lex_number(pos);
    if (is_name_start(c)) {
      std::size_t end = pos;
      while (end < src_.size() && is_name_char(src_[end])) ++end;
      push(TokenType::kName, pos, src_.substr(pos, end - pos));
      return end;
    }
    static constexpr std::string_view kTwoCharOperators[] = {"//", "**", "==", "!=", "<=", ">="};
    for (std::string_view op : kTwoCharOperators) {
      if (src_.compare(pos, 2, op) == 0) {
        push(TokenType::kOperator, pos, std::string(op));
        return pos + 2;
      }
    }
    static constexpr std::string_view kOneCharOperators = "+-/*%~[](){}<>=.:|,;";
    if (kOneCharOperators.find(c) == npos) fail_at(pos, "unexpected character '{}'", c);
    if (c == '(' || c == '[' || c == '{') ++depth;
    if (c == ')' || c == ']' || c == '}') {
      if (depth == 0) fail_at(pos, "unexpected '{}'", c);
      --depth;
    }
    push(TokenType::kOperator, pos, std::string(1, c));
    return pos + 1;
  }

  // Python string literal escapes (Jinja2 decodes with "unicode-escape"); unknown escapes stay as
  // written, backslash included.
  std::size_t lex_string(std::size_t start) {
    const char quote = src_[start];
    std::string value;
    std::size_t pos = start + 1;
    while (true) {
      if (pos >= src_.size()) fail_at(start, "unterminated string literal");
      const char c = src_[pos];
      if (c == quote) break;
      if (c != '\\') {
        value.push_back(c);
        ++pos;
        continue;
      }
      if (pos + 1 >= src_.size()) fail_at(start, "unterminated string literal");
      const char e = src_[pos + 1];
      pos += 2;
      switch (e) {
        case '\n': break;  // line continuation
        case '\\': value.push_back('\\'); break;
        case '\'': value.push_back('\''); break;
        case '"': value.push_back('"'); break;
        case 'a': value.push_back('\a'); break;
        case 'b': value.push_back('\b'); break;
        case 'f': value.push_back('\f'); break;
        case 'n': value.push_back('\n'); break;
        case 'r': value.push_back('\r'); break;
        case 't': value.push_back('\t'); break;
        case 'v': value.push_back('\v'); break;
        case 'x': case 'u': case 'U': {
          const int digits = e == 'x' ? 2 : (e == 'u' ? 4 : 8);
          char32_t code_point = 0;
          for (int i = 0; i < digits; ++i) {
            const int h = pos < src_.size() ? hex_value(src_[pos]) : -1;
            if (h < 0) fail_at(pos, "truncated \\{} escape in string literal", e);
            code_point = code_point * 16 + static_cast<char32_t>(h);
            ++pos;
          }
          if (code_point > 0x10FFFF) fail_at(pos, "illegal Unicode character in string literal");
          text::append_utf8(value, code_point);
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            char32_t code_point = static_cast<char32_t>(e - '0');
            for (int i = 0; i < 2 && pos < src_.size() && src_[pos] >= '0' && src_[pos] <= '7'; ++i) {
              code_point = code_point * 8 + static_cast<char32_t>(src_[pos++] - '0');
            }
            text::append_utf8(value, code_point);
          } else {
            value.push_back('\\');
            value.push_back(e);
          }
      }
    }
    push(TokenType::kString, start, std::move(value));
    return pos + 1;
  }

  std::size_t lex_number(std::size_t start) {
    std::size_t pos = start;
    auto digits = [&](auto accept) {
      std::string out;
      while (pos < src_.size() && (accept(src_[pos]) || (src_[pos] == '_' && pos + 1 < src_.size() && accept(src_[pos + 1])))) {
        if (src_[pos] != '_') out.push_back(src_[pos]);
        ++pos;
      }
      return out;
    };
    const char prefix = start + 1 < src_.size() ? static_cast<char>(src_[start + 1] | 0x20) : '\0';
    if (src_[start] == '0' && (prefix == 'x' || prefix == 'o' || prefix == 'b')) {
      pos += 2;
      const int base = prefix == 'x' ? 16 : (prefix == 'o' ? 8 : 2);
      const std::string body = digits([base](char c) { const int v = hex_value(c); return v >= 0 && v < base; });
      Token token;
      token.type = TokenType::kInteger;
      const auto result = std::from_chars(body.data(), body.data() + body.size(), token.int_value, base);
      if (body.empty() || result.ec != std::errc()) fail_at(start, "invalid integer literal");
      token.location = location_of(start);
      tokens_.push_back(std::move(token));
      return pos;
    }
    std::string number = digits(is_digit);
    bool is_float = false;
    // A number right after '.' is an attribute index (`foo.0.1`), never a float.
    const bool after_dot = !tokens_.empty() && tokens_.back().type == TokenType::kOperator && tokens_.back().value == ".";
    if (!after_dot && pos + 1 < src_.size() && src_[pos] == '.' && is_digit(src_[pos + 1])) {
      ++pos;
      number += '.';
      number += digits(is_digit);
      is_float = true;
    }
    if (!after_dot && pos < src_.size() && (src_[pos] == 'e' || src_[pos] == 'E')) {
      std::size_t p = pos + 1;
      if (p < src_.size() && (src_[p] == '+' || src_[p] == '-')) ++p;
      if (p < src_.size() && is_digit(src_[p])) {
        const std::size_t exponent_start = pos;
        pos = p;
        number += src_.substr(exponent_start, p - exponent_start) + digits(is_digit);
        is_float = true;
      }
    }
    Token token;
    token.location = location_of(start);
    if (is_float) {
      token.type = TokenType::kFloat;
      token.float_value = std::strtod(number.c_str(), nullptr);
    } else {
      token.type = TokenType::kInteger;
      const auto result = std::from_chars(number.data(), number.data() + number.size(), token.int_value);
      if (result.ec != std::errc()) fail_at(start, "integer literal out of range");
    }
    tokens_.push_back(std::move(token));
    return pos;
  }

  std::string src_;
  std::vector<std::size_t> line_starts_;
  std::vector<Token> tokens_;
};

}  // namespace

std::vector<Token> tokenize(std::string_view source) { return Lexer(source).run(); }

}  // namespace turbine::chat_template
