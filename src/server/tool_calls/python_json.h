// The text Python's json.dumps(value, ensure_ascii=False) writes, piece by piece.
//
// vLLM builds a tool call's "arguments" string with json.dumps(..., ensure_ascii=False), so
// clients see separators ", " and ": ", non-ASCII characters as themselves, control characters
// as \b \f \n \r \t or \u00XX (lowercase hex), floats as Python's repr (1.5, 1e-05, 1e+16, 100.0)
// and integers with all their digits. These helpers write those pieces; JsonNormalizer and the
// qwen3_coder parameter conversion put them together.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace turbine::server {

// One code point inside a JSON string as json.dumps writes it (without quotes): '"' and '\\'
// escaped, control characters escaped, a lone surrogate (which a JSON \u escape can produce) as
// its \udXXX escape, anything else as UTF-8.
void append_python_json_code_point(std::string& out, uint32_t code_point);

// The inside of a JSON string (no quotes) from UTF-8 text, byte by byte, so it can be written a
// piece at a time.
void append_python_json_escaped(std::string& out, std::string_view utf8);

// A whole JSON string (with its quotes) from UTF-8 text. Bytes that are not control characters,
// '"' or '\\' are copied as they are, so invalid UTF-8 passes through unchanged.
void append_python_json_string(std::string& out, std::string_view utf8);

// repr(float) as json.dumps writes a float: shortest round-trip digits, fixed notation for
// decimal exponents from -4 to 15 (with ".0" when integral), otherwise d.ddde+XX; NaN, Infinity,
// -Infinity for the non-finite values.
std::string python_float_repr(double value);

// The exact decimal digits of an integral, finite double (Python's int(value)); -0.0 gives "0".
std::string python_int_of_integral_double(double value);

}  // namespace turbine::server
