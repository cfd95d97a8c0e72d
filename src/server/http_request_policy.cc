#include "server/http_request_policy.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "server/api_error.h"

namespace turbine::server {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split_list(std::string_view list) {
  std::vector<std::string_view> items;
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view item = trim(list.substr(0, comma));
    if (!item.empty()) items.push_back(item);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return items;
}

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::any_of(list.begin(), list.end(), [&](const std::string& s) { return s == "*" || iequals(s, item); });
}

std::string join(const std::vector<std::string>& items) {
  std::string joined;
  for (const std::string& item : items) joined += (joined.empty() ? "" : ", ") + item;
  return joined;
}

HttpResponse error(int status, std::string message, std::string code) {
  return HttpResponse{status, "application/json", ApiError(status, std::move(message), {}, std::move(code)).to_json(), {}};
}

// Compares in time independent of where the strings differ (the key is a secret).
bool same_secret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::optional<HttpResponse> check_api_key(const HttpRequestHead& head, const std::string& key) {
  const std::string_view header = head.header("authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (istarts_with(header, kBearer) && same_secret(trim(header.substr(kBearer.size())), key)) return std::nullopt;
  HttpResponse response = error(401,
                                header.empty() ? "missing API key: send the header \"Authorization: Bearer <key>\""
                                               : "incorrect API key provided",
                                "invalid_api_key");
  response.headers.emplace_back("WWW-Authenticate", "Bearer");
  return response;
}

// A CORS preflight (Fetch standard): answered here, never by the handler, and without the key
// (browsers send no credentials on a preflight).
HttpResponse answer_preflight(const HttpRequestHead& head, const HttpRequestPolicy& policy) {
  const CorsOptions& cors = policy.cors;
  const std::string_view origin = head.header("origin");
  const std::string_view method = head.header("access-control-request-method");
  const std::string_view requested_headers = head.header("access-control-request-headers");
  if (!cors.allows_origin(origin))
    return error(400, fmt::format("CORS: the origin '{}' is not allowed", origin), "cors_rejected");
  if (!contains(cors.allowed_methods, method))
    return error(400, fmt::format("CORS: the method '{}' is not allowed", method), "cors_rejected");
  for (const std::string_view name : split_list(requested_headers))
    if (!contains(cors.allowed_headers, name))
      return error(400, fmt::format("CORS: the header '{}' is not allowed", name), "cors_rejected");
  HttpResponse response{204, "text/plain", "", cors_response_headers(policy, origin)};
  const bool any_method = std::find(cors.allowed_methods.begin(), cors.allowed_methods.end(), "*") !=
                          cors.allowed_methods.end();
  response.headers.emplace_back("Access-Control-Allow-Methods",
                                any_method ? "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT" : join(cors.allowed_methods));
  const bool any_header = std::find(cors.allowed_headers.begin(), cors.allowed_headers.end(), "*") !=
                          cors.allowed_headers.end();
  if (!requested_headers.empty() || !any_header)
    response.headers.emplace_back("Access-Control-Allow-Headers",
                                  any_header ? std::string(requested_headers) : join(cors.allowed_headers));
  response.headers.emplace_back("Access-Control-Max-Age", "600");
  return response;
}

}  // namespace

std::string_view HttpRequestHead::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers)
    if (name == lower_name) return value;
  return {};
}

bool CorsOptions::allows_origin(std::string_view origin) const {
  if (origin.empty()) return false;
  return std::any_of(allowed_origins.begin(), allowed_origins.end(),
                     [&](const std::string& allowed) { return allowed == "*" || allowed == origin; });
}

std::string HttpRequestPolicy::allowed_methods(std::string_view path) const {
  std::vector<std::string> methods;
  for (const HttpRoute& route : routes)
    if (route.path == path)
      for (const std::string& method : route.methods) {
        methods.push_back(method);
        if (method == "GET") methods.push_back("HEAD");
      }
  return join(methods);
}

HeadVerdict screen_request_head(const HttpRequestHead& head, const HttpRequestPolicy& policy) {
  HeadVerdict verdict;
  const bool preflight = head.method == "OPTIONS" && !head.header("origin").empty() &&
                         !head.header("access-control-request-method").empty();
  if (preflight && !policy.cors.allowed_origins.empty()) {
    verdict.response = answer_preflight(head, policy);
    verdict.close = head.has_body;  // a bodiless preflight leaves the connection usable
    return verdict;
  }
  const bool is_public =
      std::find(policy.public_paths.begin(), policy.public_paths.end(), head.path) != policy.public_paths.end();
  if (policy.api_key && !is_public) {
    if ((verdict.response = check_api_key(head, *policy.api_key))) return verdict;
  }
  const std::string allowed = policy.allowed_methods(head.path);
  if (!allowed.empty()) {
    bool served = false;
    for (const std::string_view method : split_list(allowed)) served = served || method == head.method;
    if (!served) {
      verdict.response = error(405, fmt::format("method {} is not allowed on {}", head.method, head.path),
                               "method_not_allowed");
      verdict.response->headers.emplace_back("Allow", allowed);
      return verdict;
    }
  }
  if (policy.require_json_post && head.method == "POST" && !is_json_media_type(head.header("content-type"))) {
    const std::string_view type = head.header("content-type");
    verdict.response = error(415,
                             type.empty() ? std::string("the request has no Content-Type: send \"Content-Type: "
                                                        "application/json\" with a JSON body")
                                          : fmt::format("unsupported Content-Type '{}': send \"Content-Type: "
                                                        "application/json\" with a JSON body",
                                                        type),
                             "unsupported_media_type");
    return verdict;
  }
  verdict.head_as_get = head.method == "HEAD";
  return verdict;
}

std::vector<std::pair<std::string, std::string>> cors_response_headers(const HttpRequestPolicy& policy,
                                                                       std::string_view origin) {
  if (!policy.cors.allows_origin(origin)) return {};
  const bool any = std::find(policy.cors.allowed_origins.begin(), policy.cors.allowed_origins.end(), "*") !=
                   policy.cors.allowed_origins.end();
  if (any) return {{"Access-Control-Allow-Origin", "*"}};
  return {{"Access-Control-Allow-Origin", std::string(origin)}, {"Vary", "Origin"}};
}

std::string origin_form(std::string_view target) {
  size_t scheme = 0;
  if (istarts_with(target, "http://")) scheme = 7;
  else if (istarts_with(target, "https://")) scheme = 8;
  else return std::string(target);
  const std::string_view rest = target.substr(scheme);
  const size_t end_of_authority = rest.find_first_of("/?#");
  if (end_of_authority == std::string_view::npos) return "/";
  std::string_view path_and_query = rest.substr(end_of_authority);
  path_and_query = path_and_query.substr(0, path_and_query.find('#'));
  std::string origin_form;
  if (path_and_query.empty() || path_and_query.front() != '/') origin_form = "/";  // "http://h?q"
  origin_form.append(path_and_query);
  return origin_form;
}

bool is_json_media_type(std::string_view content_type) {
  return iequals(trim(content_type.substr(0, content_type.find(';'))), "application/json");
}

}  // namespace turbine::server
