#include "tokenizer/chat_template/filters.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <unordered_map>
#include <utility>

#include "tokenizer/chat_template/jinja_tests.h"
#include "tokenizer/chat_template/json_value.h"
#include "tokenizer/chat_template/operators.h"
#include "tokenizer/chat_template/python_text.h"
#include "tokenizer/chat_template/string_format.h"

namespace turbine::chat_template {
namespace {

bool bool_arg(const BoundArgs& args, std::size_t i, bool fallback) {
  return args.has(i) ? args[i].truthy() : fallback;
}

std::int64_t int_arg(const BoundArgs& args, std::size_t i, std::int64_t fallback, std::string_view filter) {
  if (!args.has(i)) return fallback;
  const std::optional<std::int64_t> v = as_index(args[i]);
  if (!v) throw EvalError(fmt::format("{}: expected an integer argument, got {}", filter, args[i].type_name()));
  return *v;
}

// Jinja2's ignore_case postprocessing for sort keys.
Value fold_case(const Value& v) { return v.is_string() ? Value::string(text::to_lower(v.as_string())) : v; }

Value make_list(std::vector<Value> items) { return Value::list(std::move(items)); }

// ---- string filters ----

Value filter_capitalize(const Value& input, CallArgs& args) {
  BoundArgs bound("capitalize", args, {});
  return Value::string(text::capitalize(input.str()));
}
Value filter_upper(const Value& input, CallArgs& args) {
  BoundArgs bound("upper", args, {});
  return Value::string(text::to_upper(input.str()));
}
Value filter_lower(const Value& input, CallArgs& args) {
  BoundArgs bound("lower", args, {});
  return Value::string(text::to_lower(input.str()));
}

// Jinja's title: capitalise each run of characters between '-', whitespace, '(', '{', '[', '<'.
Value filter_title(const Value& input, CallArgs& args) {
  BoundArgs bound("title", args, {});
  const std::string s = input.str();
  std::string out;
  bool at_word_start = true;
  for (std::size_t pos = 0; pos < s.size();) {
    const text::CodePoint cp = text::decode(s, pos);
    const std::string one = s.substr(pos, cp.size);
    const bool separator = text::is_space(cp.value) || std::string_view("-({[<").find(static_cast<char>(cp.value)) != std::string_view::npos;
    if (separator) {
      out += one;
      at_word_start = true;
    } else {
      out += at_word_start ? text::to_upper(one) : text::to_lower(one);
      at_word_start = false;
    }
    pos += cp.size;
  }
  return Value::string(std::move(out));
}

Value filter_trim(const Value& input, CallArgs& args) {
  BoundArgs bound("trim", args, {"chars"});
  std::optional<std::string_view> chars;
  if (bound.has(0) && !bound[0].is_none()) {
    if (!bound[0].is_string()) throw EvalError("trim: chars must be a string");
    chars = bound[0].as_string();
  }
  return Value::string(text::strip(input.str(), chars, text::StripSide::kBoth));
}

Value filter_replace(const Value& input, CallArgs& args) {
  BoundArgs bound("replace", args, {"old", "new", "count"}, 2);
  const std::int64_t count = bound.has(2) && !bound[2].is_none() ? int_arg(bound, 2, -1, "replace") : -1;
  return Value::string(text::replace(input.str(), bound[0].str(), bound[1].str(), count));
}

Value filter_center(const Value& input, CallArgs& args) {
  BoundArgs bound("center", args, {"width"});
  const std::string s = input.str();
  const std::int64_t width = int_arg(bound, 0, 80, "center");
  const std::int64_t len = static_cast<std::int64_t>(text::length(s));
  if (width <= len) return Value::string(s);
  const std::int64_t total = width - len;
  const std::int64_t left = total / 2 + (total & width & 1);
  return Value::string(std::string(static_cast<std::size_t>(left), ' ') + s +
                       std::string(static_cast<std::size_t>(total - left), ' '));
}

Value filter_indent(const Value& input, CallArgs& args) {
  BoundArgs bound("indent", args, {"width", "first", "blank"});
  std::string indentation = "    ";
  if (bound.has(0)) {
    indentation = bound[0].is_string() ? bound[0].as_string()
                                       : std::string(static_cast<std::size_t>(std::max<std::int64_t>(0, int_arg(bound, 0, 4, "indent"))), ' ');
  }
  const bool first = bool_arg(bound, 1, false);
  const bool blank = bool_arg(bound, 2, false);
  // Jinja2 appends a newline before splitlines() so a trailing newline survives.
  const std::vector<std::string> lines = text::splitlines(input.str() + "\n");
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) out += "\n";
    const bool indent_line = i == 0 ? false : (blank || !lines[i].empty());
    if (indent_line) out += indentation;
    out += lines[i];
  }
  if (first) out = indentation + out;
  return Value::string(std::move(out));
}

