#include "server/tool_calls/json_normalizer.h"

#include <charconv>
#include <cstdint>
#include <limits>

#include "server/tool_calls/python_json.h"
#include "server/tool_calls/text_scan.h"

namespace turbine::server {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_number_byte(char c) { return is_digit(c) || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'; }

// Whether a decimal lexeme that from_chars found out of range is too large (else too small).
bool overflows(std::string_view lexeme) {
  long magnitude = 0;  // the decimal exponent of the first significant digit, before the exponent part
  size_t i = lexeme.front() == '-' ? 1 : 0;
  long int_digits = 0;
  bool significant = false;
  long leading_fraction_zeros = 0;
  for (; i < lexeme.size() && is_digit(lexeme[i]); ++i) {
    if (lexeme[i] != '0') significant = true;
    if (significant) ++int_digits;
  }
  if (i < lexeme.size() && lexeme[i] == '.') {
    for (++i; i < lexeme.size() && is_digit(lexeme[i]); ++i) {
      if (significant) continue;
      if (lexeme[i] != '0') significant = true;
      else ++leading_fraction_zeros;
    }
  }
  magnitude = int_digits > 0 ? int_digits : -leading_fraction_zeros;
  long exponent = 0;
  if (i < lexeme.size() && (lexeme[i] == 'e' || lexeme[i] == 'E')) {
    ++i;
    bool negative = false;
    if (lexeme[i] == '+' || lexeme[i] == '-') negative = lexeme[i++] == '-';
    for (; i < lexeme.size(); ++i) exponent = std::min(exponent * 10 + (lexeme[i] - '0'), 100000L);
    if (negative) exponent = -exponent;
  }
  return magnitude + exponent > 0;
}

}  // namespace

bool append_normalized_json_number(std::string_view lexeme, std::string& out) {
  const size_t n = lexeme.size();
  size_t i = 0;
  const bool negative = i < n && lexeme[i] == '-';
  if (negative) ++i;
  if (i >= n) return false;
  if (lexeme[i] == '0') {
    ++i;
  } else if (is_digit(lexeme[i])) {
    while (i < n && is_digit(lexeme[i])) ++i;
  } else {
    return false;
  }
  bool integral = true;
  if (i < n && lexeme[i] == '.') {
    integral = false;
    const size_t start = ++i;
    while (i < n && is_digit(lexeme[i])) ++i;
    if (i == start) return false;
  }
  if (i < n && (lexeme[i] == 'e' || lexeme[i] == 'E')) {
    integral = false;
    ++i;
    if (i < n && (lexeme[i] == '+' || lexeme[i] == '-')) ++i;
    const size_t start = i;
    while (i < n && is_digit(lexeme[i])) ++i;
    if (i == start) return false;
  }
  if (i != n) return false;

  const char* first = lexeme.data();
  const char* last = lexeme.data() + n;
  if (integral) {
    // json.loads gives a Python int, which json.dumps writes with all its digits.
    out.append(lexeme == "-0" ? std::string_view("0") : lexeme);
    return true;
  }
  double value = 0;
  const auto result = std::from_chars(first, last, value);
  if (result.ec == std::errc::result_out_of_range) {
    const double magnitude = overflows(lexeme) ? std::numeric_limits<double>::infinity() : 0.0;
    value = negative ? -magnitude : magnitude;
  } else if (result.ec != std::errc{} || result.ptr != last) {
    return false;
  }
  out += python_float_repr(value);
  return true;
}

JsonNormalizer::Status JsonNormalizer::status() const {
  if (state_ == State::kDone) return Status::kComplete;
  if (state_ == State::kError) return Status::kError;
  return Status::kIncomplete;
}

size_t JsonNormalizer::feed(std::string_view in, std::string& out) {
  size_t i = 0;
  while (i < in.size() && state_ != State::kDone && state_ != State::kError) {
    if (step(in[i], out)) {
      ++i;
    } else if (state_ == State::kDone) {
      break;  // the byte that ended a top-level number belongs to the caller
    }
    // else: the byte ended a nested number; the loop offers it again in the new state
  }
  return i;
}

JsonNormalizer::Status JsonNormalizer::finish(std::string& out) {
  if (state_ == State::kNumber && stack_.empty()) {
    end_number(out);
  } else if (state_ != State::kDone) {
    state_ = State::kError;
  }
  return status();
}

void JsonNormalizer::value_done() { state_ = stack_.empty() ? State::kDone : State::kCommaOrEnd; }

void JsonNormalizer::flush_high_surrogate(std::string& out) {
  if (high_surrogate_ == 0) return;
  append_python_json_code_point(out, high_surrogate_);
  high_surrogate_ = 0;
}

bool JsonNormalizer::end_number(std::string& out) {
  if (!append_normalized_json_number(number_, out)) {
    state_ = State::kError;
    return false;
  }
  number_.clear();
  value_done();
  return true;
}

bool JsonNormalizer::begin_value(char c, std::string& out) {
  if (first_ == 0) first_ = c;
  switch (c) {
    case '{':
    case '[':
      stack_.push_back(c);
      if (int(stack_.size()) > max_depth_) {
        state_ = State::kError;
        return true;
      }
      out += c;
      state_ = c == '{' ? State::kFirstKeyOrEnd : State::kFirstItemOrEnd;
      return true;
    case '"':
      out += '"';
      string_is_key_ = false;
      state_ = State::kString;
      return true;
    case 't': literal_ = "true"; break;
    case 'f': literal_ = "false"; break;
    case 'n': literal_ = "null"; break;
    default:
      if (c == '-' || is_digit(c)) {
        number_.assign(1, c);
        state_ = State::kNumber;
      } else {
        state_ = State::kError;
      }
      return true;
  }
  literal_pos_ = 1;
  state_ = State::kLiteral;
  return true;
}

bool JsonNormalizer::step(char c, std::string& out) {
  switch (state_) {
    case State::kValue:
      if (is_json_whitespace(c)) return true;
      return begin_value(c, out);
    case State::kFirstItemOrEnd:
      if (is_json_whitespace(c)) return true;
      if (c == ']') {
        stack_.pop_back();
        out += ']';
        value_done();
        return true;
      }
      return begin_value(c, out);
    case State::kFirstKeyOrEnd:
    case State::kKey:
      if (is_json_whitespace(c)) return true;
      if (c == '}' && state_ == State::kFirstKeyOrEnd) {
        stack_.pop_back();
        out += '}';
        value_done();
      } else if (c == '"') {
        out += '"';
        string_is_key_ = true;
        state_ = State::kString;
      } else {
        state_ = State::kError;
      }
      return true;
    case State::kColon:
      if (is_json_whitespace(c)) return true;
      if (c == ':') {
        out += ": ";
        state_ = State::kValue;
      } else {
        state_ = State::kError;
      }
      return true;
    case State::kCommaOrEnd: {
      if (is_json_whitespace(c)) return true;
      const char open = stack_.back();
      if (c == ',') {
        out += ", ";
        state_ = open == '{' ? State::kKey : State::kValue;
      } else if ((c == '}' && open == '{') || (c == ']' && open == '[')) {
        stack_.pop_back();
        out += c;
        value_done();
      } else {
        state_ = State::kError;
      }
      return true;
    }
    case State::kString:
      if (c == '"') {
        out += '"';
        if (string_is_key_) {
          state_ = State::kColon;
        } else {
          value_done();
        }
      } else if (c == '\\') {
        state_ = State::kEscape;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        state_ = State::kError;  // json.loads is strict: raw control characters are not allowed
      } else {
        out += c;
      }
      return true;
    case State::kSurrogateBackslash:
      if (c == '\\') {
        state_ = State::kSurrogateU;
        return true;
      }
      flush_high_surrogate(out);
      state_ = State::kString;
      return step(c, out);
    case State::kSurrogateU:
      if (c == 'u') {
        unicode_ = 0;
        unicode_digits_ = 0;
        state_ = State::kUnicode;
        return true;
      }
      flush_high_surrogate(out);
      state_ = State::kEscape;
      return step(c, out);
    case State::kEscape: {
      const char* replacement = nullptr;
      switch (c) {
        case '"': replacement = "\\\""; break;
        case '\\': replacement = "\\\\"; break;
        case '/': replacement = "/"; break;
        case 'b': replacement = "\\b"; break;
        case 'f': replacement = "\\f"; break;
        case 'n': replacement = "\\n"; break;
        case 'r': replacement = "\\r"; break;
        case 't': replacement = "\\t"; break;
        case 'u':
          unicode_ = 0;
          unicode_digits_ = 0;
          state_ = State::kUnicode;
          return true;
        default:
          state_ = State::kError;
          return true;
      }
      out += replacement;
      state_ = State::kString;
      return true;
    }
    case State::kUnicode: {
      const int h = hex_value(c);
      if (h < 0) {
        state_ = State::kError;
        return true;
      }
      unicode_ = unicode_ * 16 + uint32_t(h);
      if (++unicode_digits_ < 4) return true;
      uint32_t cp = unicode_;
      if (high_surrogate_ != 0) {
        if (cp >= 0xDC00 && cp <= 0xDFFF) {
          append_python_json_code_point(out, 0x10000 + ((high_surrogate_ - 0xD800) << 10) + (cp - 0xDC00));
          high_surrogate_ = 0;
          state_ = State::kString;
          return true;
        }
        flush_high_surrogate(out);
      }
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        high_surrogate_ = cp;
        state_ = State::kSurrogateBackslash;
      } else {
        append_python_json_code_point(out, cp);
        state_ = State::kString;
      }
      return true;
    }
    case State::kNumber:
      if (is_number_byte(c)) {
        number_ += c;
        return true;
      }
      end_number(out);
      return false;
    case State::kLiteral:
      if (c != literal_[literal_pos_]) {
        state_ = State::kError;
        return true;
      }
      if (++literal_pos_ == literal_.size()) {
        out.append(literal_);
        value_done();
      }
      return true;
    case State::kDone:
    case State::kError:
      return false;
  }
  return false;
}

bool normalize_json(std::string_view text, std::string& out, int max_depth) {
  JsonNormalizer normalizer(max_depth);
  size_t used = normalizer.feed(text, out);
  if (normalizer.status() == JsonNormalizer::Status::kError) return false;
  if (normalizer.status() == JsonNormalizer::Status::kIncomplete &&
      normalizer.finish(out) != JsonNormalizer::Status::kComplete)
    return false;
  for (; used < text.size(); ++used)
    if (!is_json_whitespace(text[used])) return false;
  return true;
}

}  // namespace turbine::server
