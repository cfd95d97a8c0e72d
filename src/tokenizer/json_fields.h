// Typed access to tokenizer.json fields with errors that say where the problem is.
//
// `where` names the file and the component ("/m/tokenizer.json: pre_tokenizer Split"), and
// every error a user can cause (missing field, wrong type, unknown component) is a
// turbine::Error carrying it.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace turbine::tokenizer {

using Json = nlohmann::json;

inline const Json& require_field(const Json& object, std::string_view key, std::string_view where) {
  if (!object.is_object()) fail("{}: expected a JSON object", where);
  const auto it = object.find(key);
  if (it == object.end()) fail("{}: missing field \"{}\"", where, key);
  return *it;
}

// The field if it is present and not null.
inline const Json* optional_field(const Json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

inline std::string string_field(const Json& object, std::string_view key, std::string_view where) {
  const Json& value = require_field(object, key, where);
  if (!value.is_string()) fail("{}: field \"{}\" must be a string", where, key);
  return value.get<std::string>();
}

inline std::optional<std::string> optional_string_field(const Json& object, std::string_view key,
                                                        std::string_view where) {
  const Json* value = optional_field(object, key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string()) fail("{}: field \"{}\" must be a string", where, key);
  return value->get<std::string>();
}

inline bool bool_field(const Json& object, std::string_view key, bool fallback,
                       std::string_view where) {
  const Json* value = optional_field(object, key);
  if (value == nullptr) return fallback;
  if (!value->is_boolean()) fail("{}: field \"{}\" must be true or false", where, key);
  return value->get<bool>();
}

inline int64_t int_field(const Json& object, std::string_view key, int64_t fallback,
                         std::string_view where) {
  const Json* value = optional_field(object, key);
  if (value == nullptr) return fallback;
  if (!value->is_number_integer()) fail("{}: field \"{}\" must be an integer", where, key);
  return value->get<int64_t>();
}

// The "type" tag of a component object.
inline std::string type_of(const Json& object, std::string_view where) {
  return string_field(object, "type", where);
}

}  // namespace turbine::tokenizer