Value filter_truncate(const Value& input, CallArgs& args) {
  BoundArgs bound("truncate", args, {"length", "killwords", "end", "leeway"});
  const std::string s = input.str();
  const std::int64_t length = int_arg(bound, 0, 255, "truncate");
  const bool killwords = bool_arg(bound, 1, false);
  const std::string end = bound.has(2) ? bound[2].str() : "...";
  const std::int64_t leeway = int_arg(bound, 3, 5, "truncate");
  const std::int64_t end_length = static_cast<std::int64_t>(text::length(end));
  if (length < end_length) throw EvalError(fmt::format("expected length >= {}, got {}", end_length, length));
  if (static_cast<std::int64_t>(text::length(s)) <= length + leeway) return Value::string(s);
  std::string head = slice_value(Value::string(s), Value::none(), Value::integer(length - end_length), Value::none()).as_string();
  if (!killwords) {
    const std::size_t space = head.rfind(' ');
    if (space != std::string::npos) head.resize(space);
  }
  return Value::string(head + end);
}

Value filter_wordcount(const Value& input, CallArgs& args) {
  BoundArgs bound("wordcount", args, {});
  std::int64_t words = 0;
  bool in_word = false;
  for (char32_t c : text::code_points(input.str())) {
    const bool word = text::is_word(c);
    if (word && !in_word) ++words;
    in_word = word;
  }
  return Value::integer(words);
}

Value filter_escape(const Value& input, CallArgs& args) {
  BoundArgs bound("escape", args, {});
  std::string out;
  for (char c : input.str()) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return Value::string(std::move(out));
}

Value filter_format(const Value& input, CallArgs& args) {
  if (!args.positional.empty() && !args.keyword.empty()) {
    throw EvalError("format: can't handle positional and keyword arguments at the same time");
  }
  if (!args.keyword.empty()) {
    Dict named;
    for (auto& [key, value] : args.keyword) named.set(key, value);
    return Value::string(percent_format(input.str(), Value::dict(std::move(named))));
  }
  return Value::string(percent_format(input.str(), Value::tuple(args.positional)));
}

// ---- conversions ----

Value filter_string(const Value& input, CallArgs& args) {
  BoundArgs bound("string", args, {});
  return Value::string(input.str());
}

Value filter_safe(const Value& input, CallArgs& args) {
  BoundArgs bound("safe", args, {});
  return Value::string(input.str());
}

Value filter_pprint(const Value& input, CallArgs& args) {
  BoundArgs bound("pprint", args, {});
  return Value::string(input.repr());
}

std::optional<double> parse_python_float(std::string s) {
  s = text::strip(s, std::nullopt, text::StripSide::kBoth);
  s.erase(std::remove(s.begin(), s.end(), '_'), s.end());
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return std::nullopt;
  const std::string lower = text::to_lower(s);
  if (lower.find("0x") != std::string::npos) return std::nullopt;  // strtod takes hex, Python does not
  return v;
}

