// A brute-force recognizer for structured::Grammar, independent of the compiler and matcher:
// whether a byte string is in the grammar's language (full match from the root). Tests check
// front ends against it and the compiled matcher against it. Memoized end-position sets per
// (expression, start); fine for strings of a few thousand bytes. Left recursion is not supported
// (a left-recursive reference contributes nothing while it is being computed).
#pragma once

#include <string_view>

#include "structured/grammar.h"

namespace turbine::structured::testing {

bool grammar_accepts(const Grammar& grammar, std::string_view text);

}  // namespace turbine::structured::testing
