#include "tokenizer/chat_template/value.h"

#include <fmt/format.h>

#include "tokenizer/chat_template/python_text.h"

namespace turbine::chat_template {

Value Value::undefined(std::string hint) { return Value(Storage(Undefined{std::move(hint)})); }
Value Value::none() { return Value(Storage(nullptr)); }
Value Value::boolean(bool value) { return Value(Storage(value)); }
Value Value::integer(std::int64_t value) { return Value(Storage(value)); }
Value Value::floating(double value) { return Value(Storage(value)); }
Value Value::string(std::string value) { return Value(Storage(std::move(value))); }

Value Value::list(std::vector<Value> items) {
  auto list = std::make_shared<List>();
  list->items = std::move(items);
  return Value(Storage(std::move(list)));
}

Value Value::tuple(std::vector<Value> items) {
  auto list = std::make_shared<List>();
  list->items = std::move(items);
  list->is_tuple = true;
  return Value(Storage(std::move(list)));
}

Value Value::dict(Dict entries) { return Value(Storage(std::make_shared<Dict>(std::move(entries)))); }
Value Value::dict(std::shared_ptr<Dict> entries) { return Value(Storage(std::move(entries))); }

Value Value::make_namespace(Dict attributes) {
  auto ns = std::make_shared<Namespace>();
  ns->attributes = std::move(attributes);
  return Value(Storage(std::move(ns)));
}

Value Value::callable(std::string name, std::function<Value(CallArgs&)> invoke) {
  auto fn = std::make_shared<const Callable>(Callable{std::move(name), std::move(invoke)});
  return Value(Storage(std::shared_ptr<const Callable>(std::move(fn))));
}

double Value::as_double() const {
  if (is_float()) return as_float();
  return static_cast<double>(as_integral());
}

bool Value::truthy() const {
  switch (kind()) {
    case Kind::kUndefined: return false;
    case Kind::kNone: return false;
    case Kind::kBool: return as_bool();
    case Kind::kInt: return as_int() != 0;
    case Kind::kFloat: return as_float() != 0.0;
    case Kind::kString: return !as_string().empty();
    case Kind::kList: return !as_list().items.empty();
    case Kind::kDict: return !as_dict().empty();
    case Kind::kNamespace: return true;
    case Kind::kCallable: return true;
  }
  return false;
}

namespace {

std::string repr_at(const Value& value, int depth);

void check_depth(int depth) {
  if (depth > kMaxValueDepth) throw EvalError("value is nested too deeply (or contains itself)");
}

std::string sequence_repr(const List& list, int depth) {
  std::string out = list.is_tuple ? "(" : "[";
  for (std::size_t i = 0; i < list.items.size(); ++i) {
    if (i > 0) out += ", ";
    out += repr_at(list.items[i], depth + 1);
  }
  if (list.is_tuple && list.items.size() == 1) out += ",";
  out += list.is_tuple ? ")" : "]";
  return out;
}

std::string dict_repr(const Dict& dict, int depth) {
  std::string out = "{";
  bool first = true;
  for (const auto& [key, value] : dict.entries()) {
    if (!first) out += ", ";
    first = false;
    out += text::string_repr(key);
    out += ": ";
    out += repr_at(value, depth + 1);
  }
  out += "}";
  return out;
}

std::string repr_at(const Value& value, int depth) {
  check_depth(depth);
  using Kind = Value::Kind;
  switch (value.kind()) {
    case Kind::kList: return sequence_repr(value.as_list(), depth);
    case Kind::kDict: return dict_repr(value.as_dict(), depth);
    case Kind::kNamespace: return "<Namespace " + dict_repr(value.as_namespace().attributes, depth) + ">";
    default: return value.repr();
  }
}

// Destroys values with a work list: each popped value first hands over the children it alone
// owns, so its own destructor has nothing left to recurse into.
void destroy_iteratively(std::vector<Value>& pending) {
  while (!pending.empty()) {
    Value value = std::move(pending.back());
    pending.pop_back();
    value.detach_children(pending);
  }
}

}  // namespace

List::~List() {
  if (items.empty()) return;
  std::vector<Value> pending = std::move(items);
  destroy_iteratively(pending);
}

Dict::~Dict() {
  if (entries_.empty()) return;
  std::vector<Value> pending;
  detach_values(pending);
  destroy_iteratively(pending);
}

void Dict::detach_values(std::vector<Value>& out) {
  for (auto& entry : entries_) out.push_back(std::move(entry.second));
  entries_.clear();
  index_.clear();
}

void Value::detach_children(std::vector<Value>& out) {
  if (auto* list = std::get_if<std::shared_ptr<List>>(&storage_); list && *list && list->use_count() == 1) {
    for (Value& item : (*list)->items) out.push_back(std::move(item));
    (*list)->items.clear();
  } else if (auto* dict = std::get_if<std::shared_ptr<Dict>>(&storage_); dict && *dict && dict->use_count() == 1) {
    (*dict)->detach_values(out);
  } else if (auto* ns = std::get_if<std::shared_ptr<Namespace>>(&storage_); ns && *ns && ns->use_count() == 1) {
    (*ns)->attributes.detach_values(out);
  }
}

std::string Value::str() const {
  switch (kind()) {
    case Kind::kUndefined: return "";
    case Kind::kString: return as_string();
    default: return repr();
  }
}

std::string Value::repr() const {
  switch (kind()) {
    case Kind::kUndefined: return "Undefined";
    case Kind::kNone: return "None";
    case Kind::kBool: return as_bool() ? "True" : "False";
    case Kind::kInt: return std::to_string(as_int());
    case Kind::kFloat: return text::float_repr(as_float());
    case Kind::kString: return text::string_repr(as_string());
    case Kind::kList: return sequence_repr(as_list(), 0);
    case Kind::kDict: return dict_repr(as_dict(), 0);
    case Kind::kNamespace: return "<Namespace " + dict_repr(as_namespace().attributes, 0) + ">";
    case Kind::kCallable: return "<function " + as_callable().name + ">";
  }
  return "";
}

std::string_view Value::type_name() const {
  switch (kind()) {
    case Kind::kUndefined: return "Undefined";
    case Kind::kNone: return "NoneType";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kFloat: return "float";
    case Kind::kString: return "str";
    case Kind::kList: return as_list().is_tuple ? "tuple" : "list";
    case Kind::kDict: return "dict";
    case Kind::kNamespace: return "Namespace";
    case Kind::kCallable: return "function";
  }
  return "";
}

bool Value::same_as(const Value& other) const {
  if (kind() != other.kind()) return false;
  switch (kind()) {
    case Kind::kList: return &as_list() == &other.as_list();
    case Kind::kDict: return &as_dict() == &other.as_dict();
    case Kind::kNamespace: return &as_namespace() == &other.as_namespace();
    case Kind::kCallable: return &as_callable() == &other.as_callable();
    default: return values_equal(*this, other);
  }
}

const Value* Dict::find(std::string_view key) const {
  if (!index_.empty()) {
    const auto it = index_.find(std::string(key));
    return it == index_.end() ? nullptr : &entries_[it->second].second;
  }
  for (const auto& entry : entries_) {
    if (entry.first == key) return &entry.second;
  }
  return nullptr;
}

Value* Dict::find(std::string_view key) {
  return const_cast<Value*>(static_cast<const Dict*>(this)->find(key));
}

void Dict::set(std::string key, Value value) {
  if (Value* existing = find(key)) {
    *existing = std::move(value);
    return;
  }
  entries_.emplace_back(std::move(key), std::move(value));
  if (!index_.empty()) {
    index_.emplace(entries_.back().first, entries_.size() - 1);
  } else if (entries_.size() > kIndexThreshold) {
    for (std::size_t i = 0; i < entries_.size(); ++i) index_.emplace(entries_[i].first, i);
  }
}

namespace {

bool equal_at(const Value& a, const Value& b, int depth) {
  check_depth(depth);
  using Kind = Value::Kind;
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.as_double() == b.as_double();
    return a.as_integral() == b.as_integral();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::kUndefined:
    case Kind::kNone:
      return true;
    case Kind::kString:
      return a.as_string() == b.as_string();
    case Kind::kList: {
      const List& x = a.as_list();
      const List& y = b.as_list();
      if (x.is_tuple != y.is_tuple || x.items.size() != y.items.size()) return false;
      for (std::size_t i = 0; i < x.items.size(); ++i) {
        if (!equal_at(x.items[i], y.items[i], depth + 1)) return false;
      }
      return true;
    }
    case Kind::kDict: {
      const Dict& x = a.as_dict();
      const Dict& y = b.as_dict();
      if (x.size() != y.size()) return false;
      for (const auto& [key, value] : x.entries()) {
        const Value* other = y.find(key);
        if (other == nullptr || !equal_at(value, *other, depth + 1)) return false;
      }
      return true;
    }
    case Kind::kNamespace:
    case Kind::kCallable:
      return a.same_as(b);
    case Kind::kBool:
    case Kind::kInt:
    case Kind::kFloat:
      break;  // handled above
  }
  return false;
}

int compare_at(const Value& a, const Value& b, bool case_insensitive, int depth) {
  check_depth(depth);
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) {
      const double x = a.as_double();
      const double y = b.as_double();
      return x < y ? -1 : (y < x ? 1 : 0);
    }
    const std::int64_t x = a.as_integral();
    const std::int64_t y = b.as_integral();
    return x < y ? -1 : (y < x ? 1 : 0);
  }
  if (a.is_string() && b.is_string()) {
    // UTF-8 byte order is code point order, which is Python's string order.
    if (case_insensitive) return text::to_lower(a.as_string()).compare(text::to_lower(b.as_string()));
    return a.as_string().compare(b.as_string());
  }
  if (a.is_list() && b.is_list() && a.as_list().is_tuple == b.as_list().is_tuple) {
    const auto& x = a.as_list().items;
    const auto& y = b.as_list().items;
    for (std::size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (equal_at(x[i], y[i], depth + 1)) continue;
      return compare_at(x[i], y[i], case_insensitive, depth + 1);
    }
    return x.size() < y.size() ? -1 : (y.size() < x.size() ? 1 : 0);
  }
  throw EvalError(fmt::format("'<' not supported between instances of '{}' and '{}'", a.type_name(),
                              b.type_name()));
}

}  // namespace