std::optional<std::int64_t> parse_python_int(std::string s, int base) {
  s = text::strip(s, std::nullopt, text::StripSide::kBoth);
  s.erase(std::remove(s.begin(), s.end(), '_'), s.end());
  bool negative = false;
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  if (base == 16 && s.compare(i, 2, "0x") == 0) i += 2;
  if (base == 8 && s.compare(i, 2, "0o") == 0) i += 2;
  if (base == 2 && s.compare(i, 2, "0b") == 0) i += 2;
  if (i >= s.size()) return std::nullopt;
  std::int64_t value = 0;
  const auto result = std::from_chars(s.data() + i, s.data() + s.size(), value, base);
  if (result.ec != std::errc() || result.ptr != s.data() + s.size()) return std::nullopt;
  return negative ? -value : value;
}

Value filter_int(const Value& input, CallArgs& args) {
  BoundArgs bound("int", args, {"default", "base"});
  const Value fallback = bound.get_or(0, Value::integer(0));
  const int base = static_cast<int>(int_arg(bound, 1, 10, "int"));
  if (input.is_int() || input.is_bool()) return Value::integer(input.as_integral());
  if (input.is_float()) {
    if (!std::isfinite(input.as_float())) return fallback;
    return Value::integer(static_cast<std::int64_t>(std::trunc(input.as_float())));
  }
  if (input.is_string()) {
    if (const auto v = parse_python_int(input.as_string(), base)) return Value::integer(*v);
    // Jinja2's quirk so that "42.23"|int gives 42.
    if (const auto f = parse_python_float(input.as_string()); f && std::isfinite(*f)) {
      return Value::integer(static_cast<std::int64_t>(std::trunc(*f)));
    }
  }
  return fallback;
}

Value filter_float(const Value& input, CallArgs& args) {
  BoundArgs bound("float", args, {"default"});
  if (input.is_number()) return Value::floating(input.as_double());
  if (input.is_string()) {
    if (const auto f = parse_python_float(input.as_string())) return Value::floating(*f);
  }
  return bound.get_or(0, Value::floating(0.0));
}

Value filter_abs(const Value& input, CallArgs& args) {
  BoundArgs bound("abs", args, {});
  if (input.is_float()) return Value::floating(std::fabs(input.as_float()));
  if (input.is_int() || input.is_bool()) {
    const std::int64_t v = input.as_integral();
    return v < 0 ? negate(input) : Value::integer(v);
  }
  throw EvalError(fmt::format("bad operand type for abs(): '{}'", input.type_name()));
}

double round_half_even(double value, std::int64_t digits) {
  if (!std::isfinite(value)) return value;
  if (digits <= 0) {
    const double scale = std::pow(10.0, static_cast<double>(-digits));
    return std::nearbyint(value / scale) * scale;
  }
  // printf rounds the exact binary value correctly, which is what Python's round() does.
  char buffer[512];
  std::snprintf(buffer, sizeof(buffer), "%.*f", static_cast<int>(std::min<std::int64_t>(digits, 300)), value);
  return std::strtod(buffer, nullptr);
}

Value filter_round(const Value& input, CallArgs& args) {
  BoundArgs bound("round", args, {"precision", "method"});
  const std::int64_t precision = int_arg(bound, 0, 0, "round");
  const std::string method = bound.has(1) ? bound[1].str() : "common";
  if (!input.is_number()) throw EvalError(fmt::format("round: expected a number, got {}", input.type_name()));
  if (method == "common") {
    if (!input.is_float()) return Value::integer(input.as_integral());  // round(int) is an int
    return Value::floating(round_half_even(input.as_float(), precision));
  }
  if (method != "ceil" && method != "floor") throw EvalError("round: method must be 'common', 'ceil' or 'floor'");
  const double scale = std::pow(10.0, static_cast<double>(precision));
  const double scaled = input.as_double() * scale;
  return Value::floating((method == "ceil" ? std::ceil(scaled) : std::floor(scaled)) / scale);
}

