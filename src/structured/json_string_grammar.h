// JSON strings as grammar expressions: the characters (unescaped code points and every escape
// JSON has), length bounds in code points, a regex over the decoded text (JSON Schema "pattern")
// and the "format"s JSON Schema names, and object keys that avoid a given set of names.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "structured/grammar.h"

namespace turbine::structured::json_grammar {

// One character of a JSON string's contents, i.e. one code point: any scalar value except '"',
// '\\' and U+0000-U+001F raw, or an escape \" \\ \/ \b \f \n \r \t \uXXXX (XXXX not a surrogate)
// or a surrogate pair \uD8xx-\uDBxx \uDCxx-\uDFxx (one code point, as JSON parsers count it).
ExprId json_char(Grammar& g);

// A quoted JSON string of min..max characters (code points; max nullopt: unbounded). Counts are
// compiled with counted_repeat (<= kMaxCount each, checked by the caller).
ExprId json_string(Grammar& g, int min_length, std::optional<int> max_length);

// A quoted JSON string whose decoded text fully matches the regex `pattern` (add_regex's
// dialect). Characters JSON must escape are written escaped (\" \\ \n ... \u00XX).
ExprId json_string_matching(Grammar& g, std::string_view pattern);

// A JSON Schema "pattern" (ECMAScript search semantics: unanchored unless written with ^...$) as
// a full-match regex for json_string_matching. Throws Error for anchors it cannot place.
std::string pattern_as_full_match(std::string_view pattern);

// The full-match regex of a JSON Schema "format" (date, time, date-time, duration, email,
// hostname, ipv4, ipv6, uri, uuid), or nullopt for a format not supported. Each matches a
// subset of what ajv-formats' "full" mode accepts (e.g. hostnames of at most 3 labels, so that
// the 253-character limit holds without counting).
std::optional<std::string> format_regex(std::string_view format);

// A quoted object key of unescaped characters that is none of `names` (exact complement of the
// finite set, built as a trie over code points). Used for additionalProperties keys.
ExprId json_key_except(Grammar& g, const std::vector<std::string>& names);

}  // namespace turbine::structured::json_grammar
