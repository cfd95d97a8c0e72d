#include "server/tool_calls/python_json.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "tokenizer/utf8.h"

namespace turbine::server {
namespace {

void append_u_escape(std::string& out, uint32_t unit) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\u%04x", unsigned(unit));
  out += buf;
}

// Escapes one ASCII byte that json.dumps escapes; returns false for bytes written as they are.
bool append_escaped_ascii(std::string& out, unsigned char c) {
  switch (c) {
    case '"': out += "\\\""; return true;
    case '\\': out += "\\\\"; return true;
    case '\b': out += "\\b"; return true;
    case '\f': out += "\\f"; return true;
    case '\n': out += "\\n"; return true;
    case '\r': out += "\\r"; return true;
    case '\t': out += "\\t"; return true;
    default:
      if (c < 0x20) {
        append_u_escape(out, c);
        return true;
      }
      return false;
  }
}

}  // namespace

void append_python_json_code_point(std::string& out, uint32_t code_point) {
  if (code_point < 0x80) {
    if (!append_escaped_ascii(out, static_cast<unsigned char>(code_point))) out += char(code_point);
  } else if (code_point >= 0xD800 && code_point <= 0xDFFF) {
    append_u_escape(out, code_point);  // not encodable as UTF-8: keep it as JSON can say it
  } else {
    tokenizer::utf8::append(out, code_point);
  }
}

void append_python_json_escaped(std::string& out, std::string_view utf8) {
  for (char ch : utf8)
    if (!append_escaped_ascii(out, static_cast<unsigned char>(ch))) out += ch;
}

void append_python_json_string(std::string& out, std::string_view utf8) {
  out += '"';
  append_python_json_escaped(out, utf8);
  out += '"';
}

std::string python_float_repr(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  const auto result = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  std::string_view s(buf, size_t(result.ptr - buf));  // "-1.2345e+05", "0e+00"
  std::string out;
  if (s.front() == '-') {
    out += '-';
    s.remove_prefix(1);
  }
  const size_t e = s.find('e');
  std::string digits(1, s[0]);
  if (e > 1) digits.append(s.substr(2, e - 2));
  const int exponent = std::atoi(std::string(s.substr(e + 1)).c_str());
  const int decpt = exponent + 1;  // the decimal point's place in `digits`
  const int n = int(digits.size());
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) {
      out += "0.";
      out.append(size_t(-decpt), '0');
      out += digits;
    } else if (decpt >= n) {
      out += digits;
      out.append(size_t(decpt - n), '0');
      out += ".0";
    } else {
      out.append(digits, 0, size_t(decpt));
      out += '.';
      out.append(digits, size_t(decpt));
    }
  } else {
    out += digits[0];
    if (n > 1) {
      out += '.';
      out.append(digits, 1);
    }
    const int x = decpt - 1;
    char exp_buf[16];
    std::snprintf(exp_buf, sizeof exp_buf, "e%c%02d", x < 0 ? '-' : '+', std::abs(x));
    out += exp_buf;
  }
  return out;
}

std::string python_int_of_integral_double(double value) {
  if (value == 0) return "0";
  char buf[400];  // the largest double has 309 digits
  std::snprintf(buf, sizeof buf, "%.0f", value);
  return buf;
}

}  // namespace turbine::server
