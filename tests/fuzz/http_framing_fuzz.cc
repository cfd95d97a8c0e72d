// libFuzzer target: the HTTP layer's request framing on arbitrary bytes, as one connection's
// input, without a network. Each request goes the server's way (http_server.cc): Beast's parser
// up to the end of the header, our framing checks (http_request_framing), the request policy
// (http_request_policy, with `turbine serve`'s rules and with none), then the body, then the next
// pipelined request. A read error or a framing error ends the connection, as in the server.
//
// Checked on every input: nothing escapes, the sanitizers stay quiet, and the invariants below
// (error statuses, required headers, JSON error bodies, no request read after a framing error,
// only well-framed requests reach the handler).
#include <boost/asio/buffer.hpp>
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/error.h"
#include "server/http_request_framing.h"
#include "server/http_request_policy.h"
#include "server/openai_api.h"

namespace {

using namespace turbine;
using namespace turbine::server;
namespace http = boost::beast::http;

constexpr size_t kBodyLimit = 4096;
constexpr int kMaxRequestsPerInput = 16;

bool has_header(const HttpResponse& response, std::string_view name) {
  for (const auto& [n, v] : response.headers)
    if (n == name && !v.empty()) return true;
  return false;
}

void check_error_body(const HttpResponse& response) {
  TURBINE_CHECK(response.status == 204 || nlohmann::json::accept(response.body), "error body is not JSON: {}",
                response.body);
}

void check_verdict(const HttpRequestHead& head, const HttpRequestPolicy& policy, const HeadVerdict& verdict) {
  if (!verdict.response) {
    TURBINE_CHECK(!verdict.head_as_get || head.method == "HEAD");
    if (policy.require_json_post && head.method == "POST") TURBINE_CHECK(is_json_media_type(head.header("content-type")));
    return;
  }
  const HttpResponse& r = *verdict.response;
  const int s = r.status;
  TURBINE_CHECK(s == 204 || s == 400 || s == 401 || s == 405 || s == 415, "status {}", s);
  TURBINE_CHECK(s != 401 || has_header(r, "WWW-Authenticate"));
  TURBINE_CHECK(s != 405 || has_header(r, "Allow"));
  TURBINE_CHECK(s != 204 || has_header(r, "Access-Control-Allow-Origin"));
  // An unanswered body must not be read as the next request: keep-alive only without one.
  TURBINE_CHECK(verdict.close || !head.has_body);
  if (s == 401) {
    for (const std::string& p : policy.public_paths) TURBINE_CHECK(head.path != p, "public path {} got 401", p);
  }
  check_error_body(r);
}

// Runs one request from `input`; the bytes it used, or 0 when the connection ends after it.
size_t one_request(std::string_view input, const HttpRequestPolicy& policy) {
  http_framing::RequestParser parser;
  http_framing::configure(parser, kBodyLimit);
  boost::beast::error_code ec;
  size_t used = 0;
  auto feed = [&] {
    while (!ec && used < input.size() && !(parser.is_header_done() && !parser.eager()) && !parser.is_done()) {
      const size_t n = parser.put(boost::asio::buffer(input.data() + used, input.size() - used), ec);
      used += n;
      if (n == 0 && !ec) break;
    }
  };
  feed();
  auto failed = [&] {
    if (!ec) return false;
    if (const auto reply = http_framing::read_error_reply(ec, kBodyLimit)) {
      TURBINE_CHECK(reply->status == 400 || reply->status == 413 || reply->status == 431, "status {}", reply->status);
      check_error_body(reply->response());
    }
    return true;  // the connection ends (answered or not)
  };
  if (failed() || !parser.is_header_done()) return 0;
  if (const auto error = http_framing::check_header(parser)) {
    TURBINE_CHECK(error->status == 400 || error->status == 501, "status {}", error->status);
    return 0;  // framing broken: nothing after it is a request
  }
  // What reaches the policy is well framed.
  const auto& message = parser.get();
  if (message.find(http::field::transfer_encoding) != message.end()) TURBINE_CHECK(parser.chunked());
  if (message.version() >= 11) TURBINE_CHECK(message.count(http::field::host) == 1);
  const HttpRequestHead head = http_framing::request_head(parser);
  TURBINE_CHECK(head.path.find('?') == std::string::npos);
  TURBINE_CHECK(head.version == 10 || head.version == 11);
  const HeadVerdict verdict = screen_request_head(head, policy);
  check_verdict(head, policy, verdict);
  if (verdict.response && verdict.close) return 0;
  parser.eager(true);
  feed();
  if (failed() || !parser.is_done()) return 0;
  const bool keep_alive = parser.get().keep_alive();
  const HttpRequest request = http_framing::to_request(parser.release(), head, verdict.head_as_get);
  TURBINE_CHECK(request.body.size() <= kBodyLimit);
  TURBINE_CHECK(request.method != "HEAD");
  return keep_alive ? used : 0;
}

void run_connection(std::string_view input, const HttpRequestPolicy& policy) {
  for (int i = 0; i < kMaxRequestsPerInput && !input.empty(); ++i) {
    const size_t used = one_request(input, policy);
    if (used == 0) return;
    input.remove_prefix(used);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const HttpRequestPolicy kServe = OpenAiApi::request_policy(
      "key", CorsOptions{{"http://app.example"}, {"POST", "GET"}, {"authorization", "content-type"}});
  static const HttpRequestPolicy kNone;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  run_connection(input, kServe);
  run_connection(input, kNone);
  return 0;
}
