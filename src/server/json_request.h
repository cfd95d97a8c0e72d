// Reading a request body as JSON, and its fields by type, with errors that name the field.
//
// parse_json_object() accepts only a JSON object nested at most kMaxJsonDepth deep (deeper input
// would only make later recursive code - dumping, template rendering - risk the stack). Objects
// keep their keys in request order, as Python's json.loads does, because chat templates may
// print them (tool schemas); a repeated key keeps its first position and its last value. Parsing
// stays linear in the body size however many keys an object has.
// JsonObjectReader reads optional fields: a field that is absent or null is "not given"; one of
// the wrong type is a 400 ApiError naming it ("param": "messages[2].content").
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace turbine::server {

using Json = nlohmann::ordered_json;

inline constexpr int kMaxJsonDepth = 64;

// The body as a JSON object; throws ApiError 400 (code "invalid_json") for anything else.
Json parse_json_object(std::string_view body);

// A short, valid-UTF-8 rendering of a client value for error messages (long values cut).
std::string describe_json(const Json& value);

class JsonObjectReader {
 public:
  // `object` must be a JSON object. `path` is the object's own name in param names ("" for the
  // body, "messages[0]" for a message).
  explicit JsonObjectReader(const Json& object, std::string path = {});

  // The field when present and not null.
  const Json* find(std::string_view key) const;
  bool has(std::string_view key) const { return find(key) != nullptr; }

  std::optional<bool> boolean(std::string_view key) const;
  // An integer in [min, max]; a float with an integral value (3.0) counts as an integer.
  std::optional<int64_t> integer(std::string_view key, int64_t min = INT64_MIN, int64_t max = INT64_MAX) const;
  // A finite number.
  std::optional<double> number(std::string_view key) const;
  std::optional<std::string> string(std::string_view key) const;

  // The param name of a field: "top_p", "messages[0].role".
  std::string param(std::string_view key) const;
  const std::string& path() const { return path_; }

 private:
  const Json& object_;
  std::string path_;
};

// The bytes of every string in `value`, object keys included (for size caps on client text).
size_t json_string_bytes(const Json& value);

// Reads `value` (named `param` in errors) as an integer in [min, max], accepting integral floats.
int64_t json_to_integer(const Json& value, std::string_view param, int64_t min = INT64_MIN,
                        int64_t max = INT64_MAX);

}  // namespace turbine::server
