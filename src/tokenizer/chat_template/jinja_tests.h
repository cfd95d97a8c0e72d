// Jinja2's built-in tests, used as `x is name` / `x is name(arg)` and by select/selectattr.
//
// boolean callable defined divisibleby eq equalto escaped even false filter float ge gt
// greaterthan in integer iterable le lessthan lower lt mapping ne none number odd sameas
// sequence string test true undefined upper, and the operator aliases == != < <= > >=.
// Semantics are Python's: `True is number`, a dict `is iterable`, Undefined `is iterable`.
#pragma once

#include <string_view>

#include "tokenizer/chat_template/ast.h"

namespace turbine::chat_template {

// nullptr when no test has that name.
TestFn find_test(std::string_view name);

}  // namespace turbine::chat_template
