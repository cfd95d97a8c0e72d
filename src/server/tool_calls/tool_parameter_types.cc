#include "server/tool_calls/tool_parameter_types.h"

#include <charconv>
#include <cmath>

#include "server/tool_calls/json_normalizer.h"
#include "server/tool_calls/python_json.h"
#include "server/tool_calls/python_literal.h"

namespace turbine::server {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string_view strip(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return out;
}

// digit ('_'? digit)* from s[i], appended to `digits` without underscores.
bool digit_run(std::string_view s, size_t& i, std::string& digits) {
  if (i >= s.size() || !is_digit(s[i])) return false;
  while (true) {
    digits += s[i++];
    if (i < s.size() && s[i] == '_') {
      if (i + 1 >= s.size() || !is_digit(s[i + 1])) return false;
      ++i;
    } else if (i >= s.size() || !is_digit(s[i])) {
      return true;
    }
  }
}

// Python's int(text), as canonical decimal digits.
bool python_int(std::string_view text, std::string& out) {
  const std::string_view s = strip(text);
  size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  std::string digits;
  if (!digit_run(s, i, digits) || i != s.size()) return false;
  const size_t nonzero = digits.find_first_not_of('0');
  out.clear();
  if (nonzero == std::string::npos) {
    out.push_back('0');
  } else {
    if (negative) out.push_back('-');
    out.append(digits, nonzero);
  }
  return true;
}

// Python's float(text).
bool python_float(std::string_view text, double& value) {
  const std::string_view s = strip(text);
  size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  const std::string word = ascii_lower(s.substr(i));
  if (word == "inf" || word == "infinity") {
    value = negative ? -INFINITY : INFINITY;
    return true;
  }
  if (word == "nan") {
    value = NAN;
    return true;
  }
  std::string lexeme = negative ? "-" : "";
  std::string int_part, fraction;
  if (i < s.size() && is_digit(s[i]) && !digit_run(s, i, int_part)) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (i < s.size() && is_digit(s[i]) && !digit_run(s, i, fraction)) return false;
  }
  if (int_part.empty() && fraction.empty()) return false;
  const size_t nonzero = int_part.find_first_not_of('0');  // JSON has no leading zeros
  lexeme += nonzero == std::string::npos ? std::string("0") : int_part.substr(nonzero);
  if (!fraction.empty()) lexeme += "." + fraction;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    lexeme += 'e';
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) lexeme += s[i++];
    std::string exponent;
    if (!digit_run(s, i, exponent)) return false;
    lexeme += exponent;
  }
  if (i != s.size()) return false;
  // The JSON number code knows how out-of-range lexemes round (to infinity or zero).
  std::string json;
  if (!append_normalized_json_number(lexeme.find_first_of(".e") == std::string::npos ? lexeme + ".0" : lexeme, json))
    return false;
  if (json == "Infinity" || json == "-Infinity") {
    value = json[0] == '-' ? -INFINITY : INFINITY;
    return true;
  }
  const auto result = std::from_chars(json.data(), json.data() + json.size(), value);
  return result.ec == std::errc{};
}

std::string json_string(std::string_view text) {
  std::string out;
  append_python_json_string(out, text);
  return out;
}

ParameterType classify(std::string_view type) {
  for (std::string_view s : {"string", "str", "text", "varchar", "char", "enum"})
    if (type == s) return ParameterType::kString;
  for (std::string_view prefix : {"int", "uint", "long", "short", "unsigned"})
    if (type.starts_with(prefix)) return ParameterType::kInteger;
  if (type.starts_with("num") || type.starts_with("float")) return ParameterType::kNumber;
  if (type == "boolean" || type == "bool" || type == "binary") return ParameterType::kBoolean;
  if (type == "object" || type == "array" || type == "arr" || type.starts_with("dict") || type.starts_with("list"))
    return ParameterType::kJson;
  return ParameterType::kLiteral;
}

}  // namespace

bool is_null_text(std::string_view text) { return ascii_lower(text) == "null"; }

ToolParameterTypes::ToolParameterTypes(const nlohmann::ordered_json& tools) {
  if (!tools.is_array()) return;
  for (const auto& tool : tools) {
    if (!tool.is_object() || tool.value("type", nlohmann::ordered_json()) != "function") continue;
    const auto function = tool.find("function");
    if (function == tool.end() || !function->is_object()) continue;
    const auto name = function->find("name");
    if (name == function->end() || !name->is_string()) continue;
    if (parameters_.contains(name->get<std::string>())) continue;  // vLLM takes the first
    nlohmann::ordered_json config = nlohmann::ordered_json::object();
    const auto params = function->find("parameters");
    if (params != function->end() && params->is_object()) {
      const auto properties = params->find("properties");
      config = properties != params->end() ? *properties : *params;
    }
    parameters_.emplace(name->get<std::string>(), std::move(config));
  }
}

ParameterType ToolParameterTypes::type_of(std::string_view function, std::string_view parameter) const {
  const auto it = parameters_.find(function);
  if (it == parameters_.end() || !it->second.is_object()) return ParameterType::kString;
  const auto entry = it->second.find(std::string(parameter));
  if (entry == it->second.end() || !entry->is_object()) return ParameterType::kString;
  const auto type = entry->find("type");
  if (type == entry->end()) return ParameterType::kString;
  if (!type->is_string()) return ParameterType::kLiteral;  // str(['string', 'null']) matches no name
  return classify(ascii_lower(strip(type->get<std::string>())));
}

std::string convert_parameter_value(std::string_view text, ParameterType type) {
  if (is_null_text(text)) return "null";
  std::string out;
  switch (type) {
    case ParameterType::kString:
      break;
    case ParameterType::kInteger:
      if (python_int(text, out)) return out;
      break;
    case ParameterType::kNumber: {
      double value = 0;
      if (python_float(text, value) && std::isfinite(value))
        return value == std::trunc(value) ? python_int_of_integral_double(value) : python_float_repr(value);
      break;
    }
    case ParameterType::kBoolean:
      return ascii_lower(text) == "true" ? "true" : "false";
    case ParameterType::kJson:
      if (normalize_json(text, out)) return out;
      out.clear();
      if (python_literal_to_json(text, out)) return out;
      break;
    case ParameterType::kLiteral:
      if (python_literal_to_json(text, out)) return out;
      break;
  }
  return json_string(text);
}

}  // namespace turbine::server
