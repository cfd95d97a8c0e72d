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
//
// Where the dialects disagree, the choice made (tested against PCRE2):
//  - A ']' right after '[' or '[^' is a literal (Python, PCRE), so ECMAScript's [] and [^] are
//    not available; [\b] is a backspace; a '-' first or last in a class is literal; a range
//    with a shorthand end ([a-\d], [\d-z]) and POSIX [:name:] are refused.
//  - \xHH takes exactly two hex digits, \uHHHH four (a surrogate pair written as two \u escapes
//    is one code point; a lone surrogate is refused), \0 must not be followed by a digit (no
//    octal). An escaped ASCII non-alphanumeric or any escaped non-ASCII character is itself; an
//    escaped letter or digit not listed above is refused. \p{..}/\P{..} are refused.
//  - A '{' that does not start {n}, {n,} or {n,m} is literal ("a{", "x{}", "a{1,x}"); {,m}, {,}
//    and bounds with spaces ({1, 2}) are refused (Python reads {,m} as {0,m}, PCRE2 10.43 and
//    Perl read {1, 2} as a quantifier; older PCRE2 and ECMAScript read both as text).
//  - '^' is accepted where nothing can have been consumed before it (the start of the pattern,
//    of a top-level alternative, or of groups that open there), '$' where nothing follows it; a
//    group containing either may not be repeated more than once.
//  - Groups nest at most 200 deep.
#pragma once

#include <string_view>

#include "structured/grammar.h"

namespace turbine::structured {

struct RegexOptions {
  // A quantifier with a number past this ({n}, {n,m}, and also the n of {n,}) is refused (it
  // would expand to that many copies); * and + are fine. Nested bounds multiply: the compiler's
  // state budget is what refuses (a{10000}){10000}.
  int max_repeat = 10000;
  // \s and \S as ECMAScript defines them (JSON Schema's "pattern" dialect): White_Space and the
  // line terminators, U+00A0, U+FEFF, U+2028... included. Off: the ASCII set (Python's re.ASCII).
  bool ecmascript_whitespace = false;
};

// Appends the expression matching exactly the strings `pattern` matches in full (as
// re.fullmatch) to `grammar`; `pattern` is UTF-8 (invalid UTF-8 is an error). Throws
// turbine::Error "regex: <what> at offset N" on anything invalid or unsupported.
ExprId add_regex(Grammar& grammar, std::string_view pattern, const RegexOptions& options = {});

// A whole grammar whose root matches `pattern`.
Grammar regex_grammar(std::string_view pattern, const RegexOptions& options = {});

}  // namespace turbine::structured
