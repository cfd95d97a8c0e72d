// The benchmark's HTTP client: many streamed POSTs at once, on one thread, each sent at its
// arrival time (the only code of src/bench that includes Boost.Beast/Asio: serve_client.cc).
//
// Connections are kept alive and reused, as vLLM's aiohttp session does, so a request's time does
// not include a TCP handshake once the pool is warm; a reused connection that the server closed
// meanwhile is retried once on a fresh one. Responses are read as they arrive and split into
// server-sent events; each event reaches the request's ResponseObserver with the time its bytes
// were read.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "bench/response_observer.h"

namespace turbine::bench {

struct HttpEndpoint {
  std::string host;
  std::string port = "80";
  std::string path_prefix;  // without a trailing "/"
  std::string url() const;  // http://host:port/prefix
};

// "http://HOST[:PORT][/PREFIX]"; throws turbine::Error for anything else (https included).
HttpEndpoint parse_base_url(std::string_view url);

struct ClientOptions {
  HttpEndpoint endpoint;
  std::string path;  // the POST target after the prefix, e.g. "/v1/completions"
  std::optional<std::string> api_key;  // "Authorization: Bearer KEY"
  int max_concurrency = 0;             // requests in flight at most; 0: no limit
  double request_timeout_s = 600;      // a request that receives nothing for this long fails
};

// Sends bodies[i] at send_times[i] seconds after the start (later when max_concurrency requests
// are in flight: those wait in arrival order) and reports to observers[i]; `on_finished(i)`
// (optional) runs once observers[i] has its end. Returns the wall time, in seconds, from the start
// to the end of the last response. Throws turbine::Error only when the host cannot be resolved;
// every other failure is the request's own (ResponseObserver::on_failure).
double run_streaming_requests(const ClientOptions& options, std::span<const std::string> bodies,
                              std::span<const double> send_times, std::span<ResponseObserver* const> observers,
                              const std::function<void(size_t)>& on_finished = {});

}  // namespace turbine::bench
