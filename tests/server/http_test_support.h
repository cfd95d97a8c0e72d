// Helpers for the HTTP layer's socket tests: a blocking raw-socket client and a scripted handler.
#pragma once

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/http_server.h"

namespace turbine::server::testing {

using namespace std::chrono_literals;

// A blocking TCP client: write bytes, read until a condition or a timeout.
class Client {
 public:
  explicit Client(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(uint16_t(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Client() { close(); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  void send(const std::string& data) {
    size_t sent = 0;
    while (sent < data.size()) {
      const ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += size_t(n);
    }
  }
  // Reads until `needle` has arrived (or the peer closes / 5 s pass); returns all bytes so far.
  std::string read_until(const std::string& needle) {
    while (buffer_.find(needle) == std::string::npos) {
      char chunk[4096];
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) break;
      buffer_.append(chunk, size_t(n));
    }
    return buffer_;
  }
  // Reads until the peer closes; true if it did within the timeout.
  bool wait_closed() {
    char chunk[4096];
    while (true) {
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
      buffer_.append(chunk, size_t(n));
    }
  }
  void clear() { buffer_.clear(); }
  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }
  const std::string& received() const { return buffer_; }

 private:
  int fd_ = -1;
  std::string buffer_;
};

// Answers by path: /echo sends the body back, /stream streams three chunks and waits for a
// release before ending, /hold never answers (until the client leaves).
class ScriptedHandler : public HttpHandler {
 public:
  void handle(HttpRequest request, std::shared_ptr<HttpExchange> exchange) override {
    {
      std::lock_guard lock(mutex_);
      last_ = request;
      ++requests_;
    }
    if (request.path == "/echo") {
      exchange->send(HttpResponse{200, "text/plain", request.method + " " + request.body, {{"X-Test", "1"}}});
    } else if (request.path == "/stream") {
      exchange->set_disconnect_handler([this] { disconnected_ = true; });
      exchange->start_stream(200, "text/event-stream");
      exchange->write("data: one\n\n", [this](bool ok) { writes_ok_ += ok; });
      exchange->write("", [this](bool ok) { writes_ok_ += ok; });  // empty: skipped, not a terminator
      exchange->write("data: two\n\n", [this](bool ok) { writes_ok_ += ok; });
      std::lock_guard lock(mutex_);
      threads_.emplace_back([this, exchange] {
        std::unique_lock lock(mutex_);
        released_.wait_for(lock, 5s, [this] { return release_; });
        lock.unlock();
        exchange->write("data: [DONE]\n\n", [this](bool ok) { writes_ok_ += ok; });
        exchange->end_stream([this](bool ok) { ended_ok_ = ok; });
      });
    } else if (request.path == "/hold") {
      held_ = exchange;
      exchange->set_disconnect_handler([this] { disconnected_ = true; });
    } else {
      exchange->send(HttpResponse{404, "application/json", "{}", {}});
    }
  }

  void release() {
    std::lock_guard lock(mutex_);
    release_ = true;
    released_.notify_all();
  }
  // Releases and joins the streaming threads (before the server goes away).
  void join() {
    release();
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mutex_);
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
  }
  HttpRequest last() {
    std::lock_guard lock(mutex_);
    return last_;
  }

  std::atomic<bool> disconnected_{false};
  std::atomic<int> writes_ok_{0};
  std::atomic<bool> ended_ok_{false};
  std::atomic<int> requests_{0};
  std::shared_ptr<HttpExchange> held_;

 private:
  std::mutex mutex_;
  std::condition_variable released_;
  bool release_ = false;
  HttpRequest last_;
  std::vector<std::thread> threads_;
};

}  // namespace turbine::server::testing
