// HttpServer: HTTP/1.1 with keep-alive on Boost.Beast/Asio, feeding an HttpHandler.
//
// Asynchronous throughout: a small pool of I/O threads runs every connection, each on its own
// strand, so thousands of open streams cost sockets and buffers, not threads. Per connection:
//  - requests are read one at a time (header limit 64 KiB, body limit configurable: a larger
//    body is answered 413 and the connection closed after draining what the client still sends);
//    "Expect: 100-continue" is honoured; malformed HTTP is a 400;
//  - while a response is pending, the socket is watched for the client closing it, which fires
//    the exchange's disconnect handler at once (no need to wait for a failing write);
//  - a write that makes no progress for write_timeout drops the client (a reader that stopped
//    reading must not hold a stream forever); an idle keep-alive connection closes after
//    idle_timeout;
//  - streamed responses use chunked transfer encoding.
// Only http_server.cc includes Beast; everything else sees http_exchange.h.
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

namespace turbine::server {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 8000;  // 0: any free port (see HttpServer::port())
  int io_threads = 2;
  size_t body_limit = size_t(32) << 20;
  std::chrono::seconds idle_timeout{120};
  std::chrono::seconds write_timeout{60};
};

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
