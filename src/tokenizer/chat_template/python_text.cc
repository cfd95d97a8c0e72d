#include "tokenizer/chat_template/python_text.h"

#include <utf8proc.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>

namespace turbine::chat_template::text {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

bool is_continuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

utf8proc_category_t category(char32_t c) {
  return static_cast<utf8proc_category_t>(utf8proc_category(static_cast<utf8proc_int32_t>(c)));
}

bool is_cased(char32_t c) {
  const auto cat = category(c);
  return cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LL || cat == UTF8PROC_CATEGORY_LT;
}

char32_t upper_of(char32_t c) {
  return static_cast<char32_t>(utf8proc_toupper(static_cast<utf8proc_int32_t>(c)));
}
char32_t lower_of(char32_t c) {
  return static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c)));
}
char32_t title_of(char32_t c) {
  return static_cast<char32_t>(utf8proc_totitle(static_cast<utf8proc_int32_t>(c)));
}

template <typename Map>
std::string map_code_points(std::string_view s, Map map) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t pos = 0; pos < s.size();) {
    const CodePoint cp = decode(s, pos);
    if (cp.value == kReplacement && cp.size == 1) {
      out.push_back(s[pos]);  // keep invalid bytes as they were
    } else {
      append_utf8(out, map(cp.value));
    }
    pos += cp.size;
  }
  return out;
}

bool is_line_break(char32_t c) {
  switch (c) {
    case '\n': case '\r': case 0x0B: case 0x0C: case 0x1C: case 0x1D: case 0x1E: case 0x85:
    case 0x2028: case 0x2029:
      return true;
    default:
      return false;
  }
}

bool is_printable(char32_t c) {
  if (c == ' ') return true;
  switch (category(c)) {
    case UTF8PROC_CATEGORY_CC: case UTF8PROC_CATEGORY_CF: case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_CO: case UTF8PROC_CATEGORY_CN: case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP: case UTF8PROC_CATEGORY_ZS:
      return false;
    default:
      return true;
  }
}

void append_hex(std::string& out, const char* prefix, std::uint32_t value, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += prefix;
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) out.push_back(kHex[(value >> shift) & 0xF]);
}

}  // namespace

CodePoint decode(std::string_view s, std::size_t pos) {
  utf8proc_int32_t value = 0;
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(s.data() + pos);
  const utf8proc_ssize_t n = utf8proc_iterate(bytes, static_cast<utf8proc_ssize_t>(s.size() - pos), &value);
  if (n <= 0) return {kReplacement, 1};
  return {static_cast<char32_t>(value), static_cast<std::size_t>(n)};
}

void append_utf8(std::string& out, char32_t code_point) {
  utf8proc_uint8_t buffer[4];
  const utf8proc_ssize_t n = utf8proc_encode_char(static_cast<utf8proc_int32_t>(code_point), buffer);
  out.append(reinterpret_cast<const char*>(buffer), static_cast<std::size_t>(n));
}

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

std::size_t length(std::string_view s) {
  if (is_ascii(s)) return s.size();
  std::size_t n = 0;
  for (std::size_t pos = 0; pos < s.size(); pos += decode(s, pos).size) ++n;
  return n;
}

std::vector<std::size_t> code_point_offsets(std::string_view s) {
  std::vector<std::size_t> offsets;
  offsets.reserve(s.size() + 1);
  for (std::size_t pos = 0; pos < s.size(); pos += decode(s, pos).size) offsets.push_back(pos);
  offsets.push_back(s.size());
  return offsets;
}

std::vector<char32_t> code_points(std::string_view s) {
  std::vector<char32_t> out;
  out.reserve(s.size());
  for (std::size_t pos = 0; pos < s.size();) {
    const CodePoint cp = decode(s, pos);
    out.push_back(cp.value);
    pos += cp.size;
  }
  return out;
}

