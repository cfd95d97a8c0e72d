#include "tokenizer/chat_template/string_format.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>

#include "tokenizer/chat_template/operators.h"
#include "tokenizer/chat_template/python_text.h"

namespace turbine::chat_template {
namespace {

struct Spec {
  std::string fill = " ";
  char align = '\0';  // '<', '>', '^', '=' or none
  char sign = '-';
  bool alternate = false;
  bool grouping = false;
  long long width = -1;
  long long precision = -1;
  char type = '\0';
};

std::string c_format(const char* conversion, const Spec& spec, double value) {
  std::string pattern = "%";
  if (spec.alternate) pattern += '#';
  if (spec.sign == '+') pattern += '+';
  if (spec.sign == ' ') pattern += ' ';
  if (spec.precision >= 0) {
    pattern += '.';
    pattern += std::to_string(spec.precision);
  }
  pattern += conversion;
  char buffer[512];
  const int n = std::snprintf(buffer, sizeof(buffer), pattern.c_str(), value);
  if (n < 0 || n >= static_cast<int>(sizeof(buffer))) throw EvalError("formatted number is too long");
  return std::string(buffer, static_cast<std::size_t>(n));
}

std::string group_thousands(const std::string& digits) {
  std::string out;
  const std::size_t n = digits.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0 && (n - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string integer_text(std::int64_t value, const Spec& spec) {
  const bool negative = value < 0;
  const unsigned long long magnitude = negative ? 0ULL - static_cast<unsigned long long>(value)
                                                : static_cast<unsigned long long>(value);
  std::string digits;
  std::string prefix;
  switch (spec.type) {
    case 'x': digits = fmt::format("{:x}", magnitude); prefix = "0x"; break;
    case 'X': digits = fmt::format("{:X}", magnitude); prefix = "0X"; break;
    case 'o': digits = fmt::format("{:o}", magnitude); prefix = "0o"; break;
    case 'b': digits = fmt::format("{:b}", magnitude); prefix = "0b"; break;
    default: digits = std::to_string(magnitude); break;
  }
  if (spec.grouping) digits = group_thousands(digits);
  std::string sign = negative ? "-" : (spec.sign == '+' ? "+" : (spec.sign == ' ' ? " " : ""));
  return sign + (spec.alternate ? prefix : "") + digits;
}

std::string float_text(double value, const Spec& spec) {
  switch (spec.type) {
    case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': {
      Spec s = spec;
      if (s.precision < 0) s.precision = 6;
      const char conversion[2] = {spec.type, '\0'};
      return c_format(conversion, s, value);
    }
    case '%': {
      Spec s = spec;
      if (s.precision < 0) s.precision = 6;
      return c_format("f", s, value * 100) + "%";
    }
    default:
      if (spec.precision >= 0) return c_format("g", spec, value);
      std::string out = text::float_repr(value);
      if ((spec.sign == '+' || spec.sign == ' ') && value >= 0) out.insert(out.begin(), spec.sign);
      return out;
  }
}

// Pads `body` to the spec's width; '=' puts the padding after the sign.
std::string align_text(std::string body, const Spec& spec, char default_align) {
  const long long len = static_cast<long long>(text::length(body));
  if (spec.width <= len) return body;
  const long long total = spec.width - len;
  const char align = spec.align ? spec.align : default_align;
  auto fill = [&](long long n) {
    std::string out;
    for (long long i = 0; i < n; ++i) out += spec.fill;
    return out;
  };
  if (align == '<') return body + fill(total);
  if (align == '^') return fill(total / 2) + body + fill(total - total / 2);
  if (align == '=') {
    const std::size_t digits_start = body.find_first_not_of("+- ");
    const std::size_t split = digits_start == std::string::npos ? 0 : digits_start;
    return body.substr(0, split) + fill(total) + body.substr(split);
  }
  return fill(total) + body;
}

std::string format_with_spec(const Value& value, const Spec& spec) {
  if (value.is_string() || value.is_none() || value.is_undefined() || value.is_list() || value.is_dict() ||
      (value.is_bool() && spec.type == '\0')) {
    if (spec.type != '\0' && spec.type != 's') {
      throw EvalError(fmt::format("Unknown format code '{}' for object of type '{}'", spec.type, value.type_name()));
    }
    std::string body = value.str();
    if (spec.precision >= 0) {
      const std::vector<std::size_t> offsets = text::code_point_offsets(body);
      if (static_cast<std::size_t>(spec.precision) < offsets.size() - 1) body.resize(offsets[static_cast<std::size_t>(spec.precision)]);
    }
    return align_text(body, spec, '<');
  }
  if (!value.is_number()) throw EvalError(fmt::format("unsupported format string passed to {}", value.type_name()));
  std::string body;
  if ((value.is_int() || value.is_bool()) && std::string_view("dxXobn").find(spec.type) != std::string_view::npos &&
      spec.type != '\0') {
    body = integer_text(value.as_integral(), spec);
  } else if ((value.is_int() || value.is_bool()) && spec.type == '\0') {
    body = integer_text(value.as_integral(), spec);
  } else if (spec.type == 'c' && (value.is_int() || value.is_bool())) {
    text::append_utf8(body, static_cast<char32_t>(value.as_integral()));
  } else {
    body = float_text(value.as_double(), spec);
  }
  return align_text(body, spec, '>');
}

Spec parse_spec(std::string_view s) {
  Spec spec;
  std::size_t i = 0;
  // [[fill]align]: the fill may be any one code point.
  if (!s.empty()) {
    const text::CodePoint first = text::decode(s, 0);
    const std::size_t after = first.size;
    if (after < s.size() && std::string_view("<>=^").find(s[after]) != std::string_view::npos) {
      spec.fill = std::string(s.substr(0, after));
      spec.align = s[after];
      i = after + 1;
    } else if (std::string_view("<>=^").find(s[0]) != std::string_view::npos) {
      spec.align = s[0];
      i = 1;
    }
  }
  if (i < s.size() && (s[i] == '+' || s[i] == '-' || s[i] == ' ')) spec.sign = s[i++];
  if (i < s.size() && s[i] == '#') {
    spec.alternate = true;
    ++i;
  }
  if (i < s.size() && s[i] == '0') {
    if (!spec.align) {
      spec.fill = "0";
      spec.align = '=';
    }
    ++i;
  }
  auto number = [&] {
    long long n = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') n = n * 10 + (s[i++] - '0');
    return n;
  };
  if (i < s.size() && s[i] >= '0' && s[i] <= '9') spec.width = number();
  if (i < s.size() && (s[i] == ',' || s[i] == '_')) {
    spec.grouping = true;
    ++i;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    spec.precision = number();
  }
  if (i < s.size()) spec.type = s[i++];
  if (i != s.size()) throw EvalError(fmt::format("invalid format specifier '{}'", s));
  return spec;
}

Value lookup_field(std::string_view field, std::size_t& auto_index, const CallArgs& args) {
  std::size_t end = field.find_first_of(".[");
  const std::string_view head = field.substr(0, end);
  Value value;
  if (head.empty() || (head[0] >= '0' && head[0] <= '9')) {
    std::size_t index = auto_index++;
    if (!head.empty()) index = static_cast<std::size_t>(std::stoull(std::string(head)));
    if (index >= args.positional.size()) throw EvalError(fmt::format("Replacement index {} out of range", index));
    value = args.positional[index];
  } else {
    bool found = false;
    for (const auto& [key, v] : args.keyword) {
      if (key == head) {
        value = v;
        found = true;
      }
    }
    if (!found) throw EvalError(fmt::format("format() missing keyword argument '{}'", head));
  }
  while (end != std::string_view::npos && end < field.size()) {
    if (field[end] == '.') {
      const std::size_t next = field.find_first_of(".[", end + 1);
      value = get_attribute(value, field.substr(end + 1, next - end - 1));
      end = next;
    } else {
      const std::size_t close = field.find(']', end);
      if (close == std::string_view::npos) throw EvalError("Missing ']' in format string");
      const std::string key(field.substr(end + 1, close - end - 1));
      const bool numeric = !key.empty() && key.find_first_not_of("0123456789") == std::string::npos;
      value = get_item(value, numeric ? Value::integer(std::stoll(key)) : Value::string(key));
      end = close + 1;
    }
  }
  return value;
}

}  // namespace

std::string percent_format(const std::string& format, const Value& args) {
  std::vector<Value> positional;
  const Dict* mapping = nullptr;
  if (args.is_list() && args.as_list().is_tuple) {
    positional = args.as_list().items;
  } else if (args.is_dict()) {
    mapping = &args.as_dict();
    positional.push_back(args);
  } else {
    positional.push_back(args);
  }
  std::size_t next_arg = 0;
  bool used_mapping = false;
  auto take = [&]() -> Value {
    if (next_arg >= positional.size()) throw EvalError("not enough arguments for format string");
    return positional[next_arg++];
  };
  std::string out;
  for (std::size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      out.push_back(format[i]);
      continue;
    }
    if (++i >= format.size()) throw EvalError("incomplete format");
    Value value;
    bool has_value = false;
    if (format[i] == '(') {
      const std::size_t close = format.find(')', i);
      if (close == std::string::npos || mapping == nullptr) throw EvalError("format requires a mapping");
      const Value* found = mapping->find(format.substr(i + 1, close - i - 1));
      if (found == nullptr) throw EvalError(fmt::format("KeyError: '{}'", format.substr(i + 1, close - i - 1)));
      value = *found;
      has_value = used_mapping = true;
      i = close + 1;
    }
    Spec spec;
    bool left = false;
    bool zero = false;
    for (; i < format.size() && std::string_view("#0- +").find(format[i]) != std::string_view::npos; ++i) {
      if (format[i] == '-') left = true;
      if (format[i] == '0') zero = true;
      if (format[i] == '+' || format[i] == ' ') spec.sign = format[i];
      if (format[i] == '#') spec.alternate = true;
    }
    auto number = [&]() -> long long {
      if (i < format.size() && format[i] == '*') {
        ++i;
        const Value v = take();
        if (!v.is_int()) throw EvalError("* wants int");
        return v.as_int();
      }
      long long n = 0;
      while (i < format.size() && format[i] >= '0' && format[i] <= '9') n = n * 10 + (format[i++] - '0');
      return n;
    };
    spec.width = number();
    if (i < format.size() && format[i] == '.') {
      ++i;
      spec.precision = number();
    }
    while (i < format.size() && (format[i] == 'h' || format[i] == 'l' || format[i] == 'L')) ++i;
    if (i >= format.size()) throw EvalError("incomplete format");
    const char conversion = format[i];
    if (conversion == '%') {
      out.push_back('%');
      continue;
    }
    if (!has_value) value = take();
    const bool zero_pad = zero && !left && std::string_view("srac").find(conversion) == std::string_view::npos;
    spec.align = left ? '<' : (zero_pad ? '=' : '>');
    spec.fill.assign(1, zero_pad ? '0' : ' ');
    switch (conversion) {
      case 's': case 'r': case 'a': {
        Spec text_spec = spec;
        std::string body = conversion == 's' ? value.str() : value.repr();
        if (spec.precision >= 0) {
          const std::vector<std::size_t> offsets = text::code_point_offsets(body);
          if (static_cast<std::size_t>(spec.precision) < offsets.size() - 1) body.resize(offsets[static_cast<std::size_t>(spec.precision)]);
        }
        text_spec.precision = -1;
        out += align_text(body, text_spec, '>');
        break;
      }
      case 'd': case 'i': case 'u': case 'x': case 'X': case 'o': {
        if (!value.is_number()) throw EvalError(fmt::format("%{} format: a real number is required, not {}", conversion, value.type_name()));
        spec.type = conversion == 'i' || conversion == 'u' ? 'd' : conversion;
        const std::int64_t v = value.is_float() ? static_cast<std::int64_t>(std::trunc(value.as_float())) : value.as_integral();
        spec.precision = -1;
        out += align_text(integer_text(v, spec), spec, '>');
        break;
      }
      case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': {
        if (!value.is_number()) throw EvalError(fmt::format("must be real number, not {}", value.type_name()));
        spec.type = conversion;
        out += align_text(float_text(value.as_double(), spec), spec, '>');
        break;
      }
      case 'c': {
        std::string body;
        if (value.is_string() && text::length(value.as_string()) == 1) {
          body = value.as_string();
        } else if (value.is_int()) {
          text::append_utf8(body, static_cast<char32_t>(value.as_int()));
        } else {
          throw EvalError("%c requires int or char");
        }
        out += align_text(body, spec, '>');
        break;
      }
      default:
        throw EvalError(fmt::format("unsupported format character '{}'", conversion));
    }
  }
  if (!used_mapping && mapping == nullptr && next_arg < positional.size()) {
    throw EvalError("not all arguments converted during string formatting");
  }
  return out;
}

