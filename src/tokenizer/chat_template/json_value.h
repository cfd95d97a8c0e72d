// Conversions between JSON and template values: the render context comes in as JSON, and the
// `tojson` filter writes JSON exactly as Python's json.dumps does (transformers' tojson is
// json.dumps(x, ensure_ascii=False, indent=indent, separators=separators, sort_keys=sort_keys)).
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "tokenizer/chat_template/value.h"

namespace turbine::chat_template {

// JSON objects become insertion-ordered dicts; integers stay ints and 1.0 stays a float.
Value from_json(const nlohmann::ordered_json& json);

struct JsonDumpOptions {
  std::optional<std::string> indent;  // none: one line; else newline + indent per level
  bool ensure_ascii = false;
  bool sort_keys = false;
  // Python's defaults: ", " without indent, "," with it; ": " always.
  std::optional<std::string> item_separator;
  std::optional<std::string> key_separator;
};

// Undefined, namespaces and callables are not serialisable (EvalError), as in Python.
std::string dump_json(const Value& value, const JsonDumpOptions& options);

}  // namespace turbine::chat_template
