// HttpRequestPolicy: what the HTTP layer decides about a request from its header alone, before it
// reads a byte of the body. Boost-free, so it is unit-tested and fuzzed without a network.
//
// The one place for the server's access rules (OpenAiApi::request_policy() fills them from its
// route table for `turbine serve`):
//  - API key: with one set, every path needs "Authorization: Bearer <key>" except the public ones
//    (/health, /version, /metrics) and CORS preflights. Deny by default, so a new route is
//    protected unless it is listed as public. A 401 goes out before the body is read.
//  - Routes: a known path with a method it does not serve is a 405 with "Allow"; HEAD is served
//    as GET (without a body) where GET is. Unknown paths are left to the handler (404).
//  - Bodies: a POST must say "Content-Type: application/json" (parameters such as charset
//    allowed); anything else, a missing Content-Type included, is a 415. A browser can send
//    text/plain, form or untyped (Blob) POSTs cross-origin without a preflight; JSON it cannot.
//  - CORS: preflights (OPTIONS with Origin and Access-Control-Request-Method) are answered from
//    the allowed origins, methods and headers; responses to an allowed origin carry
//    Access-Control-Allow-Origin. No origin is allowed unless configured (vLLM allows all).
// A default-constructed policy checks nothing (any method, any body, no key, no CORS).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/http_exchange.h"

namespace turbine::server {

// A request as known once its header is parsed.
struct HttpRequestHead {
  std::string method;
  std::string target;  // origin-form: path and query (absolute-form already reduced to it)
  std::string path;    // target without the query
  int version = 11;    // 10 or 11
  bool has_body = false;
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case

  // The first header of that (lower-case) name, or empty.
  std::string_view header(std::string_view lower_name) const;
};

struct HttpRoute {
  std::string path;
  std::vector<std::string> methods;
};

struct CorsOptions {
  std::vector<std::string> allowed_origins;        // "*": any; empty: none
  std::vector<std::string> allowed_methods{"*"};   // for preflights
  std::vector<std::string> allowed_headers{"*"};   // for preflights

  bool allows_origin(std::string_view origin) const;
};

struct HttpRequestPolicy {
  std::optional<std::string> api_key;
  std::vector<std::string> public_paths;  // reachable without the API key
  std::vector<HttpRoute> routes;          // empty: methods are the handler's business
  bool require_json_post = false;
  CorsOptions cors;

  // The methods `path` serves ("GET, HEAD" style), or empty when the path is not in `routes`.
  std::string allowed_methods(std::string_view path) const;
};


// The decision on a request head.
struct HeadVerdict {
  // Set: answer this without reading the body (and close the connection when `close`).
  std::optional<HttpResponse> response;
  bool close = true;
  bool head_as_get = false;  // a HEAD the handler sees as GET; the reply goes out without a body
};

HeadVerdict screen_request_head(const HttpRequestHead& head, const HttpRequestPolicy& policy);

// The CORS headers for a response to a request from `origin` (none when it is not allowed).
std::vector<std::pair<std::string, std::string>> cors_response_headers(const HttpRequestPolicy& policy,
                                                                       std::string_view origin);

// "/v1/models" for "http://host:8000/v1/models" (RFC 9112 3.2.2); other targets unchanged.
std::string origin_form(std::string_view target);

// True for "application/json" with or without parameters, case-insensitive.
bool is_json_media_type(std::string_view content_type);

}  // namespace turbine::server
