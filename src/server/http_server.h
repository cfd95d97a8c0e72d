// HttpServer: HTTP/1.1 with keep-alive on Boost.Beast/Asio, feeding an HttpHandler.
//
// Asynchronous throughout: a small pool of I/O threads runs every connection, each on its own
// strand, so thousands of open streams cost sockets and buffers, not threads. Per connection:
//  - requests are read one at a time: the header first (64 KiB limit), then the policy
//    (http_request_policy.h: API key, methods, Content-Type, CORS) decides from it alone, so a
//    rejected request's body is never read; then the body (configurable limit: 413).
//    "Expect: 100-continue" is honoured after the policy. Malformed HTTP, or framing whose length
//    cannot be trusted (http_request_framing.h), is answered and the connection closed: nothing
//    after it is read as a request (RFC 9112 6.3);
//  - HTTP/1.0 clients get "Connection: keep-alive" echoed when they ask for it, else the
//    connection closes after the reply; their streams go without chunked coding and end by closing;
//  - HEAD is served as GET without the body; absolute-form targets are routed by their path;
//    a 503 always carries Retry-After, a 405 Allow;
//  - while a response is pending, the socket is watched for the client closing it, which fires
//    the exchange's disconnect handler at once (no need to wait for a failing write). A client
//    that only shut down its sending side (EOF) looks the same, so the handler fires too, but the
//    connection stays writable: whatever reply the handler still sends goes out, then it closes;
//  - at most max_connections are open; beyond that a client gets a fast 503 and is closed;
//  - a write that makes no progress for write_timeout drops the client (a reader that stopped
//    reading must not hold a stream forever); a connection closes when no request starts within
//    idle_timeout, a header takes longer than header_timeout, or a body longer than body_timeout;
//  - streamed responses use chunked transfer encoding (HTTP/1.1).
// Only the http_* sources include Beast; everything else sees http_exchange.h.
//
// Lifecycle: the constructor binds and listens (turbine::Error if it cannot); start() runs the
// I/O threads; stop_accepting() closes the listener and idle connections, letting responses in
// progress finish (their connections then close); stop() closes everything and joins the
// threads. Tasks posted after stop() never run. Destroy the server only after nothing can post to
// it any more (the engine's sinks post through exchanges).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "server/http_exchange.h"
#include "server/http_request_policy.h"

namespace turbine::server {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 8000;  // 0: any free port (see HttpServer::port())
  int io_threads = 2;
  size_t body_limit = size_t(32) << 20;
  std::chrono::seconds idle_timeout{120};    // waiting for a request's first byte
  std::chrono::seconds header_timeout{120};  // from its first byte to the end of its header
  std::chrono::seconds body_timeout{120};    // reading its body
  std::chrono::seconds write_timeout{60};
  size_t max_connections = 0;  // 0: default_max_connections()
  HttpRequestPolicy policy;    // default: checks nothing
  bool access_log = true;      // log a line for each request the HTTP layer answers itself
};

// Open connections allowed by default: the process's descriptor limit less headroom for model
// files, logs and the fast 503s of clients beyond the cap.
size_t default_max_connections();

class HttpServer {
 public:
  HttpServer(const HttpServerOptions& options, HttpHandler& handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port (the chosen one when options.port was 0).
  int port() const;
  void start();
  void stop_accepting();
  void stop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace turbine::server
