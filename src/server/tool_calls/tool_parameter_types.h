// How qwen3_coder types a parameter's text by the request's tool schemas (vLLM's
// Qwen3CoderToolParser._get_arguments_config and _convert_param_value).
//
// The model writes every parameter as text; the tool's JSON Schema says what it is:
//  - the text "null" (any case) is null, whatever the type;
//  - a parameter the schema does not list (or any parameter of a tool not in the request) is a
//    string; a listed one without a "type" is a string too;
//  - string, str, text, varchar, char, enum: the text as it is;
//  - int*, uint*, long*, short*, unsigned*: Python's int(text) (whitespace, sign, underscores),
//    else the text as a string;
//  - num*, float*: Python's float(text), written as an integer when it has no fraction (4.0 -> 4),
//    else the text as a string;
//  - boolean, bool, binary: true when the text is "true" in any case, false otherwise;
//  - object, array, arr, dict*, list*: the text as JSON, else as a Python literal, else a string;
//  - any other type (or a "type" that is not a string, e.g. ["string", "null"]): the text as a
//    Python literal, else a string.
// Deviation: vLLM fails the whole output on a number type given "inf" (int(inf) raises); here it
// stays a string.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace turbine::server {

enum class ParameterType { kString, kInteger, kNumber, kBoolean, kJson, kLiteral };

class ToolParameterTypes {
 public:
  // `tools`: the request's "tools" (null, or an array; malformed entries are skipped).
  explicit ToolParameterTypes(const nlohmann::ordered_json& tools);

  ParameterType type_of(std::string_view function, std::string_view parameter) const;

 private:
  // Per function name (the first tool of that name): the schema's "properties", or the whole
  // "parameters" object when it has none (as vLLM reads it).
  std::map<std::string, nlohmann::ordered_json, std::less<>> parameters_;
};

// The JSON text (as json.dumps writes it) of a parameter's text of type `type`.
std::string convert_parameter_value(std::string_view text, ParameterType type);

// Whether `text` is "null" in any case (null whatever the type).
bool is_null_text(std::string_view text);

}  // namespace turbine::server
