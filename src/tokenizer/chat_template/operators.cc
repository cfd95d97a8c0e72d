#include "tokenizer/chat_template/operators.h"

#include <fmt/format.h>

#include <cmath>

#include "tokenizer/chat_template/methods.h"
#include "tokenizer/chat_template/python_text.h"
#include "tokenizer/chat_template/string_format.h"

namespace turbine::chat_template {
namespace {

// Guards `'x' * n` and friends: Python would build it, but a server should not.
constexpr std::int64_t kMaxRepeatBytes = std::int64_t{64} << 20;

[[noreturn]] void throw_operand_error(std::string_view op, const Value& a, const Value& b) {
  if (a.is_undefined()) throw_undefined(a);
  if (b.is_undefined()) throw_undefined(b);
  throw EvalError(fmt::format("unsupported operand type(s) for {}: '{}' and '{}'", op, a.type_name(), b.type_name()));
}

std::int64_t checked(bool overflow, std::int64_t value) {
  if (overflow) throw EvalError("integer overflow");
  return value;
}

std::int64_t checked_add(std::int64_t a, std::int64_t b) {
  std::int64_t r;
  if (__builtin_add_overflow(a, b, &r)) throw EvalError("integer overflow");
  return r;
}

std::int64_t checked_sub(std::int64_t a, std::int64_t b) {
  std::int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) throw EvalError("integer overflow");
  return r;
}

std::int64_t checked_mul(std::int64_t a, std::int64_t b) {
  std::int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) throw EvalError("integer overflow");
  return r;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  if (b == -1) return checked(a == INT64_MIN, -a);
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

std::int64_t floor_mod(std::int64_t a, std::int64_t b) {
  if (b == -1) return 0;
  std::int64_t r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

double float_mod(double a, double b) {
  double r = std::fmod(a, b);
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

Value repeat(const Value& sequence, std::int64_t count) {
  if (count < 0) count = 0;
  if (sequence.is_string()) {
    const std::string& s = sequence.as_string();
    if (!s.empty() && count > kMaxRepeatBytes / static_cast<std::int64_t>(s.size())) {
      throw EvalError("string repetition result is too large");
    }
    std::string out;
    out.reserve(s.size() * static_cast<std::size_t>(count));
    for (std::int64_t i = 0; i < count; ++i) out += s;
    return Value::string(std::move(out));
  }
  const List& list = sequence.as_list();
  if (!list.items.empty() && count > kMaxRepeatBytes / static_cast<std::int64_t>(list.items.size())) {
    throw EvalError("list repetition result is too large");
  }
  std::vector<Value> items;
  for (std::int64_t i = 0; i < count; ++i) items.insert(items.end(), list.items.begin(), list.items.end());
  return list.is_tuple ? Value::tuple(std::move(items)) : Value::list(std::move(items));
}

// Python's slice index clamping (PySlice_AdjustIndices).
std::int64_t clamp_slice_index(const Value& index, std::int64_t length, std::int64_t step, bool is_start) {
  if (index.is_none() || index.is_undefined()) {
    if (step > 0) return is_start ? 0 : length;
    return is_start ? length - 1 : -1;
  }
  const std::optional<std::int64_t> i = as_index(index);
  if (!i) throw EvalError("slice indices must be integers or None");
  std::int64_t v = *i;
  if (v < 0) {
    v += length;
    if (v < 0) v = step < 0 ? -1 : 0;
  } else if (v >= length) {
    v = step < 0 ? length - 1 : length;
  }
  return v;
}

std::vector<std::int64_t> slice_indices(std::int64_t length, const Value& start, const Value& stop, const Value& step) {
  std::int64_t s = 1;
  if (!step.is_none() && !step.is_undefined()) {
    const std::optional<std::int64_t> v = as_index(step);
    if (!v) throw EvalError("slice indices must be integers or None");
    if (*v == 0) throw EvalError("slice step cannot be zero");
    s = *v;
  }
  const std::int64_t begin = clamp_slice_index(start, length, s, true);
  const std::int64_t end = clamp_slice_index(stop, length, s, false);
  std::vector<std::int64_t> out;
  for (std::int64_t i = begin; s > 0 ? i < end : i > end; i += s) out.push_back(i);
  return out;
}

bool is_unsafe_method(const Value& object, std::string_view name) {
  // ImmutableSandboxedEnvironment refuses methods that mutate lists and dicts. (`append` is
  // allowed here on purpose: templates written for other engines use it on namespace lists.)
  if (object.is_dict()) {
    return name == "pop" || name == "popitem" || name == "setdefault" || name == "update" || name == "clear";
  }
  if (object.is_list()) {
    return name == "pop" || name == "extend" || name == "insert" || name == "remove" || name == "reverse" ||
           name == "sort" || name == "clear";
  }
  return false;
}

std::string object_description(const Value& object) { return fmt::format("'{} object'", object.type_name()); }

}  // namespace

void throw_undefined(const Value& value) {
  const std::string& hint = value.is_undefined() ? value.undefined_hint() : std::string();
  throw EvalError(hint.empty() ? "an undefined value was used" : hint);
}

std::optional<std::int64_t> as_index(const Value& value) {
  if (value.is_int() || value.is_bool()) return value.as_integral();
  return std::nullopt;
}

Value get_attribute(const Value& object, std::string_view name) {
  if (is_unsafe_method(object, name)) {
    return Value::undefined(fmt::format("access to attribute '{}' of {} is unsafe", name, object_description(object)));
  }
  if (has_method(object, name)) return bind_method(object, name);
  switch (object.kind()) {
    case Value::Kind::kDict:
      if (const Value* found = object.as_dict().find(name)) return *found;
      break;
    case Value::Kind::kNamespace:
      if (const Value* found = object.as_namespace().attributes.find(name)) return *found;
      break;
    case Value::Kind::kUndefined:
      throw_undefined(object);
    default:
      break;
  }
  return Value::undefined(fmt::format("{} has no attribute '{}'", object_description(object), name));
}

Value get_item(const Value& object, const Value& key) {
  switch (object.kind()) {
    case Value::Kind::kUndefined:
      throw_undefined(object);
    case Value::Kind::kDict:
      if (key.is_string()) {
        if (const Value* found = object.as_dict().find(key.as_string())) return *found;
      }
      break;
    case Value::Kind::kList: {
      if (const std::optional<std::int64_t> index = as_index(key)) {
        const auto& items = object.as_list().items;
        const std::int64_t n = static_cast<std::int64_t>(items.size());
        const std::int64_t i = *index < 0 ? *index + n : *index;
        if (i >= 0 && i < n) return items[static_cast<std::size_t>(i)];
        return Value::undefined(fmt::format("{} object has no element {}", object.type_name(), *index));
      }
      break;
    }
    case Value::Kind::kString: {
      if (const std::optional<std::int64_t> index = as_index(key)) {
        const std::string& s = object.as_string();
        const std::vector<std::size_t> offsets = text::code_point_offsets(s);
        const std::int64_t n = static_cast<std::int64_t>(offsets.size()) - 1;
        const std::int64_t i = *index < 0 ? *index + n : *index;
        if (i >= 0 && i < n) {
          const auto k = static_cast<std::size_t>(i);
          return Value::string(s.substr(offsets[k], offsets[k + 1] - offsets[k]));
        }
        return Value::undefined(fmt::format("str object has no element {}", *index));
      }
      break;
    }
    default:
      break;
  }
  // Jinja2 falls back to an attribute when subscripting with a string fails.
  if (key.is_string()) return get_attribute(object, key.as_string());
  return Value::undefined(fmt::format("{} object has no element {}", object.type_name(), key.repr()));
}

Value slice_value(const Value& object, const Value& start, const Value& stop, const Value& step) {
  if (object.is_list()) {
    const auto& items = object.as_list().items;
    std::vector<Value> out;
    for (std::int64_t i : slice_indices(static_cast<std::int64_t>(items.size()), start, stop, step)) {
      out.push_back(items[static_cast<std::size_t>(i)]);
    }
    return object.as_list().is_tuple ? Value::tuple(std::move(out)) : Value::list(std::move(out));
  }
  if (object.is_string()) {
    const std::string& s = object.as_string();
    const std::vector<std::size_t> offsets = text::code_point_offsets(s);
    std::string out;
    for (std::int64_t i : slice_indices(static_cast<std::int64_t>(offsets.size()) - 1, start, stop, step)) {
      const auto k = static_cast<std::size_t>(i);
      out.append(s, offsets[k], offsets[k + 1] - offsets[k]);
    }
    return Value::string(std::move(out));
  }
  if (object.is_undefined()) throw_undefined(object);
  return Value::undefined(fmt::format("{} cannot be sliced", object_description(object)));
}

Value binary_op(BinaryOp op, const Value& a, const Value& b) {
  const bool both_ints = (a.is_int() || a.is_bool()) && (b.is_int() || b.is_bool());
  const bool both_numbers = a.is_number() && b.is_number();
  switch (op) {
    case BinaryOp::kAdd:
      if (both_ints) return Value::integer(checked_add(a.as_integral(), b.as_integral()));
      if (both_numbers) return Value::floating(a.as_double() + b.as_double());
      if (a.is_string() && b.is_string()) return Value::string(a.as_string() + b.as_string());
      if (a.is_list() && b.is_list() && a.as_list().is_tuple == b.as_list().is_tuple) {
        std::vector<Value> items = a.as_list().items;
        items.insert(items.end(), b.as_list().items.begin(), b.as_list().items.end());
        return a.as_list().is_tuple ? Value::tuple(std::move(items)) : Value::list(std::move(items));
      }
      throw_operand_error("+", a, b);
    case BinaryOp::kSubtract:
      if (both_ints) return Value::integer(checked_sub(a.as_integral(), b.as_integral()));
      if (both_numbers) return Value::floating(a.as_double() - b.as_double());
      throw_operand_error("-", a, b);
    case BinaryOp::kMultiply:
      if (both_ints) return Value::integer(checked_mul(a.as_integral(), b.as_integral()));
      if (both_numbers) return Value::floating(a.as_double() * b.as_double());
      if ((a.is_string() || a.is_list()) && (b.is_int() || b.is_bool())) return repeat(a, b.as_integral());
      if ((b.is_string() || b.is_list()) && (a.is_int() || a.is_bool())) return repeat(b, a.as_integral());
      throw_operand_error("*", a, b);
    case BinaryOp::kDivide:
      if (both_numbers) {
        if (b.as_double() == 0.0) throw EvalError("division by zero");
        return Value::floating(a.as_double() / b.as_double());
      }
      throw_operand_error("/", a, b);
    case BinaryOp::kFloorDivide:
      if (both_ints) {
        if (b.as_integral() == 0) throw EvalError("integer division or modulo by zero");
        return Value::integer(floor_div(a.as_integral(), b.as_integral()));
      }
      if (both_numbers) {
        if (b.as_double() == 0.0) throw EvalError("float floor division by zero");
        return Value::floating(std::floor(a.as_double() / b.as_double()));
      }
      throw_operand_error("//", a, b);
    case BinaryOp::kModulo:
      if (both_ints) {
        if (b.as_integral() == 0) throw EvalError("integer division or modulo by zero");
        return Value::integer(floor_mod(a.as_integral(), b.as_integral()));
      }
      if (both_numbers) {
        if (b.as_double() == 0.0) throw EvalError("float modulo");
        return Value::floating(float_mod(a.as_double(), b.as_double()));
      }
      if (a.is_string()) return Value::string(percent_format(a.as_string(), b));
      throw_operand_error("%", a, b);
    case BinaryOp::kPower:
      if (both_ints && b.as_integral() >= 0) {
        std::int64_t result = 1;
        std::int64_t base = a.as_integral();
        for (std::int64_t e = b.as_integral(); e > 0; e >>= 1) {
          if (e & 1) result = checked_mul(result, base);
          if (e > 1) base = checked_mul(base, base);
        }
        return Value::integer(result);
      }
      if (both_numbers) {
        if (a.as_double() == 0.0 && b.as_double() < 0) throw EvalError("0.0 cannot be raised to a negative power");
        return Value::floating(std::pow(a.as_double(), b.as_double()));
      }
      throw_operand_error("**", a, b);
    case BinaryOp::kConcat:
      return Value::string(a.str() + b.str());
    case BinaryOp::kAnd:
    case BinaryOp::kOr:
      break;  // the interpreter short-circuits these
  }
  throw EvalError("internal error: unexpected binary operator");
}

bool compare_op(CompareOp op, const Value& a, const Value& b) {
  switch (op) {
    case CompareOp::kEqual: return values_equal(a, b);
    case CompareOp::kNotEqual: return !values_equal(a, b);
    case CompareOp::kIn: return contains(b, a);
    case CompareOp::kNotIn: return !contains(b, a);
    case CompareOp::kLess:
    case CompareOp::kLessEqual:
    case CompareOp::kGreater:
    case CompareOp::kGreaterEqual:
      break;
  }
  if (a.is_undefined()) throw_undefined(a);
  if (b.is_undefined()) throw_undefined(b);
  const int c = compare_values(a, b);
  switch (op) {
    case CompareOp::kLess: return c < 0;
    case CompareOp::kLessEqual: return c <= 0;
    case CompareOp::kGreater: return c > 0;
    case CompareOp::kGreaterEqual: return c >= 0;
    default: return false;
  }
}

bool contains(const Value& container, const Value& item) {
  switch (container.kind()) {
    case Value::Kind::kString:
      if (!item.is_string()) {
        throw EvalError(fmt::format("'in <string>' requires string as left operand, not {}", item.type_name()));
      }
      return container.as_string().find(item.as_string()) != std::string::npos;
    case Value::Kind::kList:
      for (const Value& element : container.as_list().items) {
        if (values_equal(element, item)) return true;
      }
      return false;
    case Value::Kind::kDict:
      return item.is_string() && container.as_dict().find(item.as_string()) != nullptr;
    case Value::Kind::kUndefined:
      return false;
    default:
      throw EvalError(fmt::format("argument of type '{}' is not iterable", container.type_name()));
  }
}

Value negate(const Value& value) {
  if (value.is_float()) return Value::floating(-value.as_float());
  if (value.is_int() || value.is_bool()) {
    return Value::integer(checked(value.as_integral() == INT64_MIN, -value.as_integral()));
  }
  if (value.is_undefined()) throw_undefined(value);
  throw EvalError(fmt::format("bad operand type for unary -: '{}'", value.type_name()));
}

std::vector<Value> iterate(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::kList:
      return value.as_list().items;
    case Value::Kind::kDict: {
      std::vector<Value> keys;
      keys.reserve(value.as_dict().size());
      for (const auto& entry : value.as_dict().entries()) keys.push_back(Value::string(entry.first));
      return keys;
    }
    case Value::Kind::kString: {
      std::vector<Value> chars;
      const std::string& s = value.as_string();
      for (std::size_t pos = 0; pos < s.size();) {
        const std::size_t size = text::decode(s, pos).size;
        chars.push_back(Value::string(s.substr(pos, size)));
        pos += size;
      }
      return chars;
    }
    case Value::Kind::kUndefined:
      return {};
    default:
      throw EvalError(fmt::format("'{}' object is not iterable", value.type_name()));
  }
}

std::int64_t length_of(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::kString: return static_cast<std::int64_t>(text::length(value.as_string()));
    case Value::Kind::kList: return static_cast<std::int64_t>(value.as_list().items.size());
    case Value::Kind::kDict: return static_cast<std::int64_t>(value.as_dict().size());
    case Value::Kind::kUndefined: return 0;
    default: throw EvalError(fmt::format("object of type '{}' has no len()", value.type_name()));
  }
}

}  // namespace turbine::chat_template