Value filter_tojson(const Value& input, CallArgs& args) {
  BoundArgs bound("tojson", args, {"ensure_ascii", "indent", "separators", "sort_keys"});
  JsonDumpOptions options;
  options.ensure_ascii = bool_arg(bound, 0, false);
  if (bound.has(1) && !bound[1].is_none()) {
    if (bound[1].is_string()) {
      options.indent = bound[1].as_string();
    } else {
      options.indent = std::string(static_cast<std::size_t>(std::max<std::int64_t>(0, int_arg(bound, 1, 0, "tojson"))), ' ');
    }
  }
  if (bound.has(2) && !bound[2].is_none()) {
    const Value& separators = bound[2];
    if (!separators.is_list() || separators.as_list().items.size() != 2 ||
        !separators.as_list().items[0].is_string() || !separators.as_list().items[1].is_string()) {
      throw EvalError("tojson: separators must be a pair of strings");
    }
    options.item_separator = separators.as_list().items[0].as_string();
    options.key_separator = separators.as_list().items[1].as_string();
  }
  options.sort_keys = bool_arg(bound, 3, false);
  return Value::string(dump_json(input, options));
}

// ---- sequences ----

Value filter_default(const Value& input, CallArgs& args) {
  BoundArgs bound("default", args, {"default_value", "boolean"});
  if (input.is_undefined() || (bool_arg(bound, 1, false) && !input.truthy())) {
    return bound.get_or(0, Value::string(""));
  }
  return input;
}

Value filter_length(const Value& input, CallArgs& args) {
  BoundArgs bound("length", args, {});
  return Value::integer(length_of(input));
}

Value filter_list(const Value& input, CallArgs& args) {
  BoundArgs bound("list", args, {});
  return make_list(iterate(input));
}

Value filter_first(const Value& input, CallArgs& args) {
  BoundArgs bound("first", args, {});
  if (input.is_list()) {
    const auto& items = input.as_list().items;
    return items.empty() ? Value::undefined("No first item, sequence was empty.") : items.front();
  }
  std::vector<Value> items = iterate(input);
  return items.empty() ? Value::undefined("No first item, sequence was empty.") : items.front();
}

Value filter_last(const Value& input, CallArgs& args) {
  BoundArgs bound("last", args, {});
  std::vector<Value> items = iterate(input);
  return items.empty() ? Value::undefined("No last item, sequence was empty.") : items.back();
}

Value filter_reverse(const Value& input, CallArgs& args) {
  BoundArgs bound("reverse", args, {});
  if (input.is_string()) return slice_value(input, Value::none(), Value::none(), Value::integer(-1));
  std::vector<Value> items = iterate(input);
  std::reverse(items.begin(), items.end());
  return make_list(std::move(items));
}

Value filter_join(const Value& input, CallArgs& args) {
  BoundArgs bound("join", args, {"d", "attribute"});
  const std::string separator = bound.has(0) ? bound[0].str() : "";
  std::string out;
  bool first = true;
  for (const Value& item : iterate(input)) {
    if (!first) out += separator;
    first = false;
    out += bound.has(1) && !bound[1].is_none() ? lookup_attribute_path(item, bound[1]).str() : item.str();
  }
  return Value::string(std::move(out));
}

Value filter_items(const Value& input, CallArgs& args) {
  BoundArgs bound("items", args, {});
  if (input.is_undefined()) return make_list({});
  if (!input.is_dict()) throw EvalError("Can only get item pairs from a mapping.");
  std::vector<Value> out;
  for (const auto& [key, value] : input.as_dict().entries()) out.push_back(Value::tuple({Value::string(key), value}));
  return make_list(std::move(out));
}