bool values_equal(const Value& a, const Value& b) { return equal_at(a, b, 0); }

bool reaches(const Value& value, const void* target) {
  std::vector<std::pair<const Value*, int>> stack = {{&value, 0}};
  while (!stack.empty()) {
    const auto [current, depth] = stack.back();
    stack.pop_back();
    check_depth(depth);
    switch (current->kind()) {
      case Value::Kind::kList:
        if (&current->as_list() == target) return true;
        for (const Value& item : current->as_list().items) stack.emplace_back(&item, depth + 1);
        break;
      case Value::Kind::kDict:
        if (&current->as_dict() == target) return true;
        for (const auto& entry : current->as_dict().entries()) stack.emplace_back(&entry.second, depth + 1);
        break;
      case Value::Kind::kNamespace:
        if (&current->as_namespace() == target) return true;
        for (const auto& entry : current->as_namespace().attributes.entries()) stack.emplace_back(&entry.second, depth + 1);
        break;
      default:
        break;
    }
  }
  return false;
}

int compare_values(const Value& a, const Value& b, bool case_insensitive) {
  return compare_at(a, b, case_insensitive, 0);
}

BoundArgs::BoundArgs(std::string_view function, CallArgs& args,
                     std::initializer_list<std::string_view> names, std::size_t required)
    : values_(names.size()), given_(names.size(), false) {
  if (args.positional.size() > names.size()) {
    throw EvalError(fmt::format("{}() takes at most {} arguments ({} given)", function, names.size(),
                                args.positional.size()));
  }
  for (std::size_t i = 0; i < args.positional.size(); ++i) {
    values_[i] = std::move(args.positional[i]);
    given_[i] = true;
  }
  for (auto& [key, value] : args.keyword) {
    std::size_t i = 0;
    for (std::string_view name : names) {
      if (name == key) break;
      ++i;
    }
    if (i == names.size()) {
      throw EvalError(fmt::format("{}() got an unexpected keyword argument '{}'", function, key));
    }
    if (given_[i]) throw EvalError(fmt::format("{}() got multiple values for argument '{}'", function, key));
    values_[i] = std::move(value);
    given_[i] = true;
  }
  for (std::size_t i = 0; i < required; ++i) {
    if (!given_[i]) {
      throw EvalError(fmt::format("{}() missing required argument '{}'", function, *(names.begin() + i)));
    }
  }
}

}  // namespace turbine::chat_template
