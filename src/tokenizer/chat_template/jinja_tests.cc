#include "tokenizer/chat_template/jinja_tests.h"

#include <fmt/format.h>

#include <cmath>
#include <unordered_map>

#include "tokenizer/chat_template/filters.h"
#include "tokenizer/chat_template/operators.h"
#include "tokenizer/chat_template/python_text.h"

namespace turbine::chat_template {
namespace {

const Value& one_arg(CallArgs& args, std::string_view test) {
  if (args.positional.size() != 1 || !args.keyword.empty()) {
    throw EvalError(fmt::format("test '{}' takes exactly one argument", test));
  }
  return args.positional[0];
}

void no_args(CallArgs& args, std::string_view test) {
  if (!args.positional.empty() || !args.keyword.empty()) {
    throw EvalError(fmt::format("test '{}' takes no arguments", test));
  }
}

bool test_defined(const Value& v, CallArgs& a) { no_args(a, "defined"); return !v.is_undefined(); }
bool test_undefined(const Value& v, CallArgs& a) { no_args(a, "undefined"); return v.is_undefined(); }
bool test_none(const Value& v, CallArgs& a) { no_args(a, "none"); return v.is_none(); }
bool test_boolean(const Value& v, CallArgs& a) { no_args(a, "boolean"); return v.is_bool(); }
bool test_true(const Value& v, CallArgs& a) { no_args(a, "true"); return v.is_bool() && v.as_bool(); }
bool test_false(const Value& v, CallArgs& a) { no_args(a, "false"); return v.is_bool() && !v.as_bool(); }
bool test_integer(const Value& v, CallArgs& a) { no_args(a, "integer"); return v.is_int(); }
bool test_float(const Value& v, CallArgs& a) { no_args(a, "float"); return v.is_float(); }
// Python's numbers.Number includes bool.
bool test_number(const Value& v, CallArgs& a) { no_args(a, "number"); return v.is_number(); }
bool test_string(const Value& v, CallArgs& a) { no_args(a, "string"); return v.is_string(); }
bool test_mapping(const Value& v, CallArgs& a) { no_args(a, "mapping"); return v.is_dict(); }
// iter() works on str, list, tuple, dict and (empty) Undefined.
bool test_iterable(const Value& v, CallArgs& a) {
  no_args(a, "iterable");
  return v.is_string() || v.is_list() || v.is_dict() || v.is_undefined();
}
bool test_sequence(const Value& v, CallArgs& a) {
  no_args(a, "sequence");
  return v.is_string() || v.is_list() || v.is_dict() || v.is_undefined();
}
bool test_callable(const Value& v, CallArgs& a) { no_args(a, "callable"); return v.is_callable(); }
bool test_escaped(const Value& v, CallArgs& a) { no_args(a, "escaped"); return false; }
bool test_lower(const Value& v, CallArgs& a) { no_args(a, "lower"); return text::is_lower(v.str()); }
bool test_upper(const Value& v, CallArgs& a) { no_args(a, "upper"); return text::is_upper(v.str()); }

bool integral_remainder(const Value& v, std::int64_t divisor, std::string_view test) {
  if (v.is_undefined()) throw_undefined(v);
  if (v.is_float()) return std::fmod(v.as_float(), static_cast<double>(divisor)) == 0.0;
  if (!v.is_int() && !v.is_bool()) throw EvalError(fmt::format("test '{}' needs a number, got {}", test, v.type_name()));
  return v.as_integral() % divisor == 0;
}
bool test_even(const Value& v, CallArgs& a) { no_args(a, "even"); return integral_remainder(v, 2, "even"); }
bool test_odd(const Value& v, CallArgs& a) { no_args(a, "odd"); return !integral_remainder(v, 2, "odd"); }
bool test_divisibleby(const Value& v, CallArgs& a) {
  const Value& n = one_arg(a, "divisibleby");
  const std::optional<std::int64_t> divisor = as_index(n);
  if (!divisor || *divisor == 0) throw EvalError("divisibleby needs a non-zero integer");
  return integral_remainder(v, *divisor, "divisibleby");
}

bool test_eq(const Value& v, CallArgs& a) { return compare_op(CompareOp::kEqual, v, one_arg(a, "eq")); }
bool test_ne(const Value& v, CallArgs& a) { return compare_op(CompareOp::kNotEqual, v, one_arg(a, "ne")); }
bool test_lt(const Value& v, CallArgs& a) { return compare_op(CompareOp::kLess, v, one_arg(a, "lt")); }
bool test_le(const Value& v, CallArgs& a) { return compare_op(CompareOp::kLessEqual, v, one_arg(a, "le")); }
bool test_gt(const Value& v, CallArgs& a) { return compare_op(CompareOp::kGreater, v, one_arg(a, "gt")); }
bool test_ge(const Value& v, CallArgs& a) { return compare_op(CompareOp::kGreaterEqual, v, one_arg(a, "ge")); }
bool test_in(const Value& v, CallArgs& a) { return contains(one_arg(a, "in"), v); }
bool test_sameas(const Value& v, CallArgs& a) { return v.same_as(one_arg(a, "sameas")); }
bool test_filter(const Value& v, CallArgs& a) { no_args(a, "filter"); return v.is_string() && find_filter(v.as_string()); }
bool test_test(const Value& v, CallArgs& a) { no_args(a, "test"); return v.is_string() && find_test(v.as_string()); }

const std::unordered_map<std::string_view, TestFn>& test_table() {
  static const std::unordered_map<std::string_view, TestFn> table = {
      {"boolean", test_boolean}, {"callable", test_callable}, {"defined", test_defined},
      {"divisibleby", test_divisibleby}, {"eq", test_eq}, {"equalto", test_eq}, {"==", test_eq},
      {"escaped", test_escaped}, {"even", test_even}, {"false", test_false}, {"filter", test_filter},
      {"float", test_float}, {"ge", test_ge}, {">=", test_ge}, {"gt", test_gt}, {">", test_gt},
      {"greaterthan", test_gt}, {"in", test_in}, {"integer", test_integer}, {"iterable", test_iterable},
      {"le", test_le}, {"<=", test_le}, {"lessthan", test_lt}, {"lower", test_lower}, {"lt", test_lt},
      {"<", test_lt}, {"mapping", test_mapping}, {"ne", test_ne}, {"!=", test_ne}, {"none", test_none},
      {"number", test_number}, {"odd", test_odd}, {"sameas", test_sameas}, {"sequence", test_sequence},
      {"string", test_string}, {"test", test_test}, {"true", test_true}, {"undefined", test_undefined},
      {"upper", test_upper},
  };
  return table;
}

}  // namespace

TestFn find_test(std::string_view name) {
  const auto& table = test_table();
  const auto it = table.find(name);
  return it == table.end() ? nullptr : it->second;
}

}  // namespace turbine::chat_template
