// Python string formatting: `"%s: %d" % (a, b)` (and Jinja's `format` filter), and
// `"{}: {:>4}".format(a, b)`.
//
// Covers the conversions templates use: %s %r %d %i %f %e %g %x %o %c %% with flags, width and
// precision; str.format fields by position, by name, with attribute/index lookups, !s/!r and the
// common format-spec subset ([[fill]align][sign][#][0][width][,][.precision][type]).
// Errors throw EvalError with Python's wording.
#pragma once

#include <string>

#include "tokenizer/chat_template/value.h"

namespace turbine::chat_template {

// `format % args`: a tuple supplies positional values, a dict named ones, anything else is
// the single value.
std::string percent_format(const std::string& format, const Value& args);
std::string brace_format(const std::string& format, CallArgs& args);

}  // namespace turbine::chat_template
