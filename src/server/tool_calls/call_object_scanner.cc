#include "server/tool_calls/call_object_scanner.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "server/tool_calls/text_scan.h"

namespace turbine::server {

std::optional<std::string> decode_json_string(std::string_view json_text) {
  try {
    const nlohmann::json value = nlohmann::json::parse(json_text);
    if (value.is_string()) return value.get<std::string>();
  } catch (const nlohmann::json::exception&) {
  }
  return std::nullopt;
}

std::string CallObjectScanner::take_arguments() {
  std::string out;
  out.swap(arguments_);
  return out;
}

void CallObjectScanner::start_key() {
  key_ = JsonNormalizer();
  key_text_.clear();
  state_ = State::kKey;
}

bool CallObjectScanner::key_done() {
  const std::optional<std::string> key = decode_json_string(key_text_);
  field_ = Field::kOther;
  if (key && *key == "name") {
    if (has_name_key_) return false;
    has_name_key_ = true;
    field_ = Field::kName;
  } else if (key && std::find(argument_keys_.begin(), argument_keys_.end(), *key) != argument_keys_.end()) {
    if (has_arguments_key_) return false;
    has_arguments_key_ = true;
    field_ = Field::kArguments;
  }
  state_ = State::kColon;
  return true;
}

bool CallObjectScanner::value_done() {
  if (field_ == Field::kName) {
    if (value_.first_byte() != '"') return false;  // the name must be a string
    name_ = decode_json_string(value_text_);
    if (!name_) return false;
  } else if (field_ == Field::kArguments) {
    arguments_complete_ = true;
  }
  value_text_.clear();
  state_ = State::kCommaOrClose;
  return true;
}

size_t CallObjectScanner::feed(std::string_view in) {
  size_t i = 0;
  auto error = [&] {
    status_ = Status::kError;
    return i;
  };
  while (i < in.size() && status_ == Status::kIncomplete) {
    const char c = in[i];
    switch (state_) {
      case State::kOpen:
        if (is_json_whitespace(c)) {
          ++i;
        } else if (c == '{') {
          ++i;
          state_ = State::kKeyOrClose;
        } else {
          return error();
        }
        break;
      case State::kKeyOrClose:
      case State::kKeyAfterComma:
        if (is_json_whitespace(c)) {
          ++i;
        } else if (c == '"') {
          start_key();
        } else if (c == '}' && state_ == State::kKeyOrClose) {
          ++i;
          state_ = State::kDone;
          status_ = Status::kComplete;
        } else {
          return error();
        }
        break;
      case State::kKey:
        i += key_.feed(in.substr(i), key_text_);
        if (key_.status() == JsonNormalizer::Status::kError) return error();
        if (key_.status() == JsonNormalizer::Status::kComplete) {
          if (!key_done()) return error();
          return i;  // the caller may act on the key before anything after it is read
        }
        break;
      case State::kColon:
        if (is_json_whitespace(c)) {
          ++i;
        } else if (c == ':') {
          ++i;
          value_ = JsonNormalizer();
          value_text_.clear();
          state_ = State::kValue;
        } else {
          return error();
        }
        break;
      case State::kValue:
        i += value_.feed(in.substr(i), field_ == Field::kArguments ? arguments_ : value_text_);
        if (value_.status() == JsonNormalizer::Status::kError) return error();
        if (value_.status() == JsonNormalizer::Status::kComplete) {
          if (!value_done()) return error();
          return i;  // the caller may act on the value (a name) before anything after it is read
        }
        break;
      case State::kCommaOrClose:
        if (is_json_whitespace(c)) {
          ++i;
        } else if (c == ',') {
          ++i;
          state_ = State::kKeyAfterComma;
        } else if (c == '}') {
          ++i;
          state_ = State::kDone;
          status_ = Status::kComplete;
        } else {
          return error();
        }
        break;
      case State::kDone:
        return i;
    }
  }
  return i;
}

}  // namespace turbine::server
