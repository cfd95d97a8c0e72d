// OpenAiApi: the routes of the OpenAI-compatible server, behind the HTTP layer.
//
//   POST /v1/completions, /v1/chat/completions   generation (GenerationJob)
//   GET  /v1/models                               the served model (one entry per served name)
//   POST /tokenize, /detokenize                   vLLM's shapes
//   GET  /health, /version, /metrics              liveness, version, Prometheus text
//
// With an API key set, every /v1/ route needs "Authorization: Bearer <key>" (401 otherwise);
// the others stay open, as in vLLM. An unknown path is a 404, a known one with the wrong method a
// 405. Light routes answer on the I/O thread; generation and tokenization run on the request
// workers. Every error goes out in OpenAI's shape (ApiError); each request leaves one access-log
// line (generation requests when their last choice finishes).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/generation_job.h"
#include "server/http_exchange.h"
#include "server/task_queue.h"
#include "server/http_request_policy.h"

namespace turbine::server {

struct ApiOptions {
  std::optional<std::string> api_key;
  std::string version;
};

class OpenAiApi final : public HttpHandler {
 public:
  using Clock = std::chrono::steady_clock;

  OpenAiApi(const GenerationServices& services, ApiOptions options, TaskQueue& workers);

  void handle(HttpRequest request, std::shared_ptr<HttpExchange> exchange) override;

  struct Route;

  // The access rules the HTTP layer applies from a request's header alone (http_request_policy.h),
  // made from the route table: public paths are the routes that need no key, with the methods
  // each path serves; POSTs must be JSON.
  static HttpRequestPolicy request_policy(std::optional<std::string> api_key, CorsOptions cors);

 private:
  static const std::vector<Route>& routes();
  // Runs a route; a response to send, or nothing when a GenerationJob took the exchange over.
  void run(const Route& route, const HttpRequest& request, const std::shared_ptr<HttpExchange>& exchange,
           Clock::time_point arrival);
  void respond(const HttpRequest& request, HttpExchange& exchange, HttpResponse response, Clock::time_point arrival);
  void check_api_key(const HttpRequest& request) const;

  std::optional<HttpResponse> completions(const HttpRequest& request, const std::shared_ptr<HttpExchange>& exchange,
                                          Clock::time_point arrival);
  std::optional<HttpResponse> chat_completions(const HttpRequest& request,
                                               const std::shared_ptr<HttpExchange>& exchange,
                                               Clock::time_point arrival);
  std::optional<HttpResponse> start_job(GenerationPlan plan, const HttpRequest& request,
                                        const std::shared_ptr<HttpExchange>& exchange, Clock::time_point arrival);
  HttpResponse models() const;
  HttpResponse tokenize(const HttpRequest& request) const;
  HttpResponse detokenize(const HttpRequest& request) const;
  HttpResponse health() const;
  HttpResponse version() const;
  HttpResponse metrics() const;

  GenerationServices services_;
  ApiOptions options_;
  TaskQueue& workers_;
  int64_t created_ = 0;  // start time (Unix seconds), shown in /v1/models
};

}  // namespace turbine::server
