#include "server/http_request_framing.h"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <vector>

#include "server/api_error.h"

namespace turbine::server::http_framing {

namespace beast = boost::beast;
namespace http = beast::http;

HttpResponse FramingError::response() const {
  return HttpResponse{status, "application/json", ApiError(status, message, {}, code).to_json(), {}};
}

void configure(RequestParser& parser, size_t body_limit) {
  parser.header_limit(kHeaderLimit);
  parser.body_limit(body_limit);
}

std::optional<FramingError> check_header(const RequestParser& parser) {
  const RequestMessage& message = parser.get();
  // Every Transfer-Encoding line, as one list (RFC 9110 5.3).
  std::vector<std::string> codings;
  for (const auto& field : message)
    if (field.name() == http::field::transfer_encoding)
      for (const auto coding : http::token_list(field.value())) codings.emplace_back(coding);
  const bool has_transfer_encoding = message.find(http::field::transfer_encoding) != message.end();
  if (has_transfer_encoding) {
    if (message.version() < 11)
      return FramingError{400, "Transfer-Encoding is not allowed in an HTTP/1.0 request", "bad_framing"};
    if (codings.empty() || !beast::iequals(codings.back(), "chunked"))
      return FramingError{400, "the request's Transfer-Encoding does not end in chunked: its length is unknown",
                          "bad_framing"};
    if (codings.size() != 1 || !parser.chunked())
      return FramingError{501, "only the chunked transfer coding is supported", "unsupported_transfer_coding"};
  }
  if (message.version() >= 11) {
    const size_t hosts = message.count(http::field::host);
    if (hosts != 1)
      return FramingError{400, hosts == 0 ? "an HTTP/1.1 request needs a Host header" : "more than one Host header",
                          "bad_host"};
  }
  return std::nullopt;
}

std::optional<FramingError> read_error_reply(beast::error_code ec, size_t body_limit) {
  if (ec == http::error::body_limit)
    return FramingError{413, fmt::format("the request body exceeds the limit of {} bytes", body_limit),
                        "request_too_large"};
  if (ec == http::error::header_limit) return FramingError{431, "the request headers are too large", "headers_too_large"};
  if (ec.category() == http::make_error_code(http::error::bad_method).category() && ec != http::error::end_of_stream &&
      ec != http::error::partial_message && ec != http::error::need_more)
    return FramingError{400, "malformed HTTP request: " + ec.message(), "bad_http_request"};
  return std::nullopt;  // end of stream, reset, timeout: nobody to answer
}

HttpRequestHead request_head(const RequestParser& parser) {
  const RequestMessage& message = parser.get();
  HttpRequestHead head;
  head.method = std::string(message.method_string());
  head.target = origin_form(std::string_view(message.target().data(), message.target().size()));
  head.path = head.target.substr(0, head.target.find('?'));
  head.version = message.version() < 11 ? 10 : 11;
  head.has_body = parser.chunked() || parser.content_length().value_or(0) > 0;
  for (const auto& field : message) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    head.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  return head;
}

HttpRequest to_request(RequestMessage&& message, const HttpRequestHead& head, bool head_as_get) {
  HttpRequest request;
  request.method = head_as_get ? std::string("GET") : head.method;
  request.target = head.target;
  request.path = head.path;
  request.headers = head.headers;
  request.body = std::move(message.body());
  return request;
}

}  // namespace turbine::server::http_framing
