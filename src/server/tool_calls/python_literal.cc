#include "server/tool_calls/python_literal.h"

#include <cstdint>

#include "server/tool_calls/json_normalizer.h"
#include "server/tool_calls/python_json.h"

namespace turbine::server {
namespace {

constexpr int kMaxDepth = JsonNormalizer::kDefaultMaxDepth;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_identifier_byte(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 99;
}

class LiteralReader {
 public:
  explicit LiteralReader(std::string_view text) : t_(text) {}

  bool read_all(std::string& out) {
    Kind kind;
    if (!value(out, 0, kind)) return false;
    skip_space();
    return i_ == t_.size();
  }

 private:
  enum class Kind { kString, kScalar, kContainer };

  char peek(size_t ahead = 0) const { return i_ + ahead < t_.size() ? t_[i_ + ahead] : '\0'; }
  bool at_end() const { return i_ >= t_.size(); }
  void skip_space() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r' || peek() == '\f')) ++i_;
  }

  bool value(std::string& out, int depth, Kind& kind) {
    if (depth > kMaxDepth) return false;
    skip_space();
    if (at_end()) return false;
    bool negative = false;
    bool signed_value = false;
    while (peek() == '+' || peek() == '-') {
      if (peek() == '-') negative = !negative;
      signed_value = true;
      ++i_;
      skip_space();
    }
    const char c = peek();
    kind = Kind::kScalar;
    if (is_digit(c) || (c == '.' && is_digit(peek(1)))) return number(out, negative);
    if (signed_value) return false;
    if (c == '[') {
      kind = Kind::kContainer;
      return sequence(out, depth, ']');
    }
    if (c == '(') return parenthesized(out, depth, kind);
    if (c == '{') {
      kind = Kind::kContainer;
      return dict(out, depth);
    }
    if (string_starts()) {
      kind = Kind::kString;
      return strings(out);
    }
    size_t end = i_;
    while (end < t_.size() && is_identifier_byte(t_[end])) ++end;
    const std::string_view name = t_.substr(i_, end - i_);
    i_ = end;
    if (name == "True") out += "true";
    else if (name == "False") out += "false";
    else if (name == "None") out += "null";
    else return false;
    return true;
  }

  // digit ('_'? digit)* in `base`, appended to `digits` without underscores.
  bool digit_run(std::string& digits, int base) {
    if (digit_value(peek()) >= base) return false;
    while (true) {
      digits += peek();
      ++i_;
      if (peek() == '_') {
        if (digit_value(peek(1)) >= base) return false;
        ++i_;
      } else if (digit_value(peek()) >= base) {
        return true;
      }
    }
  }

  bool number(std::string& out, bool negative) {
    if (peek() == '0' && (peek(1) == 'x' || peek(1) == 'X' || peek(1) == 'o' || peek(1) == 'O' || peek(1) == 'b' ||
                          peek(1) == 'B')) {
      const char prefix = char(peek(1) | 0x20);
      const int base = prefix == 'x' ? 16 : prefix == 'o' ? 8 : 2;
      i_ += 2;
      if (peek() == '_') ++i_;  // 0x_ff is allowed
      std::string digits;
      if (!digit_run(digits, base) || is_identifier_byte(peek()) || peek() == '.') return false;
      uint64_t v = 0;
      for (char d : digits) {
        const uint64_t next = v * uint64_t(base) + uint64_t(digit_value(d));
        if ((next - uint64_t(digit_value(d))) / uint64_t(base) != v) return false;  // beyond 64 bits
        v = next;
      }
      if (negative && v != 0) out += '-';
      out += std::to_string(v);
      return true;
    }
    std::string int_part, fraction, exponent;
    bool is_float = false;
    if (is_digit(peek()) && !digit_run(int_part, 10)) return false;
    if (peek() == '.') {
      ++i_;
      is_float = true;
      if (is_digit(peek()) && !digit_run(fraction, 10)) return false;
    }
    if (peek() == 'e' || peek() == 'E') {
      ++i_;
      is_float = true;
      if (peek() == '+' || peek() == '-') exponent += t_[i_++];
      std::string digits;
      if (!digit_run(digits, 10)) return false;
      exponent += digits;
    }
    if (peek() == 'j' || peek() == 'J' || is_identifier_byte(peek())) return false;  // complex, or 1abc
    size_t nonzero = int_part.find_first_not_of('0');
    if (!is_float) {
      if (int_part.size() > 1 && int_part[0] == '0' && nonzero != std::string::npos) return false;  // 012
      if (nonzero == std::string::npos) {
        out += '0';
      } else {
        if (negative) out += '-';
        out.append(int_part, nonzero);
      }
      return true;
    }
    // A JSON float lexeme with the same value, so that the JSON number code writes it.
    std::string lexeme = negative ? "-" : "";
    lexeme += nonzero == std::string::npos ? std::string("0") : int_part.substr(nonzero);
    lexeme += '.';
    lexeme += fraction.empty() ? std::string("0") : fraction;
    if (!exponent.empty()) lexeme += "e" + exponent;
    return append_normalized_json_number(lexeme, out);
  }

  // A string literal starts here: a quote, or r/u/R/U then a quote.
  bool string_starts() const {
    const char c = peek();
    if (c == '\'' || c == '"') return true;
    return (c == 'r' || c == 'R' || c == 'u' || c == 'U') && (peek(1) == '\'' || peek(1) == '"');
  }