std::string brace_format(const std::string& format, CallArgs& args) {
  std::string out;
  std::size_t auto_index = 0;
  for (std::size_t i = 0; i < format.size(); ++i) {
    const char c = format[i];
    if (c == '}') {
      if (i + 1 < format.size() && format[i + 1] == '}') {
        out.push_back('}');
        ++i;
        continue;
      }
      throw EvalError("Single '}' encountered in format string");
    }
    if (c != '{') {
      out.push_back(c);
      continue;
    }
    if (i + 1 < format.size() && format[i + 1] == '{') {
      out.push_back('{');
      ++i;
      continue;
    }
    const std::size_t close = format.find('}', i);
    if (close == std::string::npos) throw EvalError("Single '{' encountered in format string");
    std::string_view field(format.data() + i + 1, close - i - 1);
    std::string_view spec_text;
    char conversion = '\0';
    if (const std::size_t colon = field.find(':'); colon != std::string_view::npos) {
      spec_text = field.substr(colon + 1);
      field = field.substr(0, colon);
    }
    if (const std::size_t bang = field.find('!'); bang != std::string_view::npos) {
      if (bang + 2 != field.size()) throw EvalError("expected ':' after conversion specifier");
      conversion = field[bang + 1];
      field = field.substr(0, bang);
    }
    Value value = lookup_field(field, auto_index, args);
    if (conversion == 'r' || conversion == 'a') value = Value::string(value.repr());
    if (conversion == 's') value = Value::string(value.str());
    out += format_with_spec(value, parse_spec(spec_text));
    i = close;
  }
  return out;
}

}  // namespace turbine::chat_template
