// ApiError: a request that cannot be served, as the client will see it.
//
// Everything a client can get wrong (malformed JSON, a wrong type, an out-of-range value, an
// unknown model, a missing API key) and every condition it must hear about (queue full, shutting
// down) is thrown as an ApiError on the thread handling the request. The HTTP layer turns it into
// OpenAI's error shape with the status code:
//
//   {"error": {"message": "...", "type": "invalid_request_error", "param": "top_p", "code": "..."}}
//
// `param` names the offending request field (JSON-path style, "messages[1].content") or is null;
// `code` is a short machine-readable reason or null. Internal failures are not ApiErrors: they are
// turbine::Error (a 500 the handler reports) or TURBINE_CHECK (a bug).
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace turbine::server {

class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string message, std::string param = {}, std::string code = {})
      : std::runtime_error(std::move(message)), status_(status), param_(std::move(param)), code_(std::move(code)) {}

  int status() const { return status_; }
  const std::string& param() const { return param_; }  // empty: null
  const std::string& code() const { return code_; }    // empty: null
  // OpenAI's error type for the status ("invalid_request_error", "authentication_error", ...).
  std::string_view type() const;

  // The response body: {"error": {"message", "type", "param", "code"}}.
  std::string to_json() const;

 private:
  int status_;
  std::string param_;
  std::string code_;
};

// 400 with the offending field named; the message is formatted with fmt.
template <typename... Args>
[[noreturn]] void fail_param(std::string_view param, fmt::format_string<Args...> format, Args&&... args) {
  throw ApiError(400, fmt::format(format, std::forward<Args>(args)...), std::string(param), "invalid_value");
}

}  // namespace turbine::server