Value filter_dictsort(const Value& input, CallArgs& args) {
  BoundArgs bound("dictsort", args, {"case_sensitive", "by", "reverse"});
  const bool case_sensitive = bool_arg(bound, 0, false);
  const std::string by = bound.has(1) ? bound[1].str() : "key";
  if (by != "key" && by != "value") throw EvalError("You can only sort by either \"key\" or \"value\"");
  const bool reverse = bool_arg(bound, 2, false);
  if (!input.is_dict()) throw EvalError(fmt::format("dictsort: expected a mapping, got {}", input.type_name()));
  std::vector<Value> pairs;
  for (const auto& [key, value] : input.as_dict().entries()) pairs.push_back(Value::tuple({Value::string(key), value}));
  const std::size_t pos = by == "key" ? 0 : 1;
  std::stable_sort(pairs.begin(), pairs.end(), [&](const Value& a, const Value& b) {
    Value x = a.as_list().items[pos];
    Value y = b.as_list().items[pos];
    if (!case_sensitive) {
      x = fold_case(x);
      y = fold_case(y);
    }
    return reverse ? compare_values(y, x) < 0 : compare_values(x, y) < 0;
  });
  return make_list(std::move(pairs));
}

// Sort keys for sort/unique/min/max: the attribute (comma-separated for sort) or the item.
std::vector<Value> sort_key(const Value& item, const std::vector<Value>& attributes, bool case_sensitive) {
  std::vector<Value> key;
  if (attributes.empty()) {
    key.push_back(case_sensitive ? item : fold_case(item));
  } else {
    for (const Value& attribute : attributes) {
      const Value v = lookup_attribute_path(item, attribute);
      key.push_back(case_sensitive ? v : fold_case(v));
    }
  }
  return key;
}

int compare_keys(const std::vector<Value>& a, const std::vector<Value>& b) {
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (values_equal(a[i], b[i])) continue;
    return compare_values(a[i], b[i]);
  }
  return a.size() < b.size() ? -1 : (b.size() < a.size() ? 1 : 0);
}

std::vector<Value> attribute_list(const BoundArgs& bound, std::size_t i, bool split_commas) {
  std::vector<Value> attributes;
  if (!bound.has(i) || bound[i].is_none()) return attributes;
  if (split_commas && bound[i].is_string()) {
    for (const std::string& part : text::split(bound[i].as_string(), std::string_view(","), -1)) {
      attributes.push_back(Value::string(text::strip(part, std::nullopt, text::StripSide::kBoth)));
    }
  } else {
    attributes.push_back(bound[i]);
  }
  return attributes;
}

Value filter_sort(const Value& input, CallArgs& args) {
  BoundArgs bound("sort", args, {"reverse", "case_sensitive", "attribute"});
  const bool reverse = bool_arg(bound, 0, false);
  const bool case_sensitive = bool_arg(bound, 1, false);
  const std::vector<Value> attributes = attribute_list(bound, 2, true);
  std::vector<std::pair<std::vector<Value>, Value>> keyed;
  for (Value& item : iterate(input)) keyed.emplace_back(sort_key(item, attributes, case_sensitive), std::move(item));
  std::stable_sort(keyed.begin(), keyed.end(), [reverse](const auto& a, const auto& b) {
    return reverse ? compare_keys(b.first, a.first) < 0 : compare_keys(a.first, b.first) < 0;
  });
  std::vector<Value> out;
  for (auto& entry : keyed) out.push_back(std::move(entry.second));
  return make_list(std::move(out));
}

Value filter_unique(const Value& input, CallArgs& args) {
  BoundArgs bound("unique", args, {"case_sensitive", "attribute"});
  const bool case_sensitive = bool_arg(bound, 0, false);
  const std::vector<Value> attributes = attribute_list(bound, 1, false);
  std::vector<Value> seen;
  std::vector<Value> out;
  for (const Value& item : iterate(input)) {
    const Value key = sort_key(item, attributes, case_sensitive).front();
    if (std::any_of(seen.begin(), seen.end(), [&](const Value& s) { return values_equal(s, key); })) continue;
    seen.push_back(key);
    out.push_back(item);
  }
  return make_list(std::move(out));
}

