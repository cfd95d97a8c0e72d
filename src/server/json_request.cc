#include "server/json_request.h"

#include <cmath>
#include <unordered_map>
#include <utility>
#include <vector>

#include "server/api_error.h"

namespace turbine::server {
namespace {


std::string_view json_type_name(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::object: return "an object";
    case Json::value_t::array: return "an array";
    case Json::value_t::string: return "a string";
    case Json::value_t::boolean: return "a boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return "an integer";
    case Json::value_t::number_float: return "a number";
    case Json::value_t::binary: return "binary";
    case Json::value_t::discarded: return "nothing";
  }
  return "?";
}

[[noreturn]] void wrong_type(std::string_view param, std::string_view expected, const Json& value) {
  throw ApiError(400, fmt::format("'{}' must be {}, got {}", param, expected, json_type_name(value)),
                 std::string(param), "invalid_type");
}

// Removes nlohmann's "[json.exception.parse_error.101] " prefix.
std::string strip_exception_id(std::string message) {
  if (message.rfind("[json.exception.", 0) == 0) {
    const size_t end = message.find("] ");
    if (end != std::string::npos) message.erase(0, end + 2);
  }
  return message;
}

// Builds an ordered_json from SAX events. ordered_json's own parser looks each key up with a
// linear scan (quadratic in an object's size); here a hash of the open object's keys does it.
class OrderedJsonBuilder {
 public:
  using string_t = Json::string_t;

  bool null() { return add(Json(nullptr)); }
  bool boolean(bool value) { return add(Json(value)); }
  bool number_integer(Json::number_integer_t value) { return add(Json(value)); }
  bool number_unsigned(Json::number_unsigned_t value) { return add(Json(value)); }
  bool number_float(Json::number_float_t value, const string_t&) { return add(Json(value)); }
  bool string(string_t& value) { return add(Json(std::move(value))); }
  bool binary(Json::binary_t& value) { return add(Json::binary(std::move(value))); }
  bool start_object(size_t) { return open(Json::object()); }
  bool key(string_t& key) {
    stack_.back().key = std::move(key);
    return true;
  }
  bool end_object() { return close(); }
  bool start_array(size_t) { return open(Json::array()); }
  bool end_array() { return close(); }
  bool parse_error(size_t, const std::string&, const nlohmann::detail::exception& e) {
    // A well-formed number too large for a double (1e400): the client's value, so name its field.
    constexpr int kNumberOverflow = 406;
    if (e.id == kNumberOverflow && !stack_.empty())
      throw ApiError(400, fmt::format("'{}' is out of range: {}", open_value_path(), strip_exception_id(e.what())),
                     open_value_path(), "invalid_value");
    throw ApiError(400, "the request body is not valid JSON: " + strip_exception_id(e.what()), {}, "invalid_json");
  }

  Json release() { return std::move(root_); }

 private:
  struct Frame {
    Json* container;
    std::string key;                              // objects: the key of the next value
    std::unordered_map<std::string, size_t> index;  // objects: key -> position
  };

