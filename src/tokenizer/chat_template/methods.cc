#include "tokenizer/chat_template/methods.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "tokenizer/chat_template/operators.h"
#include "tokenizer/chat_template/python_text.h"
#include "tokenizer/chat_template/string_format.h"

namespace turbine::chat_template {
namespace {

constexpr std::array<std::string_view, 39> kStringMethods = {
    "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "startswith", "endswith",
    "upper", "lower", "title", "capitalize", "swapcase", "casefold", "replace", "find", "rfind",
    "index", "rindex", "count", "join", "format", "isdigit", "isdecimal", "isnumeric", "isalpha",
    "isalnum", "isspace", "islower", "isupper", "zfill", "center", "ljust", "rjust", "partition",
    "rpartition", "removeprefix", "removesuffix", "istitle"};
constexpr std::array<std::string_view, 5> kDictMethods = {"get", "items", "keys", "values", "copy"};
constexpr std::array<std::string_view, 4> kListMethods = {"append", "index", "count", "copy"};

template <std::size_t N>
bool in(const std::array<std::string_view, N>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

const std::string& string_arg(const Value& v, std::string_view method) {
  if (!v.is_string()) {
    throw EvalError(fmt::format("{}() argument must be str, not {}", method, v.type_name()));
  }
  return v.as_string();
}

std::optional<std::string_view> optional_string_arg(const BoundArgs& args, std::size_t i, std::string_view method) {
  if (!args.has(i) || args[i].is_none()) return std::nullopt;
  return std::string_view(string_arg(args[i], method));
}

std::int64_t int_arg(const Value& v, std::string_view method) {
  const std::optional<std::int64_t> i = as_index(v);
  if (!i) throw EvalError(fmt::format("{}() expected an integer, got {}", method, v.type_name()));
  return *i;
}

Value string_list(std::vector<std::string> parts) {
  std::vector<Value> items;
  items.reserve(parts.size());
  for (auto& part : parts) items.push_back(Value::string(std::move(part)));
  return Value::list(std::move(items));
}

template <typename Predicate>
bool all_code_points(const std::string& s, Predicate predicate) {
  if (s.empty()) return false;
  for (char32_t c : text::code_points(s)) {
    if (!predicate(c)) return false;
  }
  return true;
}

bool is_decimal_digit(char32_t c) { return c >= '0' && c <= '9'; }

// Python str.find restricted to [start, end) in code points; returns a code point index or -1.
std::int64_t find_in(const std::string& s, const std::string& sub, const BoundArgs& args, bool reverse,
                     std::string_view method) {
  const std::vector<std::size_t> offsets = text::code_point_offsets(s);
  const std::int64_t n = static_cast<std::int64_t>(offsets.size()) - 1;
  auto clamp = [n](std::int64_t i) { return i < 0 ? std::max<std::int64_t>(0, i + n) : std::min(i, n); };
  const std::int64_t start = args.has(1) && !args[1].is_none() ? clamp(int_arg(args[1], method)) : 0;
  const std::int64_t end = args.has(2) && !args[2].is_none() ? clamp(int_arg(args[2], method)) : n;
  if (start > end) return -1;
  const std::string_view window(s.data() + offsets[static_cast<std::size_t>(start)],
                                offsets[static_cast<std::size_t>(end)] - offsets[static_cast<std::size_t>(start)]);
  const std::size_t found = reverse ? window.rfind(sub) : window.find(sub);
  if (found == std::string_view::npos) return -1;
  const std::size_t byte = offsets[static_cast<std::size_t>(start)] + found;
  return std::lower_bound(offsets.begin(), offsets.end(), byte) - offsets.begin();
}

bool affix_match(const std::string& s, const Value& affix, bool prefix, std::string_view method) {
  auto matches = [&](const std::string& a) {
    if (a.size() > s.size()) return false;
    return prefix ? s.compare(0, a.size(), a) == 0 : s.compare(s.size() - a.size(), a.size(), a) == 0;
  };
  if (affix.is_list()) {
    for (const Value& item : affix.as_list().items) {
      if (matches(string_arg(item, method))) return true;
    }
    return false;
  }
  if (!affix.is_string()) {
    throw EvalError(fmt::format("{} first arg must be str or a tuple of str, not {}", method, affix.type_name()));
  }
  return matches(affix.as_string());
}

std::string pad(const std::string& s, std::int64_t width, const std::string& fill, char align) {
  const std::int64_t len = static_cast<std::int64_t>(text::length(s));
  if (width <= len) return s;
  const std::int64_t total = width - len;
  std::int64_t left = align == '<' ? 0 : (align == '>' ? total : total / 2 + (total & width & 1));
  std::string out;
  for (std::int64_t i = 0; i < left; ++i) out += fill;
  out += s;
  for (std::int64_t i = 0; i < total - left; ++i) out += fill;
  return out;
}

Value call_string_method(const std::string& s, std::string_view name, CallArgs& call) {
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    BoundArgs args(name, call, {"chars"});
    const auto side = name == "strip" ? text::StripSide::kBoth
                      : name == "lstrip" ? text::StripSide::kLeft : text::StripSide::kRight;
    return Value::string(text::strip(s, optional_string_arg(args, 0, name), side));
  }
  if (name == "split" || name == "rsplit") {
    BoundArgs args(name, call, {"sep", "maxsplit"});
    const std::optional<std::string_view> sep = optional_string_arg(args, 0, name);
    if (sep && sep->empty()) throw EvalError("empty separator");
    const std::int64_t maxsplit = args.has(1) ? int_arg(args[1], name) : -1;
    return string_list(name == "split" ? text::split(s, sep, maxsplit) : text::rsplit(s, sep, maxsplit));
  }
  if (name == "splitlines") {
    BoundArgs args(name, call, {"keepends"});
    return string_list(text::splitlines(s));
  }
  if (name == "startswith" || name == "endswith") {
    BoundArgs args(name, call, {"affix", "start", "end"}, 1);
    if (args.has(1) || args.has(2)) {
      const Value window = slice_value(Value::string(s), args.get_or(1, Value::none()), args.get_or(2, Value::none()),
                                       Value::none());
      return Value::boolean(affix_match(window.as_string(), args[0], name == "startswith", name));
    }
    return Value::boolean(affix_match(s, args[0], name == "startswith", name));
  }
  if (name == "upper") return Value::string(text::to_upper(s));
  if (name == "lower" || name == "casefold") return Value::string(text::to_lower(s));
  if (name == "title") return Value::string(text::title(s));
  if (name == "capitalize") return Value::string(text::capitalize(s));
  if (name == "swapcase") return Value::string(text::swap_case(s));
  if (name == "replace") {
    BoundArgs args(name, call, {"old", "new", "count"}, 2);
    const std::int64_t count = args.has(2) ? int_arg(args[2], name) : -1;
    return Value::string(text::replace(s, string_arg(args[0], name), string_arg(args[1], name), count));
  }
  if (name == "find" || name == "rfind" || name == "index" || name == "rindex") {
    BoundArgs args(name, call, {"sub", "start", "end"}, 1);
    const std::int64_t i = find_in(s, string_arg(args[0], name), args, name[0] == 'r', name);
    if (i < 0 && (name == "index" || name == "rindex")) throw EvalError("substring not found");
    return Value::integer(i);
  }
  if (name == "count") {
    BoundArgs args(name, call, {"sub"}, 1);
    const std::string& sub = string_arg(args[0], name);
    if (sub.empty()) return Value::integer(static_cast<std::int64_t>(text::length(s)) + 1);
    std::int64_t n = 0;
    for (std::size_t pos = s.find(sub); pos != std::string::npos; pos = s.find(sub, pos + sub.size())) ++n;
    return Value::integer(n);
  }
  if (name == "join") {
    BoundArgs args(name, call, {"iterable"}, 1);
    std::string out;
    bool first = true;
    for (const Value& item : iterate(args[0])) {
      if (!first) out += s;
      first = false;
      out += string_arg(item, "join");
    }
    return Value::string(std::move(out));
  }
  if (name == "format") return Value::string(brace_format(s, call));
  if (name == "isdigit" || name == "isdecimal" || name == "isnumeric") {
    return Value::boolean(all_code_points(s, is_decimal_digit));
  }
  if (name == "isalpha") {
    return Value::boolean(all_code_points(s, [](char32_t c) { return text::is_word(c) && c != '_' && !is_decimal_digit(c); }));
  }
  if (name == "isalnum") return Value::boolean(all_code_points(s, [](char32_t c) { return text::is_word(c) && c != '_'; }));
  if (name == "isspace") return Value::boolean(all_code_points(s, text::is_space));
  if (name == "islower") return Value::boolean(text::is_lower(s));
  if (name == "isupper") return Value::boolean(text::is_upper(s));
  if (name == "istitle") return Value::boolean(!s.empty() && text::title(s) == s && text::to_lower(s) != s);
  if (name == "zfill") {
    BoundArgs args(name, call, {"width"}, 1);
    const std::int64_t width = int_arg(args[0], name);
    const std::int64_t len = static_cast<std::int64_t>(text::length(s));
    if (width <= len) return Value::string(s);
    const bool signed_ = !s.empty() && (s[0] == '-' || s[0] == '+');
    std::string out = signed_ ? s.substr(0, 1) : "";
    out += std::string(static_cast<std::size_t>(width - len), '0');
    out += signed_ ? s.substr(1) : s;
    return Value::string(std::move(out));
  }
  if (name == "center" || name == "ljust" || name == "rjust") {
    BoundArgs args(name, call, {"width", "fillchar"}, 1);
    const std::string fill = args.has(1) ? string_arg(args[1], name) : " ";
    if (text::length(fill) != 1) throw EvalError("The fill character must be exactly one character long");
    const char align = name == "center" ? '^' : (name == "ljust" ? '<' : '>');
    return Value::string(pad(s, int_arg(args[0], name), fill, align));
  }
  if (name == "partition" || name == "rpartition") {
    BoundArgs args(name, call, {"sep"}, 1);
    const std::string& sep = string_arg(args[0], name);
    if (sep.empty()) throw EvalError("empty separator");
    const std::size_t at = name == "partition" ? s.find(sep) : s.rfind(sep);
    if (at == std::string::npos) {
      return name == "partition" ? Value::tuple({Value::string(s), Value::string(""), Value::string("")})
                                 : Value::tuple({Value::string(""), Value::string(""), Value::string(s)});
    }
    return Value::tuple({Value::string(s.substr(0, at)), Value::string(sep), Value::string(s.substr(at + sep.size()))});
  }
  if (name == "removeprefix" || name == "removesuffix") {
    BoundArgs args(name, call, {"affix"}, 1);
    const std::string& affix = string_arg(args[0], name);
    if (name == "removeprefix" && s.compare(0, affix.size(), affix) == 0) return Value::string(s.substr(affix.size()));
    if (name == "removesuffix" && affix.size() <= s.size() && !affix.empty() &&
        s.compare(s.size() - affix.size(), affix.size(), affix) == 0) {
      return Value::string(s.substr(0, s.size() - affix.size()));
    }
    return Value::string(s);
  }
  throw EvalError(fmt::format("str.{}() is not supported", name));
}

Value call_dict_method(const Value& object, std::string_view name, CallArgs& call) {
  const Dict& dict = object.as_dict();
  if (name == "get") {
    BoundArgs args(name, call, {"key", "default"}, 1);
    if (args[0].is_string()) {
      if (const Value* found = dict.find(args[0].as_string())) return *found;
    }
    return args.get_or(1, Value::none());
  }
  BoundArgs args(name, call, {});
  if (name == "copy") return Value::dict(dict);
  std::vector<Value> out;
  out.reserve(dict.size());
  for (const auto& [key, value] : dict.entries()) {
    if (name == "items") out.push_back(Value::tuple({Value::string(key), value}));
    if (name == "keys") out.push_back(Value::string(key));
    if (name == "values") out.push_back(value);
  }
  return Value::list(std::move(out));
}

Value call_list_method(const Value& object, std::string_view name, CallArgs& call) {
  List& list = object.as_list();
  if (name == "append") {
    BoundArgs args(name, call, {"item"}, 1);
    if (list.is_tuple) throw EvalError("'tuple' object has no attribute 'append'");
    if (reaches(args[0], &list)) throw EvalError("cannot append a list to itself (reference cycle)");
    list.items.push_back(args[0]);
    return Value::none();
  }
  if (name == "copy") {
    BoundArgs args(name, call, {});
    return Value::list(list.items);
  }
  BoundArgs args(name, call, {"value"}, 1);
  std::int64_t count = 0;
  for (std::size_t i = 0; i < list.items.size(); ++i) {
    if (!values_equal(list.items[i], args[0])) continue;
    if (name == "index") return Value::integer(static_cast<std::int64_t>(i));
    ++count;
  }
  if (name == "index") throw EvalError(fmt::format("{} is not in list", args[0].repr()));
  return Value::integer(count);
}

}  // namespace

bool has_method(const Value& object, std::string_view name) {
  switch (object.kind()) {
    case Value::Kind::kString: return in(kStringMethods, name);
    case Value::Kind::kDict: return in(kDictMethods, name);
    case Value::Kind::kList: return in(kListMethods, name) && !(object.as_list().is_tuple && name == "append");
    default: return false;
  }
}

Value call_method(const Value& object, std::string_view name, CallArgs& args) {
  switch (object.kind()) {
    case Value::Kind::kString: return call_string_method(object.as_string(), name, args);
    case Value::Kind::kDict: return call_dict_method(object, name, args);
    case Value::Kind::kList: return call_list_method(object, name, args);
    default: throw EvalError(fmt::format("'{}' object has no method '{}'", object.type_name(), name));
  }
}

Value bind_method(const Value& object, std::string_view name) {
  return Value::callable(fmt::format("{}.{}", object.type_name(), name),
                         [object, method = std::string(name)](CallArgs& args) {
                           return call_method(object, method, args);
                         });
}

}  // namespace turbine::chat_template
