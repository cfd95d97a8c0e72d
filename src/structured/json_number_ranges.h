// JSON numbers as grammar expressions: any number, integers in a range compiled exactly into
// digit-level alternatives (no leading zeros, no "-0"), and numbers in an interval with integer
// endpoints (decimal notation without exponent, a subset of the numbers in the interval).
#pragma once

#include <cstdint>
#include <optional>

#include "structured/grammar.h"

namespace turbine::structured::json_grammar {

// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
ExprId any_number(Grammar& g);

// Integers n with lo <= n <= hi (nullopt: unbounded on that side). nothing() when empty.
ExprId integer_range(Grammar& g, std::optional<int64_t> lo, std::optional<int64_t> hi);

struct Bound {
  int64_t value = 0;
  bool inclusive = true;
};
// Numbers x in the interval (lo / hi nullopt: unbounded) written without exponent; every x
// with lo <= x <= hi (or < for exclusive bounds) that has such a spelling is produced, nothing
// outside. nothing() when the interval is empty.
ExprId number_range(Grammar& g, std::optional<Bound> lo, std::optional<Bound> hi);

}  // namespace turbine::structured::json_grammar
