#include "tokenizer/chat_template/json_value.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "tokenizer/chat_template/python_text.h"

namespace turbine::chat_template {
namespace {

Value convert(const nlohmann::ordered_json& json, int depth) {
  if (depth > kMaxValueDepth) throw EvalError("JSON value is nested too deeply");
  using Type = nlohmann::ordered_json::value_t;
  switch (json.type()) {
    case Type::null: return Value::none();
    case Type::boolean: return Value::boolean(json.get<bool>());
    case Type::number_integer: return Value::integer(json.get<std::int64_t>());
    case Type::number_unsigned: {
      const auto v = json.get<std::uint64_t>();
      if (v <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return Value::integer(static_cast<std::int64_t>(v));
      }
      return Value::floating(static_cast<double>(v));
    }
    case Type::number_float: return Value::floating(json.get<double>());
    case Type::string: return Value::string(json.get<std::string>());
    case Type::array: {
      std::vector<Value> items;
      items.reserve(json.size());
      for (const auto& item : json) items.push_back(convert(item, depth + 1));
      return Value::list(std::move(items));
    }
    case Type::object: {
      Dict dict;
      for (const auto& [key, item] : json.items()) dict.set(key, convert(item, depth + 1));
      return Value::dict(std::move(dict));
    }
    case Type::binary: throw EvalError("binary JSON values are not supported");
    case Type::discarded: return Value::undefined();
  }
  return Value::undefined();
}

class JsonWriter {
 public:
  explicit JsonWriter(const JsonDumpOptions& options)
      : options_(options),
        item_separator_(options.item_separator.value_or(options.indent ? "," : ", ")),
        key_separator_(options.key_separator.value_or(": ")) {}

  void write(const Value& value, int depth) {
    if (depth > kMaxValueDepth) throw EvalError("value is nested too deeply for tojson");
    switch (value.kind()) {
      case Value::Kind::kNone: out_ += "null"; return;
      case Value::Kind::kBool: out_ += value.as_bool() ? "true" : "false"; return;
      case Value::Kind::kInt: out_ += std::to_string(value.as_int()); return;
      case Value::Kind::kFloat: write_float(value.as_float()); return;
      case Value::Kind::kString: text::append_json_string(out_, value.as_string(), options_.ensure_ascii); return;
      case Value::Kind::kList: write_list(value.as_list(), depth); return;
      case Value::Kind::kDict: write_dict(value.as_dict(), depth); return;
      case Value::Kind::kUndefined:
      case Value::Kind::kNamespace:
      case Value::Kind::kCallable:
        break;
    }
    if (value.is_undefined() && !value.undefined_hint().empty()) {
      throw EvalError(fmt::format("Object of type Undefined is not JSON serializable ({})", value.undefined_hint()));
    }
    throw EvalError(fmt::format("Object of type {} is not JSON serializable", value.type_name()));
  }

  std::string take() { return std::move(out_); }

 private:
  void write_float(double v) {
    if (std::isnan(v)) out_ += "NaN";
    else if (std::isinf(v)) out_ += v > 0 ? "Infinity" : "-Infinity";
    else out_ += text::float_repr(v);
  }

  void newline(int depth) {
    if (!options_.indent) return;
    out_.push_back('\n');
    for (int i = 0; i < depth; ++i) out_ += *options_.indent;
  }

  void write_list(const List& list, int depth) {
    if (list.items.empty()) {
      out_ += "[]";
      return;
    }
    out_.push_back('[');
    for (std::size_t i = 0; i < list.items.size(); ++i) {
      if (i > 0) out_ += item_separator_;
      newline(depth + 1);
      write(list.items[i], depth + 1);
    }
    newline(depth);
    out_.push_back(']');
  }

  void write_dict(const Dict& dict, int depth) {
    if (dict.empty()) {
      out_ += "{}";
      return;
    }
    std::vector<const Dict::Entry*> entries;
    for (const auto& entry : dict.entries()) entries.push_back(&entry);
    if (options_.sort_keys) {
      std::stable_sort(entries.begin(), entries.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
    }
    out_.push_back('{');
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (i > 0) out_ += item_separator_;
      newline(depth + 1);
      text::append_json_string(out_, entries[i]->first, options_.ensure_ascii);
      out_ += key_separator_;
      write(entries[i]->second, depth + 1);
    }
    newline(depth);
    out_.push_back('}');
  }

  const JsonDumpOptions& options_;
  std::string item_separator_;
  std::string key_separator_;
  std::string out_;
};

}  // namespace

Value from_json(const nlohmann::ordered_json& json) { return convert(json, 0); }

std::string dump_json(const Value& value, const JsonDumpOptions& options) {
  JsonWriter writer(options);
  writer.write(value, 0);
  return writer.take();
}

}  // namespace turbine::chat_template
