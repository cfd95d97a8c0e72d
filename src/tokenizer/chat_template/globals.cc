#include "tokenizer/chat_template/globals.h"

#include <fmt/format.h>

#include <ctime>
#include <memory>

#include "common/error.h"
#include "tokenizer/chat_template/operators.h"

namespace turbine::chat_template {
namespace {

constexpr std::int64_t kMaxRange = 100000;

std::int64_t int_argument(const Value& v, std::string_view function) {
  const std::optional<std::int64_t> i = as_index(v);
  if (!i) throw EvalError(fmt::format("'{}' object cannot be interpreted as an integer ({}())", v.type_name(), function));
  return *i;
}

Value range(CallArgs& args) {
  if (!args.keyword.empty()) throw EvalError("range() takes no keyword arguments");
  const auto& p = args.positional;
  if (p.empty() || p.size() > 3) throw EvalError(fmt::format("range expected 1 to 3 arguments, got {}", p.size()));
  std::int64_t start = 0;
  std::int64_t stop = int_argument(p[0], "range");
  std::int64_t step = 1;
  if (p.size() >= 2) {
    start = stop;
    stop = int_argument(p[1], "range");
  }
  if (p.size() == 3) step = int_argument(p[2], "range");
  if (step == 0) throw EvalError("range() arg 3 must not be zero");
  const long double count = step > 0 ? (static_cast<long double>(stop) - start) / step
                                     : (static_cast<long double>(start) - stop) / -static_cast<long double>(step);
  if (count > kMaxRange) {
    throw EvalError(fmt::format("Range too big. The sandbox blocks ranges larger than MAX_RANGE ({}).", kMaxRange));
  }
  std::vector<Value> items;
  for (std::int64_t i = start; step > 0 ? i < stop : i > stop; i += step) items.push_back(Value::integer(i));
  return Value::list(std::move(items));
}

// dict(mapping_or_pairs, **kwargs) and namespace(...) take the same arguments.
Dict dict_from_args(CallArgs& args, std::string_view function) {
  if (args.positional.size() > 1) {
    throw EvalError(fmt::format("{} expected at most 1 argument, got {}", function, args.positional.size()));
  }
  Dict dict;
  if (!args.positional.empty()) {
    const Value& source = args.positional[0];
    if (source.is_dict()) {
      dict = source.as_dict();
    } else {
      for (const Value& pair : iterate(source)) {
        std::vector<Value> kv = iterate(pair);
        if (kv.size() != 2) throw EvalError(fmt::format("{}: sequence elements must be key/value pairs", function));
        if (!kv[0].is_string()) throw EvalError(fmt::format("{}: keys must be strings", function));
        dict.set(kv[0].as_string(), std::move(kv[1]));
      }
    }
  }
  for (auto& [key, value] : args.keyword) dict.set(key, std::move(value));
  return dict;
}

Value raise_exception(CallArgs& args) {
  const std::string message = args.positional.empty() ? std::string() : args.positional[0].str();
  throw Error(message);
}

Value strftime_now(CallArgs& args) {
  BoundArgs bound("strftime_now", args, {"format"}, 1);
  if (!bound[0].is_string()) throw EvalError("strftime_now() format must be a string");
  const std::string& format = bound[0].as_string();
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  if (format.empty()) return Value::string("");
  std::string buffer(256 + format.size() * 8, '\0');
  const std::size_t n = std::strftime(buffer.data(), buffer.size(), format.c_str(), &local);
  buffer.resize(n);
  return Value::string(std::move(buffer));
}

// joiner(sep): a callable returning "" the first time and `sep` afterwards.
Value joiner(CallArgs& args) {
  BoundArgs bound("joiner", args, {"sep"});
  const std::string separator = bound.has(0) ? bound[0].str() : ", ";
  auto used = std::make_shared<bool>(false);
  return Value::callable("joiner", [separator, used](CallArgs& call) {
    BoundArgs none("joiner", call, {});
    if (!*used) {
      *used = true;
      return Value::string("");
    }
    return Value::string(separator);
  });
}

const Dict& globals() {
  static const Dict table = [] {
    Dict d;
    d.set("range", Value::callable("range", range));
    d.set("dict", Value::callable("dict", [](CallArgs& args) { return Value::dict(dict_from_args(args, "dict")); }));
    d.set("namespace", Value::callable("namespace", [](CallArgs& args) {
            return Value::make_namespace(dict_from_args(args, "namespace"));
          }));
    d.set("joiner", Value::callable("joiner", joiner));
    d.set("raise_exception", Value::callable("raise_exception", raise_exception));
    d.set("strftime_now", Value::callable("strftime_now", strftime_now));
    return d;
  }();
  return table;
}

}  // namespace

const Value* find_global(std::string_view name) { return globals().find(name); }

}  // namespace turbine::chat_template
