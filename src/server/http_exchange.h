// The HTTP layer's seam: one request in, one response out, without Boost in sight.
//
// HttpServer (http_server.h, the only code that includes Beast/Asio) parses a request and hands
// it to an HttpHandler together with an HttpExchange, through which the response goes back:
// either one whole response (send) or a chunked stream (start_stream, write..., end_stream).
//
// Contract of HttpExchange:
//  - Every method may be called from any thread; calls are carried out in order on the
//    connection's I/O strand. Once the connection is gone they do nothing (write callbacks still
//    run, with ok = false).
//  - Exactly one of send() and start_stream() per exchange; write() and end_stream() only after
//    start_stream(). Extra calls are ignored (their callbacks run with ok = false).
//  - Completion callbacks (send's on_sent, write's on_written, end_stream's on_done) run exactly
//    once, on an I/O thread: ok when the bytes went out, !ok when they never will.
//  - The disconnect handler runs at most once, on an I/O thread, if the client goes away (closes
//    or resets the connection, or stops reading past the write timeout) before the response is
//    complete. Set it before the response can take long, e.g. right after a request is accepted.
//  - post() runs a task on the I/O thread pool (not on the connection's strand): the place for
//    short work that must stay off the engine thread, such as detokenizing an output delta.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace turbine::server {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: path and query
  std::string path;    // target without the query
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string body;
  std::string remote_address;  // "ip:port" of the client

  // The first header of that (lower-case) name, or empty.
  std::string_view header(std::string_view lower_name) const {
    for (const auto& [name, value] : headers)
      if (name == lower_name) return value;
    return {};
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

class HttpExchange {
 public:
  virtual ~HttpExchange() = default;

  virtual void send(HttpResponse response, std::function<void(bool ok)> on_sent = {}) = 0;
  virtual void start_stream(int status, std::string content_type) = 0;
  virtual void write(std::string data, std::function<void(bool ok)> on_written) = 0;
  virtual void end_stream(std::function<void(bool ok)> on_done = {}) = 0;

  virtual void set_disconnect_handler(std::function<void()> handler) = 0;
  virtual void post(std::function<void()> task) = 0;
};

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // Called on an I/O thread for each request; must not block (hand heavy work to a worker).
  virtual void handle(HttpRequest request, std::shared_ptr<HttpExchange> exchange) = 0;
};

}  // namespace turbine::server
