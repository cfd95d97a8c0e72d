#include "server/api_error.h"

#include <nlohmann/json.hpp>

namespace turbine::server {

std::string_view ApiError::type() const {
  switch (status_) {
    case 400:
    case 404:
    case 405:
    case 413:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 503:
      return "service_unavailable_error";
    default:
      return status_ >= 500 ? "server_error" : "invalid_request_error";
  }
}

std::string ApiError::to_json() const {
  nlohmann::ordered_json error;
  error["message"] = what();
  error["type"] = type();
  error["param"] = param_.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(param_);
  error["code"] = code_.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(code_);
  nlohmann::ordered_json body;
  body["error"] = std::move(error);
  // `replace`: a message that quotes client bytes must still be valid JSON.
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace turbine::server
