#include "server/openai_api.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <vector>

#include "common/error.h"
#include "server/api_error.h"
#include "server/protocol.h"
#include "server/response_json.h"

namespace turbine::server {

// Bodies above this take the request workers' large lane (task_queue.h): parsing a 30 MiB body
// took a worker about 330 ms on the development VM, some 11 ms a MiB.
constexpr size_t kLargeRequestBodyBytes = size_t(1) << 20;

struct OpenAiApi::Route {
  std::string_view method;
  std::string_view path;
  bool needs_api_key;
  bool on_worker;  // heavy: parse, render, tokenize off the I/O thread
  std::optional<HttpResponse> (*run)(OpenAiApi& api, const HttpRequest& request,
                                     const std::shared_ptr<HttpExchange>& exchange, Clock::time_point arrival);
};

namespace {

using Route = OpenAiApi::Route;

HttpResponse json_response(const Json& body, int status = 200) {
  return HttpResponse{status, "application/json", dump_json(body), {}};
}

HttpResponse error_response(const ApiError& error) {
  HttpResponse response{error.status(), "application/json", error.to_json(), {}};
  if (error.status() == 401) response.headers.emplace_back("WWW-Authenticate", "Bearer");
  return response;
}

// Compares in time independent of where the strings differ (the key is a secret).
bool same_secret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

OpenAiApi::OpenAiApi(const GenerationServices& services, ApiOptions options, TaskQueue& workers)
    : services_(services),
      options_(std::move(options)),
      workers_(workers),
      created_(std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                   .count()) {}

// The route table: one line per endpoint. (Inside a member function, so its lambdas may call
// the private handlers.)
const std::vector<OpenAiApi::Route>& OpenAiApi::routes() {
  using Exchange = std::shared_ptr<HttpExchange>;
  static const std::vector<Route> kRoutes = {
      {"POST", "/v1/completions", true, true,
       [](OpenAiApi& api, const HttpRequest& r, const Exchange& e, Clock::time_point t) {
         return api.completions(r, e, t);
       }},
      {"POST", "/v1/chat/completions", true, true,
       [](OpenAiApi& api, const HttpRequest& r, const Exchange& e, Clock::time_point t) {
         return api.chat_completions(r, e, t);
       }},
      {"GET", "/v1/models", true, false,
       [](OpenAiApi& api, const HttpRequest&, const Exchange&, Clock::time_point) { return std::optional(api.models()); }},
      {"POST", "/tokenize", true, true,
       [](OpenAiApi& api, const HttpRequest& r, const Exchange&, Clock::time_point) {
         return std::optional(api.tokenize(r));
       }},
      {"POST", "/detokenize", true, true,
       [](OpenAiApi& api, const HttpRequest& r, const Exchange&, Clock::time_point) {
         return std::optional(api.detokenize(r));
       }},
      {"GET", "/health", false, false,
       [](OpenAiApi& api, const HttpRequest&, const Exchange&, Clock::time_point) { return std::optional(api.health()); }},
      {"GET", "/version", false, false,
       [](OpenAiApi& api, const HttpRequest&, const Exchange&, Clock::time_point) { return std::optional(api.version()); }},
      {"GET", "/metrics", false, false,
       [](OpenAiApi& api, const HttpRequest&, const Exchange&, Clock::time_point) { return std::optional(api.metrics()); }},
  };
  return kRoutes;
}

HttpRequestPolicy OpenAiApi::request_policy(std::optional<std::string> api_key, CorsOptions cors) {
  HttpRequestPolicy policy;
  policy.api_key = std::move(api_key);
  // The HTTP layer screens each request's header against this same table before reading the
  // body: the key where a route needs it, the methods each path serves.
  for (const Route& r : routes()) {
    if (!r.needs_api_key) policy.public_paths.emplace_back(r.path);
    auto it = std::find_if(policy.routes.begin(), policy.routes.end(),
                           [&](const HttpRoute& h) { return h.path == r.path; });
    if (it == policy.routes.end()) it = policy.routes.insert(policy.routes.end(), HttpRoute{std::string(r.path), {}});
    it->methods.emplace_back(r.method);
  }
  policy.require_json_post = true;
  policy.cors = std::move(cors);
  return policy;
}

void OpenAiApi::handle(HttpRequest request, std::shared_ptr<HttpExchange> exchange) {
  const Clock::time_point arrival = Clock::now();
  try {
    const Route* route = nullptr;
    bool path_known = false;
    for (const Route& r : routes()) {
      if (r.path != request.path) continue;
      path_known = true;
      if (r.method == request.method) route = &r;
    }
    if (!route && path_known)
      throw ApiError(405, fmt::format("method {} is not allowed on {}", request.method, request.path), {},
                     "method_not_allowed");
    if (!route)
      throw ApiError(404, fmt::format("no route for {} {}", request.method, request.path), {}, "not_found");
    if (route->needs_api_key) check_api_key(request);
    if (!route->on_worker) {
      run(*route, request, exchange, arrival);
      return;
    }
    // A large body takes the large lane, so that small requests never queue behind its parse.
    const TaskQueue::Lane lane =
        request.body.size() > kLargeRequestBodyBytes ? TaskQueue::Lane::kLarge : TaskQueue::Lane::kSmall;
    workers_.post([this, route, request = std::move(request), exchange, arrival] {
      run(*route, request, exchange, arrival);
    }, lane);
  } catch (const ApiError& e) {
    respond(request, *exchange, error_response(e), arrival);
  }
}

void OpenAiApi::run(const Route& route, const HttpRequest& request, const std::shared_ptr<HttpExchange>& exchange,
                    Clock::time_point arrival) {
  std::optional<HttpResponse> response;
  try {
    response = route.run(*this, request, exchange, arrival);
  } catch (const ApiError& e) {
    response = error_response(e);
  } catch (const Error& e) {
    response = error_response(ApiError(400, e.what(), {}, "invalid_value"));  // user-caused by definition
  } catch (const std::exception& e) {
    spdlog::error("{} {}: internal error: {}", request.method, request.path, e.what());
    response = error_response(ApiError(500, fmt::format("internal server error: {}", e.what()), {}, "internal_error"));
  }
  if (response) respond(request, *exchange, std::move(*response), arrival);
}

void OpenAiApi::respond(const HttpRequest& request, HttpExchange& exchange, HttpResponse response,
                        Clock::time_point arrival) {
  AccessLogEntry entry;
  entry.method = request.method;
  entry.path = request.path;
  entry.status = response.status;
  entry.client = request.remote_address;
  entry.total_seconds = std::chrono::duration<double>(Clock::now() - arrival).count();
  exchange.send(std::move(response));
  services_.access_log.write(entry);
}

void OpenAiApi::check_api_key(const HttpRequest& request) const {
  if (!options_.api_key) return;
  const std::string_view header = request.header("authorization");
  constexpr std::string_view kBearer = "Bearer ";
  const bool bearer = header.size() >= kBearer.size() &&
                      std::equal(kBearer.begin(), kBearer.end(), header.begin(),
                                 [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b)); });
  if (!bearer || !same_secret(header.substr(kBearer.size()), *options_.api_key))
    throw ApiError(401,
                   header.empty() ? "missing API key: send the header \"Authorization: Bearer <key>\""
                                  : "incorrect API key provided",
                   {}, "invalid_api_key");
}