Value min_or_max(const Value& input, CallArgs& args, bool want_max) {
  BoundArgs bound(want_max ? "max" : "min", args, {"case_sensitive", "attribute"});
  const bool case_sensitive = bool_arg(bound, 0, false);
  const std::vector<Value> attributes = attribute_list(bound, 1, false);
  const std::vector<Value> items = iterate(input);
  if (items.empty()) return Value::undefined("No aggregated item, sequence was empty.");
  std::size_t best = 0;
  std::vector<Value> best_key = sort_key(items[0], attributes, case_sensitive);
  for (std::size_t i = 1; i < items.size(); ++i) {
    std::vector<Value> key = sort_key(items[i], attributes, case_sensitive);
    const int c = compare_keys(key, best_key);
    if (want_max ? c > 0 : c < 0) {
      best = i;
      best_key = std::move(key);
    }
  }
  return items[best];
}
Value filter_min(const Value& input, CallArgs& args) { return min_or_max(input, args, false); }
Value filter_max(const Value& input, CallArgs& args) { return min_or_max(input, args, true); }

Value filter_sum(const Value& input, CallArgs& args) {
  BoundArgs bound("sum", args, {"attribute", "start"});
  Value total = bound.get_or(1, Value::integer(0));
  if (total.is_string()) throw EvalError("sum() can't sum strings [use ''.join(seq) instead]");
  for (const Value& item : iterate(input)) {
    total = binary_op(BinaryOp::kAdd, total, bound.has(0) && !bound[0].is_none() ? lookup_attribute_path(item, bound[0]) : item);
  }
  return total;
}

Value filter_batch(const Value& input, CallArgs& args) {
  BoundArgs bound("batch", args, {"linecount", "fill_with"}, 1);
  const std::int64_t size = int_arg(bound, 0, 1, "batch");
  if (size <= 0) throw EvalError("batch: linecount must be positive");
  std::vector<Value> rows;
  std::vector<Value> row;
  for (Value& item : iterate(input)) {
    if (static_cast<std::int64_t>(row.size()) == size) rows.push_back(make_list(std::exchange(row, {})));
    row.push_back(std::move(item));
  }
  if (!row.empty()) {
    if (bound.has(1) && !bound[1].is_none()) {
      while (static_cast<std::int64_t>(row.size()) < size) row.push_back(bound[1]);
    }
    rows.push_back(make_list(std::move(row)));
  }
  return make_list(std::move(rows));
}

Value filter_attr(const Value& input, CallArgs& args) {
  BoundArgs bound("attr", args, {"name"}, 1);
  return get_attribute(input, bound[0].str());
}

Value filter_map(const Value& input, CallArgs& args) {
  std::vector<Value> out;
  const std::vector<Value> items = iterate(input);
  if (args.positional.empty()) {
    BoundArgs bound("map", args, {"attribute", "default"});
    if (!bound.has(0)) throw EvalError("map requires a filter name or attribute=");
    for (const Value& item : items) {
      Value v = lookup_attribute_path(item, bound[0]);
      if (v.is_undefined() && bound.has(1)) v = bound[1];
      out.push_back(std::move(v));
    }
    return make_list(std::move(out));
  }
  const std::string name = args.positional.front().str();
  const FilterFn fn = find_filter(name);
  if (fn == nullptr) throw EvalError(fmt::format("map: no filter named '{}'", name));
  for (const Value& item : items) {
    CallArgs call;
    call.positional.assign(args.positional.begin() + 1, args.positional.end());
    call.keyword = args.keyword;
    out.push_back(fn(item, call));
  }
  return make_list(std::move(out));
}

