// Left recursion in a Grammar: a rule that can reach itself again before consuming a byte
// (`expr ::= expr "+" term`, or through other rules and nullable prefixes). The compiler refuses
// such grammars; the EBNF front ends find them first to name the rule and where it is defined.
#pragma once

#include <string>
#include <vector>

#include "structured/grammar.h"

namespace turbine::structured::ebnf {

// Which rules can match the empty string (a fixpoint over the rules).
std::vector<bool> nullable_rules(const Grammar& grammar);

// A left-recursive cycle of rules (first rule repeated at the end: expr, expr), the one starting
// at the earliest rule in `order` that is on one; empty when there is none.
std::vector<RuleId> find_left_recursion(const Grammar& grammar, const std::vector<RuleId>& order);

}  // namespace turbine::structured::ebnf
