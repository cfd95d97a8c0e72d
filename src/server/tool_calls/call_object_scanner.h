// CallObjectScanner: reads one JSON call object, {"name": "...", "arguments": {...}}, as it streams
// (the body of a hermes <tool_call>, a llama3_json call, an item of mistral's [TOOL_CALLS] list).
//
// It follows the object's own keys only: "name" must be a string; the arguments value (under one
// of `argument_keys`) is written out as json.dumps writes it (JsonNormalizer) as it arrives, for
// the parser to send; any other key's value is read and ignored, as vLLM ignores it. A repeated
// name or arguments key is an error (json.loads would keep the last one; a stream has sent the
// first). Whether name and arguments were both present is the caller's to check at the end.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/tool_calls/json_normalizer.h"

namespace turbine::server {

class CallObjectScanner {
 public:
  enum class Status { kIncomplete, kComplete, kError };

  explicit CallObjectScanner(std::vector<std::string> argument_keys) : argument_keys_(std::move(argument_keys)) {}

  // Consumes bytes of `in` (whitespace, then the object) up to and including its closing brace,
  // stopping early right after each key and each value, so that the caller sees the name and the
  // arguments key at the byte that completes them whatever the split of the input (call it again
  // with the rest).
  size_t feed(std::string_view in);
  Status status() const { return status_; }

  // The name, once its string is complete.
  const std::optional<std::string>& name() const { return name_; }
  // The arguments key has been read (its value may not have begun).
  bool has_arguments_key() const { return has_arguments_key_; }
  bool arguments_complete() const { return arguments_complete_; }
  // The normalized arguments text produced since the last call.
  std::string take_arguments();

 private:
  enum class State { kOpen, kKeyOrClose, kKeyAfterComma, kKey, kColon, kValue, kCommaOrClose, kDone };
  enum class Field { kName, kArguments, kOther };

  void start_key();
  bool key_done();
  bool value_done();

  const std::vector<std::string> argument_keys_;
  State state_ = State::kOpen;
  Status status_ = Status::kIncomplete;
  JsonNormalizer key_;
  std::string key_text_;
  Field field_ = Field::kOther;
  JsonNormalizer value_;
  std::string value_text_;
  std::string arguments_;
  std::optional<std::string> name_;
  bool has_name_key_ = false;
  bool has_arguments_key_ = false;
  bool arguments_complete_ = false;
};

// The text of a JSON string literal (normalized JSON, with its quotes); nullopt if it is not one
// (or holds a lone surrogate).
std::optional<std::string> decode_json_string(std::string_view json_text);

}  // namespace turbine::server
