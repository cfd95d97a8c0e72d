// The request side of HTTP/1.1 framing on Boost.Beast's parser: limits, the checks Beast leaves to
// us, and the conversion to the Boost-free request types. Included by http_server.cc and the
// framing fuzz target only (it pulls in Beast).
//
// Contract: after any FramingError the message's length cannot be trusted (RFC 9112 6.3), so the
// server answers it with "Connection: close" and reads no further request from that connection.
#pragma once

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstddef>
#include <optional>
#include <string>

#include "server/http_exchange.h"
#include "server/http_request_policy.h"

namespace turbine::server::http_framing {

using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;
using RequestMessage = boost::beast::http::request<boost::beast::http::string_body>;

constexpr size_t kHeaderLimit = 64 * 1024;

struct FramingError {
  int status;
  std::string message;
  std::string code;

  HttpResponse response() const;  // OpenAI's error shape
};

// Sets the header and body limits on a fresh parser.
void configure(RequestParser& parser, size_t body_limit);

// Checks of a parsed header that Beast does not make: a Transfer-Encoding that is not exactly
// "chunked" (Beast ignores one that does not end in chunked, and would read its body as the next
// request), Transfer-Encoding in HTTP/1.0, a missing or repeated Host in HTTP/1.1.
std::optional<FramingError> check_header(const RequestParser& parser);

// The reply to a failed read: 413, 431 or 400; nothing for an end of stream, a reset or a timeout.
std::optional<FramingError> read_error_reply(boost::beast::error_code ec, size_t body_limit);

// The head of a parsed header, its target reduced to origin-form.
HttpRequestHead request_head(const RequestParser& parser);

// The request handed to the handler: the head's path and target, GET for a HEAD served as GET.
HttpRequest to_request(RequestMessage&& message, const HttpRequestHead& head, bool head_as_get);

}  // namespace turbine::server::http_framing