  // Stores `value` in the open container (or as the root); returns where it went.
  Json* store(Json value) {
    if (stack_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    Frame& frame = stack_.back();
    if (frame.container->is_array()) {
      auto& array = frame.container->get_ref<Json::array_t&>();
      array.push_back(std::move(value));
      return &array.back();
    }
    auto& object = frame.container->get_ref<Json::object_t&>();
    auto& entries = static_cast<Json::object_t::Container&>(object);
    const auto [it, inserted] = frame.index.try_emplace(frame.key, entries.size());
    if (!inserted) {
      entries[it->second].second = std::move(value);  // Python: the last value wins
      return &entries[it->second].second;
    }
    entries.emplace_back(std::move(frame.key), std::move(value));
    return &entries.back().second;
  }

  // The param name of the value being read: "temperature", "messages[1].content".
  std::string open_value_path() const {
    std::string path;
    for (const Frame& frame : stack_) {
      if (frame.container->is_array()) {
        path += fmt::format("[{}]", frame.container->size());
      } else {
        if (!path.empty()) path += '.';
        path += frame.key;
      }
    }
    return path;
  }

  bool add(Json value) {
    store(std::move(value));
    return true;
  }

  bool open(Json container) {
    if (stack_.size() >= size_t(kMaxJsonDepth))
      throw ApiError(400, fmt::format("the request JSON is nested deeper than {} levels", kMaxJsonDepth), {},
                     "invalid_json");
    // A parent never grows while its child is open, so this pointer stays valid until close().
    Json* child = store(std::move(container));
    stack_.push_back(Frame{child, {}, {}});
    return true;
  }

  bool close() {
    stack_.pop_back();
    return true;
  }

  Json root_;
  std::vector<Frame> stack_;
};

}  // namespace

Json parse_json_object(std::string_view body) {
  OrderedJsonBuilder builder;
  try {
    Json::sax_parse(body, &builder);
  } catch (const Json::exception& e) {  // sax_parse reports some errors by throwing
    throw ApiError(400, "the request body is not valid JSON: " + strip_exception_id(e.what()), {}, "invalid_json");
  }
  Json value = builder.release();
  if (!value.is_object())
    throw ApiError(400, fmt::format("the request body must be a JSON object, got {}", json_type_name(value)), {},
                   "invalid_json");
  return value;
}

std::string describe_json(const Json& value) {
  // Values are depth-limited by parse_json_object, so dump's recursion is bounded.
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  constexpr size_t kMaxChars = 80;
  if (text.size() > kMaxChars) {
    size_t cut = kMaxChars;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // whole characters
    text = text.substr(0, cut) + "...";
  }
  return text;
}

size_t json_string_bytes(const Json& value) {
  // Values are depth-limited by parse_json_object, so the recursion is bounded.
  if (value.is_string()) return value.get_ref<const std::string&>().size();
  size_t bytes = 0;
  if (value.is_object()) {
    for (const auto& [key, item] : value.items()) bytes += key.size() + json_string_bytes(item);
  } else if (value.is_array()) {
    for (const Json& item : value) bytes += json_string_bytes(item);
  }
  return bytes;
}

int64_t json_to_integer(const Json& value, std::string_view param, int64_t min, int64_t max) {
  int64_t result = 0;
  if (value.is_number_integer() && !value.is_number_unsigned()) {
    result = value.get<int64_t>();
  } else if (value.is_number_unsigned()) {
    const uint64_t u = value.get<uint64_t>();
    if (u > uint64_t(INT64_MAX)) fail_param(param, "'{}' is out of range: {}", param, u);
    result = int64_t(u);
  } else if (value.is_number_float()) {
    const double d = value.get<double>();
    if (!std::isfinite(d)) fail_param(param, "'{}' is out of range (the number overflows a double)", param);
    if (d != std::floor(d)) wrong_type(param, "an integer", value);
    if (d < -9.2e18 || d > 9.2e18) fail_param(param, "'{}' is out of range: {}", param, d);
    result = int64_t(d);
  } else {
    wrong_type(param, "an integer", value);
  }
  if (result < min || result > max) {
    if (max == INT64_MAX) fail_param(param, "'{}' must be at least {}, got {}", param, min, result);
    if (min == INT64_MIN) fail_param(param, "'{}' must be at most {}, got {}", param, max, result);
    fail_param(param, "'{}' must be in [{}, {}], got {}", param, min, max, result);
  }
  return result;
}

JsonObjectReader::JsonObjectReader(const Json& object, std::string path) : object_(object), path_(std::move(path)) {}

const Json* JsonObjectReader::find(std::string_view key) const {
  const auto it = object_.find(key);
  if (it == object_.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string JsonObjectReader::param(std::string_view key) const {
  return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
}

std::optional<bool> JsonObjectReader::boolean(std::string_view key) const {
  const Json* value = find(key);
  if (!value) return std::nullopt;
  if (!value->is_boolean()) wrong_type(param(key), "a boolean", *value);
  return value->get<bool>();
}

std::optional<int64_t> JsonObjectReader::integer(std::string_view key, int64_t min, int64_t max) const {
  const Json* value = find(key);
  if (!value) return std::nullopt;
  return json_to_integer(*value, param(key), min, max);
}

std::optional<double> JsonObjectReader::number(std::string_view key) const {
  const Json* value = find(key);
  if (!value) return std::nullopt;
  if (!value->is_number()) wrong_type(param(key), "a number", *value);
  const double d = value->get<double>();
  if (!std::isfinite(d)) fail_param(param(key), "'{}' is out of range (the number overflows a double)", param(key));
  return d;
}

std::optional<std::string> JsonObjectReader::string(std::string_view key) const {
  const Json* value = find(key);
  if (!value) return std::nullopt;
  if (!value->is_string()) wrong_type(param(key), "a string", *value);
  return value->get<std::string>();
}

}  // namespace turbine::server