bool is_space(char32_t c) {
  switch (c) {
    case '\t': case '\n': case 0x0B: case 0x0C: case '\r': case 0x1C: case 0x1D: case 0x1E:
    case 0x1F: case ' ': case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029:
    case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

bool is_word(char32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  switch (category(c)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
      return true;
    default:
      return false;
  }
}

std::string to_upper(std::string_view s) { return map_code_points(s, upper_of); }
std::string to_lower(std::string_view s) { return map_code_points(s, lower_of); }

std::string swap_case(std::string_view s) {
  return map_code_points(s, [](char32_t c) {
    const auto cat = category(c);
    if (cat == UTF8PROC_CATEGORY_LU) return lower_of(c);
    if (cat == UTF8PROC_CATEGORY_LL) return upper_of(c);
    return c;
  });
}

std::string capitalize(std::string_view s) {
  bool first = true;
  return map_code_points(s, [&first](char32_t c) {
    const char32_t mapped = first ? title_of(c) : lower_of(c);
    first = false;
    return mapped;
  });
}

std::string title(std::string_view s) {
  bool previous_cased = false;
  return map_code_points(s, [&previous_cased](char32_t c) {
    const char32_t mapped = previous_cased ? lower_of(c) : title_of(c);
    previous_cased = is_cased(c);
    return mapped;
  });
}

bool is_lower(std::string_view s) {
  bool cased = false;
  for (char32_t c : code_points(s)) {
    const auto cat = category(c);
    if (cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LT) return false;
    if (cat == UTF8PROC_CATEGORY_LL) cased = true;
  }
  return cased;
}

bool is_upper(std::string_view s) {
  bool cased = false;
  for (char32_t c : code_points(s)) {
    const auto cat = category(c);
    if (cat == UTF8PROC_CATEGORY_LL || cat == UTF8PROC_CATEGORY_LT) return false;
    if (cat == UTF8PROC_CATEGORY_LU) cased = true;
  }
  return cased;
}

std::string strip(std::string_view s, std::optional<std::string_view> chars, StripSide side) {
  std::vector<char32_t> set;
  if (chars) set = code_points(*chars);
  auto strippable = [&](char32_t c) {
    return chars ? std::find(set.begin(), set.end(), c) != set.end() : is_space(c);
  };
  const std::vector<std::size_t> offsets = code_point_offsets(s);
  std::size_t begin = 0;
  std::size_t end = offsets.size() - 1;  // index of the end sentinel
  if (side != StripSide::kRight) {
    while (begin < end && strippable(decode(s, offsets[begin]).value)) ++begin;
  }
  if (side != StripSide::kLeft) {
    while (end > begin && strippable(decode(s, offsets[end - 1]).value)) --end;
  }
  return std::string(s.substr(offsets[begin], offsets[end] - offsets[begin]));
}

std::string_view rstrip_space(std::string_view s) {
  std::size_t end = s.size();
  while (end > 0) {
    std::size_t start = end - 1;
    while (start > 0 && is_continuation(static_cast<unsigned char>(s[start])) && end - start < 4) --start;
    const CodePoint cp = decode(s, start);
    if (start + cp.size != end || !is_space(cp.value)) break;
    end = start;
  }
  return s.substr(0, end);
}

std::string_view lstrip_space(std::string_view s) {
  std::size_t pos = 0;
  while (pos < s.size()) {
    const CodePoint cp = decode(s, pos);
    if (!is_space(cp.value)) break;
    pos += cp.size;
  }
  return s.substr(pos);
}

std::vector<std::string> split(std::string_view s, std::optional<std::string_view> sep,
                               long long maxsplit) {
  std::vector<std::string> parts;
  if (sep) {
    std::size_t start = 0;
    while (maxsplit < 0 || static_cast<long long>(parts.size()) < maxsplit) {
      const std::size_t found = s.find(*sep, start);
      if (found == std::string_view::npos) break;
      parts.emplace_back(s.substr(start, found - start));
      start = found + sep->size();
    }
    parts.emplace_back(s.substr(start));
    return parts;
  }
  std::size_t pos = 0;
  auto skip_space = [&] {
    while (pos < s.size()) {
      const CodePoint cp = decode(s, pos);
      if (!is_space(cp.value)) break;
      pos += cp.size;
    }
  };
  skip_space();
  while (pos < s.size()) {
    if (maxsplit >= 0 && static_cast<long long>(parts.size()) >= maxsplit) {
      parts.emplace_back(s.substr(pos));  // the rest, trailing whitespace included
      return parts;
    }
    const std::size_t start = pos;
    while (pos < s.size()) {
      const CodePoint cp = decode(s, pos);
      if (is_space(cp.value)) break;
      pos += cp.size;
    }
    parts.emplace_back(s.substr(start, pos - start));
    skip_space();
  }
  return parts;
}

std::vector<std::string> rsplit(std::string_view s, std::optional<std::string_view> sep,
                                long long maxsplit) {
  if (maxsplit < 0) return split(s, sep, maxsplit);
  std::vector<std::string> parts;
  if (sep) {
    std::size_t end = s.size();
    while (static_cast<long long>(parts.size()) < maxsplit && end >= sep->size()) {
      const std::size_t found = s.rfind(*sep, end - sep->size());
      if (found == std::string_view::npos) break;
      parts.emplace_back(s.substr(found + sep->size(), end - found - sep->size()));
      end = found;
    }
    parts.emplace_back(s.substr(0, end));
  } else {
    const std::vector<std::size_t> offsets = code_point_offsets(s);
    std::size_t end = offsets.size() - 1;
    auto space_at = [&](std::size_t i) { return is_space(decode(s, offsets[i]).value); };
    while (end > 0 && space_at(end - 1)) --end;
    while (end > 0) {
      if (static_cast<long long>(parts.size()) >= maxsplit) {
        parts.emplace_back(s.substr(0, offsets[end]));
        break;
      }
      std::size_t start = end;
      while (start > 0 && !space_at(start - 1)) --start;
      parts.emplace_back(s.substr(offsets[start], offsets[end] - offsets[start]));
      end = start;
      while (end > 0 && space_at(end - 1)) --end;
    }
  }
  std::reverse(parts.begin(), parts.end());
  return parts;
}

std::vector<std::string> splitlines(std::string_view s) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  std::size_t pos = 0;
  while (pos < s.size()) {
    const CodePoint cp = decode(s, pos);
    if (is_line_break(cp.value)) {
      lines.emplace_back(s.substr(start, pos - start));
      pos += cp.size;
      if (cp.value == '\r' && pos < s.size() && s[pos] == '\n') ++pos;
      start = pos;
    } else {
      pos += cp.size;
    }
  }
  if (start < s.size()) lines.emplace_back(s.substr(start));
  return lines;
}

std::string replace(std::string_view s, std::string_view old_text, std::string_view new_text,
                    long long count) {
  std::string out;
  long long done = 0;
  auto budget_left = [&] { return count < 0 || done < count; };
  if (old_text.empty()) {
    // Python inserts the replacement before every code point and at the end.
    std::size_t pos = 0;
    while (pos < s.size()) {
      if (budget_left()) {
        out += new_text;
        ++done;
      }
      const std::size_t size = decode(s, pos).size;
      out += s.substr(pos, size);
      pos += size;
    }
    if (budget_left()) out += new_text;
    return out;
  }
  std::size_t start = 0;
  while (budget_left()) {
    const std::size_t found = s.find(old_text, start);
    if (found == std::string_view::npos) break;
    out += s.substr(start, found - start);
    out += new_text;
    start = found + old_text.size();
    ++done;
  }
  out += s.substr(start);
  return out;
}

std::string float_repr(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::scientific);
  const std::string_view sci(buffer, static_cast<std::size_t>(result.ptr - buffer));
  // sci looks like "-1.2345e+02": split into sign, digits and exponent.
  const bool negative = sci.front() == '-';
  const std::size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(negative ? 1 : 0, e - (negative ? 1 : 0))) {
    if (c != '.') digits.push_back(c);
  }
  int exponent = 0;
  std::from_chars(sci.data() + e + 1 + (sci[e + 1] == '+' ? 1 : 0), sci.data() + sci.size(), exponent);
  const int decimal_point = exponent + 1;  // digits before the decimal point
  std::string out = negative ? "-" : "";
  if (decimal_point > -4 && decimal_point <= 16) {
    const int n = static_cast<int>(digits.size());
    if (decimal_point <= 0) {
      out += "0.";
      out.append(static_cast<std::size_t>(-decimal_point), '0');
      out += digits;
    } else if (decimal_point >= n) {
      out += digits + std::string(static_cast<std::size_t>(decimal_point - n), '0') + ".0";
    } else {
      out += digits.substr(0, static_cast<std::size_t>(decimal_point)) + "." +
             digits.substr(static_cast<std::size_t>(decimal_point));
    }
    return out;
  }
  out += digits.substr(0, 1);
  if (digits.size() > 1) {
    out += '.';
    out.append(digits, 1);
  }
  out += exponent < 0 ? "e-" : "e+";
  const int magnitude = exponent < 0 ? -exponent : exponent;
  if (magnitude < 10) out += "0";
  out += std::to_string(magnitude);
  return out;
}

