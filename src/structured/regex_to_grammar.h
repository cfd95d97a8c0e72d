// Regular expressions to grammar expressions: guided_regex / structured_outputs.regex, JSON
// Schema's "pattern", and regex terminals inside EBNF grammars.
//
// The dialect is the common core of Python `re`, ECMAScript and PCRE that real schemas and
// vLLM clients use: literals and escapes (\n \t \r \f \v \0 \xHH \uHHHH \u{H..} \/ and escaped
// metacharacters), `.` (any code point except \n), classes [...] with ranges, negation and the
// shorthands \d \w \s \D \W \S (ASCII meanings, as Python's re.ASCII and JavaScript without the
// u flag's Unicode extensions), groups (...), (?:...), named groups (?P<n>...) / (?<n>...),
// alternation, the quantifiers * + ? {n} {n,} {n,m} and their lazy forms (laziness does not
// change the language), and the anchors ^ at the start and $ at the end (matching is always of
// the whole string, so they are accepted there and refused elsewhere). Anything else (lookaround,
// backreferences, \b, possessive quantifiers, inline flags) is a turbine::Error that names the
// construct and its offset: never silently a different language.
#pragma once

#include <string_view>

#include "structured/grammar.h"

namespace turbine::structured {

struct RegexOptions {
  // A bounded quantifier whose max exceeds this is refused (it would expand to that many copies);
  // an unbounded one is fine at any size.
  int max_repeat = 10000;
};

// Appends the expression matching exactly the strings `pattern` matches in full (as
// re.fullmatch) to `grammar`; `pattern` is UTF-8 (invalid UTF-8 is an error). Throws
// turbine::Error "regex: <what> at offset N" on anything invalid or unsupported.
ExprId add_regex(Grammar& grammar, std::string_view pattern, const RegexOptions& options = {});

// A whole grammar whose root matches `pattern`.
Grammar regex_grammar(std::string_view pattern, const RegexOptions& options = {});

}  // namespace turbine::structured