std::optional<HttpResponse> OpenAiApi::completions(const HttpRequest& request,
                                                   const std::shared_ptr<HttpExchange>& exchange,
                                                   Clock::time_point arrival) {
  const CompletionRequest parsed = parse_completion_request(parse_json_object(request.body));
  return start_job(plan_completion(parsed, services_.model), request, exchange, arrival);
}

std::optional<HttpResponse> OpenAiApi::chat_completions(const HttpRequest& request,
                                                        const std::shared_ptr<HttpExchange>& exchange,
                                                        Clock::time_point arrival) {
  const ChatCompletionRequest parsed = parse_chat_completion_request(parse_json_object(request.body));
  return start_job(plan_chat_completion(parsed, services_.model), request, exchange, arrival);
}

std::optional<HttpResponse> OpenAiApi::start_job(GenerationPlan plan, const HttpRequest& request,
                                                 const std::shared_ptr<HttpExchange>& exchange,
                                                 Clock::time_point arrival) {
  auto job = std::make_shared<GenerationJob>(std::move(plan), services_, exchange, request, arrival);
  job->start();  // from here on the job answers (and logs) the request
  return std::nullopt;
}

HttpResponse OpenAiApi::models() const {
  Json data = Json::array();
  for (const std::string& name : services_.model.names) {
    Json permission = Json::object();
    permission["id"] = "modelperm-" + name;
    permission["object"] = "model_permission";
    permission["created"] = created_;
    permission["allow_create_engine"] = false;
    permission["allow_sampling"] = true;
    permission["allow_logprobs"] = true;
    permission["allow_search_indices"] = false;
    permission["allow_view"] = true;
    permission["allow_fine_tuning"] = false;
    permission["organization"] = "*";
    permission["group"] = nullptr;
    permission["is_blocking"] = false;
    Json model = Json::object();
    model["id"] = name;
    model["object"] = "model";
    model["created"] = created_;
    model["owned_by"] = "turbine";
    model["root"] = services_.model.root;
    model["parent"] = nullptr;
    model["max_model_len"] = services_.model.max_model_len;
    model["permission"] = Json::array({std::move(permission)});
    data.push_back(std::move(model));
  }
  Json body = Json::object();
  body["object"] = "list";
  body["data"] = std::move(data);
  return json_response(body);
}