  // One or more adjacent string literals, joined, as one JSON string.
  bool strings(std::string& out) {
    out += '"';
    do {
      if (!string_body(out)) return false;
      skip_space();
    } while (string_starts());
    out += '"';
    return true;
  }

  void append_byte(std::string& out, char c) {
    if (static_cast<unsigned char>(c) < 0x80) append_python_json_code_point(out, static_cast<unsigned char>(c));
    else out += c;
  }

  bool hex_digits(int count, uint32_t& cp) {
    cp = 0;
    for (int k = 0; k < count; ++k) {
      const int d = digit_value(peek());
      if (d >= 16) return false;
      cp = cp * 16 + uint32_t(d);
      ++i_;
    }
    return true;
  }

  bool string_body(std::string& out) {
    bool raw = false;
    if (peek() == 'r' || peek() == 'R') raw = true;
    if (peek() != '\'' && peek() != '"') ++i_;  // the prefix
    const char quote = peek();
    const bool triple = peek(1) == quote && peek(2) == quote;
    i_ += triple ? 3 : 1;
    while (true) {
      if (at_end()) return false;
      const char c = peek();
      if (c == quote && (!triple || (peek(1) == quote && peek(2) == quote))) {
        i_ += triple ? 3 : 1;
        return true;
      }
      if (c == '\n' && !triple) return false;
      if (c != '\\') {
        append_byte(out, c);
        ++i_;
        continue;
      }
      if (i_ + 1 >= t_.size()) return false;
      const char e = t_[i_ + 1];
      if (raw) {  // a backslash stays, and keeps the next character from ending the string
        append_byte(out, '\\');
        append_byte(out, e);
        i_ += 2;
        continue;
      }
      i_ += 2;
      uint32_t cp = 0;
      switch (e) {
        case '\n': continue;  // line continuation
        case '\\': cp = '\\'; break;
        case '\'': cp = '\''; break;
        case '"': cp = '"'; break;
        case 'a': cp = 7; break;
        case 'b': cp = 8; break;
        case 'f': cp = 12; break;
        case 'n': cp = 10; break;
        case 'r': cp = 13; break;
        case 't': cp = 9; break;
        case 'v': cp = 11; break;
        case 'x':
          if (!hex_digits(2, cp)) return false;
          break;
        case 'u':
          if (!hex_digits(4, cp)) return false;
          break;
        case 'U':
          if (!hex_digits(8, cp) || cp > 0x10FFFF) return false;
          break;
        case 'N':
          return false;  // named characters: not supported
        default:
          if (e >= '0' && e <= '7') {
            cp = uint32_t(e - '0');
            for (int k = 0; k < 2 && peek() >= '0' && peek() <= '7'; ++k) cp = cp * 8 + uint32_t(t_[i_++] - '0');
            break;
          }
          append_byte(out, '\\');  // an unknown escape keeps its backslash
          --i_;
          continue;
      }
      append_python_json_code_point(out, cp);
    }
  }

  // [a, b, ...] (or the items of a tuple after its first): items written as a JSON array.
  bool sequence(std::string& out, int depth, char close) {
    ++i_;  // the opening bracket
    out += '[';
    skip_space();
    bool first = true;
    while (peek() != close) {
      if (!first) out += ", ";
      first = false;
      Kind kind;
      if (!value(out, depth + 1, kind)) return false;
      skip_space();
      if (peek() == ',') {
        ++i_;
        skip_space();
      } else if (peek() != close) {
        return false;
      }
    }
    ++i_;
    out += ']';
    return true;
  }

  // (x) is x; (), (x,) and (x, y) are tuples, written as JSON arrays.
  bool parenthesized(std::string& out, int depth, Kind& kind) {
    const size_t open = i_;
    ++i_;
    skip_space();
    if (peek() == ')') {
      ++i_;
      out += "[]";
      kind = Kind::kContainer;
      return true;
    }
    std::string first;
    if (!value(first, depth + 1, kind)) return false;
    skip_space();
    if (peek() == ')') {
      ++i_;
      out += first;
      return true;
    }
    if (peek() != ',') return false;
    i_ = open;  // read it again as a tuple
    kind = Kind::kContainer;
    return sequence(out, depth, ')');
  }

  bool dict(std::string& out, int depth) {
    ++i_;
    out += '{';
    skip_space();
    bool first = true;
    while (peek() != '}') {
      if (!first) out += ", ";
      first = false;
      std::string key;
      Kind key_kind;
      if (!value(key, depth + 1, key_kind)) return false;
      if (key_kind == Kind::kContainer) return false;  // json.dumps takes only scalar keys
      if (key_kind == Kind::kString) out += key;
      else out += '"' + key + '"';  // json.dumps: {1: x} -> {"1": x}, {None: x} -> {"null": x}
      skip_space();
      if (peek() != ':') return false;  // a set, which json.dumps cannot write
      ++i_;
      out += ": ";
      Kind kind;
      if (!value(out, depth + 1, kind)) return false;
      skip_space();
      if (peek() == ',') {
        ++i_;
        skip_space();
      } else if (peek() != '}') {
        return false;
      }
    }
    ++i_;
    out += '}';
    return true;
  }

  std::string_view t_;
  size_t i_ = 0;
};

}  // namespace

bool python_literal_to_json(std::string_view text, std::string& out) {
  // ast.literal_eval strips leading spaces and tabs.
  return LiteralReader(text).read_all(out);
}

}  // namespace turbine::server
