// Python/Jinja2 semantics of attribute access, subscripts, operators, iteration and len().
//
// These mirror what Jinja2's ImmutableSandboxedEnvironment (what transformers renders with) does
// with Python objects: `obj.name` prefers a method of the object over a dict key, a missing key
// or index is Undefined rather than an error, `'a' + 1` is a TypeError, `//` and `%` round toward
// negative infinity. Using Undefined in an operation, or taking an attribute or item of it, raises
// the reason it is undefined ("'dict object' has no attribute 'x'"), as Jinja2's default
// Undefined does (@huggingface/jinja is more lenient there). Failures throw EvalError.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "tokenizer/chat_template/ast.h"
#include "tokenizer/chat_template/value.h"

namespace turbine::chat_template {

[[noreturn]] void throw_undefined(const Value& value);

Value get_attribute(const Value& object, std::string_view name);  // object.name
Value get_item(const Value& object, const Value& key);            // object[key]
Value slice_value(const Value& object, const Value& start, const Value& stop, const Value& step);

// Arithmetic and `~`; not `and`/`or`, which short-circuit in the interpreter.
Value binary_op(BinaryOp op, const Value& left, const Value& right);
bool compare_op(CompareOp op, const Value& left, const Value& right);
bool contains(const Value& container, const Value& item);  // `item in container`
Value negate(const Value& value);                          // unary minus

// Items of a for loop or filter input: list items, dict keys, string characters; Undefined is
// empty. Anything else throws "'int' object is not iterable".
std::vector<Value> iterate(const Value& value);
std::int64_t length_of(const Value& value);  // Python len()

// Python int(x) for an index-like value; nullopt if it is not an int or bool.
std::optional<std::int64_t> as_index(const Value& value);

}  // namespace turbine::chat_template