HttpResponse OpenAiApi::tokenize(const HttpRequest& request) const {
  const TokenizeRequest parsed = parse_tokenize_request(parse_json_object(request.body));
  services_.model.check_model(parsed.model);
  const Tokenizer& tokenizer = services_.model.tokenizer;
  std::vector<int32_t> ids;
  if (parsed.text) {
    ids = tokenizer.encode(*parsed.text, parsed.add_special_tokens.value_or(true));
  } else {
    ids = tokenizer.encode(services_.model.chat->render(*parsed.chat), parsed.add_special_tokens.value_or(false));
  }
  Json body = Json::object();
  body["count"] = ids.size();
  body["max_model_len"] = services_.model.max_model_len;
  body["tokens"] = ids;
  if (parsed.return_token_strs) {
    Json strs = Json::array();
    for (const int32_t id : ids) strs.push_back(tokenizer.id_to_token(id));
    body["token_strs"] = std::move(strs);
  } else {
    body["token_strs"] = nullptr;
  }
  return json_response(body);
}

HttpResponse OpenAiApi::detokenize(const HttpRequest& request) const {
  const DetokenizeRequest parsed = parse_detokenize_request(parse_json_object(request.body));
  services_.model.check_model(parsed.model);
  const Tokenizer& tokenizer = services_.model.tokenizer;
  for (size_t i = 0; i < parsed.tokens.size(); ++i)
    if (!tokenizer.is_valid_id(parsed.tokens[i]))
      fail_param(fmt::format("tokens[{}]", i), "token id {} is not in the vocabulary (ids run from 0 to {})",
                 parsed.tokens[i], tokenizer.vocab_size() - 1);
  Json body = Json::object();
  body["prompt"] = tokenizer.decode(parsed.tokens, /*skip_special_tokens=*/false);
  return json_response(body);
}

HttpResponse OpenAiApi::health() const {
  if (services_.tracker.shutting_down())
    return error_response(ApiError(503, "the server is shutting down", {}, "shutting_down"));
  return HttpResponse{200, "application/json", "", {}};
}

HttpResponse OpenAiApi::version() const {
  Json body = Json::object();
  body["version"] = options_.version;
  return json_response(body);
}

HttpResponse OpenAiApi::metrics() const {
  return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8",
                      services_.metrics.render(services_.engine.stats()), {}};
}

}  // namespace turbine::server