// select/reject/selectattr/rejectattr share Jinja2's prepare_select_or_reject.
Value select_or_reject(const Value& input, CallArgs& args, bool select, bool by_attribute, std::string_view filter) {
  std::size_t offset = 0;
  Value attribute;
  if (by_attribute) {
    if (args.positional.empty()) throw EvalError(fmt::format("{}: missing parameter for attribute name", filter));
    attribute = args.positional[0];
    offset = 1;
  }
  TestFn test = nullptr;
  std::string test_name;
  if (args.positional.size() > offset) {
    test_name = args.positional[offset].str();
    test = find_test(test_name);
    if (test == nullptr) throw EvalError(fmt::format("{}: no test named '{}'", filter, test_name));
  }
  std::vector<Value> out;
  for (const Value& item : iterate(input)) {
    const Value subject = by_attribute ? lookup_attribute_path(item, attribute) : item;
    bool passed;
    if (test != nullptr) {
      CallArgs call;
      call.positional.assign(args.positional.begin() + static_cast<std::ptrdiff_t>(offset + 1), args.positional.end());
      call.keyword = args.keyword;
      passed = test(subject, call);
    } else {
      passed = subject.truthy();
    }
    if (passed == select) out.push_back(item);
  }
  return make_list(std::move(out));
}
Value filter_select(const Value& input, CallArgs& args) { return select_or_reject(input, args, true, false, "select"); }
Value filter_reject(const Value& input, CallArgs& args) { return select_or_reject(input, args, false, false, "reject"); }
Value filter_selectattr(const Value& input, CallArgs& args) { return select_or_reject(input, args, true, true, "selectattr"); }
Value filter_rejectattr(const Value& input, CallArgs& args) { return select_or_reject(input, args, false, true, "rejectattr"); }

const std::unordered_map<std::string_view, FilterFn>& filter_table() {
  static const std::unordered_map<std::string_view, FilterFn> table = {
      {"abs", filter_abs}, {"attr", filter_attr}, {"batch", filter_batch},
      {"capitalize", filter_capitalize}, {"center", filter_center}, {"count", filter_length},
      {"d", filter_default}, {"default", filter_default}, {"dictsort", filter_dictsort},
      {"e", filter_escape}, {"escape", filter_escape}, {"first", filter_first}, {"float", filter_float},
      {"forceescape", filter_escape}, {"format", filter_format}, {"indent", filter_indent},
      {"int", filter_int}, {"items", filter_items}, {"join", filter_join}, {"last", filter_last},
      {"length", filter_length}, {"list", filter_list}, {"lower", filter_lower}, {"map", filter_map},
      {"max", filter_max}, {"min", filter_min}, {"pprint", filter_pprint}, {"reject", filter_reject},
      {"rejectattr", filter_rejectattr}, {"replace", filter_replace}, {"reverse", filter_reverse},
      {"round", filter_round}, {"safe", filter_safe}, {"select", filter_select},
      {"selectattr", filter_selectattr}, {"sort", filter_sort}, {"string", filter_string},
      {"sum", filter_sum}, {"title", filter_title}, {"tojson", filter_tojson}, {"trim", filter_trim},
      {"truncate", filter_truncate}, {"unique", filter_unique}, {"upper", filter_upper},
      {"wordcount", filter_wordcount},
  };
  return table;
}

}  // namespace

FilterFn find_filter(std::string_view name) {
  const auto& table = filter_table();
  const auto it = table.find(name);
  return it == table.end() ? nullptr : it->second;
}

Value lookup_attribute_path(const Value& item, const Value& attribute) {
  if (!attribute.is_string()) return get_item(item, attribute);
  Value current = item;
  for (const std::string& part : text::split(attribute.as_string(), std::string_view("."), -1)) {
    const bool numeric = !part.empty() && part.find_first_not_of("0123456789") == std::string::npos;
    current = get_item(current, numeric ? Value::integer(std::stoll(part)) : Value::string(part));
  }
  return current;
}

}  // namespace turbine::chat_template
