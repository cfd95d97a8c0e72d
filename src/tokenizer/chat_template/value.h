// The template value model: what a Jinja expression evaluates to.
//
// Values follow Python's object model as Jinja2 sees it, because chat templates are written for
// Python: lists, dicts and namespaces are shared by reference (`set b = a` aliases), dicts keep
// insertion order, ints and floats stay distinct (1.0 prints "1.0"), and `Undefined` is a value
// (falsy, prints as nothing) rather than an error. Values are cheap to copy: containers are
// shared_ptrs, strings are copied. A Value built during one render is only touched by that
// render's thread; shared immutable values (built-in callables) are safe to read concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace turbine::chat_template {

// A runtime failure without a location; the interpreter adds the template line and column.
class EvalError : public std::runtime_error {
 public:
  explicit EvalError(const std::string& message) : std::runtime_error(message) {}
};

class Value;
class Dict;
struct List;
struct Callable;
struct CallArgs;

struct List {
  List() = default;
  List(const List&) = default;
  List(List&&) = default;
  List& operator=(const List&) = default;
  List& operator=(List&&) = default;
  ~List();  // iterative, so deeply nested values cannot overflow the stack

  std::vector<Value> items;
  bool is_tuple = false;  // only changes how it prints: (1, 2) vs [1, 2]
};

// Jinja2's namespace(): a mutable bag of attributes, the one thing `set ns.x = ...` may change.
struct Namespace;

struct Undefined {
  std::string hint;  // why it is undefined ("'foo' is undefined"), the error if it gets used
};

class Value {
 public:
  enum class Kind : std::uint8_t {
    kUndefined, kNone, kBool, kInt, kFloat, kString, kList, kDict, kNamespace, kCallable
  };

  Value() = default;  // undefined
  static Value undefined(std::string hint = {});
  static Value none();
  static Value boolean(bool value);
  static Value integer(std::int64_t value);
  static Value floating(double value);
  static Value string(std::string value);
  static Value list(std::vector<Value> items = {});
  static Value tuple(std::vector<Value> items);
  static Value dict(Dict entries);
  static Value dict(std::shared_ptr<Dict> entries);
  static Value make_namespace(Dict attributes);
  static Value callable(std::string name, std::function<Value(CallArgs&)> invoke);

  Kind kind() const { return static_cast<Kind>(storage_.index()); }
  bool is_undefined() const { return kind() == Kind::kUndefined; }
  bool is_none() const { return kind() == Kind::kNone; }
  bool is_bool() const { return kind() == Kind::kBool; }
  bool is_int() const { return kind() == Kind::kInt; }
  bool is_float() const { return kind() == Kind::kFloat; }
  bool is_string() const { return kind() == Kind::kString; }
  bool is_list() const { return kind() == Kind::kList; }
  bool is_dict() const { return kind() == Kind::kDict; }
  bool is_namespace() const { return kind() == Kind::kNamespace; }
  bool is_callable() const { return kind() == Kind::kCallable; }
  // int, float or bool: what Python arithmetic accepts.
  bool is_number() const { return is_int() || is_float() || is_bool(); }

  bool as_bool() const { return std::get<bool>(storage_); }
  std::int64_t as_int() const { return std::get<std::int64_t>(storage_); }
  double as_float() const { return std::get<double>(storage_); }
  // int/bool widened to int64; precondition: is_int() || is_bool().
  std::int64_t as_integral() const { return is_bool() ? (as_bool() ? 1 : 0) : as_int(); }
  // Any number as a double; precondition: is_number().
  double as_double() const;
  const std::string& as_string() const { return std::get<std::string>(storage_); }
  List& as_list() const { return *std::get<std::shared_ptr<List>>(storage_); }
  Dict& as_dict() const { return *std::get<std::shared_ptr<Dict>>(storage_); }
  Namespace& as_namespace() const { return *std::get<std::shared_ptr<Namespace>>(storage_); }
  const Callable& as_callable() const { return *std::get<std::shared_ptr<const Callable>>(storage_); }
  const std::string& undefined_hint() const { return std::get<Undefined>(storage_).hint; }

  // Python truthiness.
  bool truthy() const;
  // Python str(): what {{ value }} prints.
  std::string str() const;
  // Python repr(): how the value prints inside a list or dict.
  std::string repr() const;
  // Python's type name, for error messages ("str", "list", "NoneType", ...).
  std::string_view type_name() const;
  // True when both hold the very same container/callable, or equal scalars (Python `is`).
  bool same_as(const Value& other) const;
  // Moves out the elements of a list, dict or namespace that only this value references, so the
  // caller can destroy a deep structure with a loop instead of recursion.
  void detach_children(std::vector<Value>& out);

 private:
  using Storage = std::variant<Undefined, std::nullptr_t, bool, std::int64_t, double, std::string,
                               std::shared_ptr<List>, std::shared_ptr<Dict>,
                               std::shared_ptr<Namespace>, std::shared_ptr<const Callable>>;
  explicit Value(Storage storage) : storage_(std::move(storage)) {}
  Storage storage_;
};

// An insertion-ordered string-keyed map (Python dict with str keys).
class Dict {
 public:
  using Entry = std::pair<std::string, Value>;

  Dict() = default;
  Dict(const Dict&) = default;
  Dict(Dict&&) = default;
  Dict& operator=(const Dict&) = default;
  Dict& operator=(Dict&&) = default;
  ~Dict();  // iterative, like ~List

  const Value* find(std::string_view key) const;
  Value* find(std::string_view key);
  // Inserts, or overwrites in place keeping the original position (as Python does).
  void set(std::string key, Value value);
  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  const std::vector<Entry>& entries() const { return entries_; }
  void detach_values(std::vector<Value>& out);

 private:
  static constexpr std::size_t kIndexThreshold = 16;  // below this a linear scan is faster
  std::vector<Entry> entries_;
  std::unordered_map<std::string, std::size_t> index_;  // filled once size passes the threshold
};

struct Namespace {
  Dict attributes;
};

struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;
};

struct Callable {
  std::string name;
  std::function<Value(CallArgs&)> invoke;
};

// Python `==` (1 == 1.0 == True, deep list/dict comparison, Undefined == Undefined).
bool values_equal(const Value& a, const Value& b);
// Python ordering (<): numbers, strings, lists/tuples; throws EvalError for anything else.
// Returns <0, 0 or >0. `case_insensitive` lowercases strings first (Jinja's sort filters).
int compare_values(const Value& a, const Value& b, bool case_insensitive = false);

// Printing, comparing and serialising recurse into containers; past this depth they throw
// EvalError instead of risking the native stack.
inline constexpr int kMaxValueDepth = 512;

// True if `value` is, or contains, the container `target` (a List, Dict or Namespace). Values are
// reference-counted, so the two ways a template can mutate a container (list.append and
// `set ns.attr`) refuse to create a cycle, which would never be freed.
bool reaches(const Value& value, const void* target);

// Binds CallArgs to a Python-style parameter list: positional first, then by keyword.
// Extra or unknown arguments throw EvalError naming `function`.
class BoundArgs {
 public:
  BoundArgs(std::string_view function, CallArgs& args, std::initializer_list<std::string_view> names,
            std::size_t required = 0);
  bool has(std::size_t i) const { return given_[i]; }
  const Value& operator[](std::size_t i) const { return values_[i]; }
  Value get_or(std::size_t i, Value fallback) const { return given_[i] ? values_[i] : std::move(fallback); }

 private:
  std::vector<Value> values_;
  std::vector<bool> given_;
};

}  // namespace turbine::chat_template
