// Python string semantics over UTF-8 `std::string`s.
//
// Chat templates are written for Python's Jinja2, so string operations must behave like Python's
// `str`: lengths and indices count code points, `strip()` strips Unicode whitespace, floats print
// as `repr(float)` does. Strings stay UTF-8 bytes; invalid bytes decode as one code point each
// (U+FFFD) and are copied through unchanged, so nothing here ever throws on bad input.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace turbine::chat_template::text {

struct CodePoint {
  char32_t value;
  std::size_t size;  // bytes consumed
};

// Decodes the code point starting at byte `pos` (< s.size()).
CodePoint decode(std::string_view s, std::size_t pos);
void append_utf8(std::string& out, char32_t code_point);
bool is_ascii(std::string_view s);
// Number of code points (Python len()).
std::size_t length(std::string_view s);
// Byte offset of every code point, plus s.size() at the end (size length(s) + 1).
std::vector<std::size_t> code_point_offsets(std::string_view s);
std::vector<char32_t> code_points(std::string_view s);

// Python str.isspace() for one code point.
bool is_space(char32_t c);
// Python's \w: letters, digits and underscore.
bool is_word(char32_t c);

std::string to_upper(std::string_view s);
std::string to_lower(std::string_view s);
std::string swap_case(std::string_view s);
std::string capitalize(std::string_view s);   // str.capitalize()
std::string title(std::string_view s);        // str.title()
bool is_lower(std::string_view s);            // str.islower()
bool is_upper(std::string_view s);            // str.isupper()

enum class StripSide { kBoth, kLeft, kRight };
// str.strip/lstrip/rstrip: `chars` absent strips whitespace, else any of its code points.
std::string strip(std::string_view s, std::optional<std::string_view> chars, StripSide side);
// Trailing / leading whitespace removal used by whitespace control ({%- and -%}).
std::string_view rstrip_space(std::string_view s);
std::string_view lstrip_space(std::string_view s);

// str.split(sep, maxsplit) and str.rsplit; sep absent splits on whitespace runs.
std::vector<std::string> split(std::string_view s, std::optional<std::string_view> sep,
                               long long maxsplit);
std::vector<std::string> rsplit(std::string_view s, std::optional<std::string_view> sep,
                                long long maxsplit);
// str.splitlines() (keepends=False).
std::vector<std::string> splitlines(std::string_view s);
// str.replace(old, new, count); count < 0 means all.
std::string replace(std::string_view s, std::string_view old_text, std::string_view new_text,
                    long long count);

// repr(float): shortest round-trip digits, "1.0" for integral values, exponent outside 1e-4..1e16.
std::string float_repr(double value);
// repr(str): quoted and escaped the way Python prints a string inside a list or dict.
std::string string_repr(std::string_view s);
// A JSON string literal as Python's json.dumps writes it.
void append_json_string(std::string& out, std::string_view s, bool ensure_ascii);

}  // namespace turbine::chat_template::text