std::string string_repr(std::string_view s) {
  const bool use_double = s.find('\'') != std::string_view::npos && s.find('"') == std::string_view::npos;
  const char quote = use_double ? '"' : '\'';
  std::string out(1, quote);
  for (std::size_t pos = 0; pos < s.size();) {
    const CodePoint cp = decode(s, pos);
    const char32_t c = cp.value;
    if (c == static_cast<char32_t>(quote) || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7F) {
      append_hex(out, "\\x", c, 2);
    } else if (c < 0x7F) {
      out.push_back(static_cast<char>(c));
    } else if (is_printable(c)) {
      out.append(s.substr(pos, cp.size));
    } else if (c < 0x100) {
      append_hex(out, "\\x", c, 2);
    } else if (c < 0x10000) {
      append_hex(out, "\\u", c, 4);
    } else {
      append_hex(out, "\\U", c, 8);
    }
    pos += cp.size;
  }
  out.push_back(quote);
  return out;
}

void append_json_string(std::string& out, std::string_view s, bool ensure_ascii) {
  out.push_back('"');
  for (std::size_t pos = 0; pos < s.size();) {
    const unsigned char byte = static_cast<unsigned char>(s[pos]);
    if (byte >= 0x80) {
      const CodePoint cp = decode(s, pos);
      if (!ensure_ascii) {
        out.append(s.substr(pos, cp.size));
      } else if (cp.value < 0x10000) {
        append_hex(out, "\\u", cp.value, 4);
      } else {
        const char32_t v = cp.value - 0x10000;
        append_hex(out, "\\u", 0xD800 + (v >> 10), 4);
        append_hex(out, "\\u", 0xDC00 + (v & 0x3FF), 4);
      }
      pos += cp.size;
      continue;
    }
    switch (byte) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (byte < 0x20 || (ensure_ascii && byte == 0x7F)) {
          append_hex(out, "\\u", byte, 4);
        } else {
          out.push_back(static_cast<char>(byte));
        }
    }
    ++pos;
  }
  out.push_back('"');
}

}  // namespace turbine::chat_template::text
